"""The Redis receiver: append to the tenant's live feed exactly once per dedup key.

One Lua script sets the delivered marker (``SET NX EX``) and, only if it was not there,
appends to the stream and publishes: a notification handed over twice (a re-read after a
crash) reaches the feed once, and a crash in between cannot leave the marker without the
entry (a script runs whole).
"""

from __future__ import annotations

import time

import redis

from connectors.redis_feed import feed
from connectors.webhook.sender import Outcome
from schemas.notify import Notification

_APPEND = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'n', ARGV[3])
  redis.call('PUBLISH', KEYS[3], ARGV[3])
  return id
end
return false
"""


def delivered_key(prefix: str, receiver: str, dedup_key: str) -> str:
    return f"{prefix}delivered:{receiver}:{dedup_key}"


class RedisReceiver:
    def __init__(self, client: redis.Redis, *, prefix: str, max_len: int,
                 dedup_ttl_s: int) -> None:
        self.client = client
        self.prefix = prefix
        self.max_len = max_len
        self.dedup_ttl_s = dedup_ttl_s
        self._script = client.register_script(_APPEND)

    def attempt(self, n: Notification, tenant: str, attempt: int) -> Outcome:
        started = time.perf_counter()
        try:
            entry = self._script(keys=[delivered_key(self.prefix, n.receiver, n.dedup_key),
                               feed.stream_key(tenant, self.prefix),
                               feed.channel(tenant, self.prefix)],
                         args=[self.dedup_ttl_s, self.max_len, feed.encode(n)])
        except redis.RedisError as exc:
            return Outcome(False, True, None, f"Redis: {exc}"[:500], _ms(started))
        return Outcome(True, False, None, "", _ms(started), duplicate=not entry)

    def close(self) -> None:
        return None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
