"""The live feed in Redis: what the Redis receiver writes and the NOC views read.

Per tenant, every notification delivered to a Redis receiver is

- appended to the capped stream ``<prefix>feed:<tenant>`` (``XADD ... MAXLEN ~ N``) with one
  field, ``n``, holding the notification as JSON (``schemas.notify.Notification``), and
- published on the channel ``<prefix>notify:<tenant>`` (the same JSON), for push consumers.

Keys carry the tenant, so a reader given one tenant can never see another's entries. The
stream is the source of truth for the views: they read its tail to build the list of open
incidents (``OpenIncidents``), then block on new entries. ``<prefix>`` is
``AIOPS_REDIS_KEY_PREFIX`` (``aiops:``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from schemas.notify import IncidentBrief, Notification

DEFAULT_PREFIX = "aiops:"
FIELD = b"n"
SEVERITY_RANK = {"critical": 3, "error": 2, "warning": 1, "info": 0}


def stream_key(tenant: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}feed:{tenant}"


def channel(tenant: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}notify:{tenant}"


def encode(n: Notification) -> bytes:
    return orjson.dumps(n.model_dump(mode="json"))


def decode(raw: bytes | str) -> Notification:
    return Notification.model_validate_json(raw)


def entries(raw: Iterable[tuple[bytes | str, dict]]) -> list[tuple[str, Notification]]:
    """``XRANGE``/``XREAD`` entries as (stream id, notification); entries that do not parse
    (written by another version) are skipped."""
    out = []
    for entry_id, fields in raw:
        value = fields.get(FIELD, fields.get("n"))
        if value is None:
            continue
        try:
            n = decode(value)
        except ValueError:
            continue
        out.append((entry_id.decode() if isinstance(entry_id, bytes) else entry_id, n))
    return out


@dataclass
class OpenIncidents:
    """The open incidents of one tenant, folded from feed entries (newest version wins).

    ``keep_resolved_s``: a resolved incident stays listed this long (by its ``last_seen``)
    so an operator sees it close; 0 drops it at once.
    """

    keep_resolved_s: float = 0.0
    incidents: dict[str, IncidentBrief] = field(default_factory=dict)
    last_id: str = "0-0"

    def add(self, entry_id: str, n: Notification) -> list[IncidentBrief]:
        """Fold one entry; returns the incidents it changed."""
        self.last_id = entry_id
        changed = []
        for inc in n.incidents:
            old = self.incidents.get(inc.incident_id)
            if old is not None and old.version > inc.version:
                continue
            self.incidents[inc.incident_id] = inc
            changed.append(inc)
        return changed

    def prune(self, now: float) -> None:
        for iid, inc in list(self.incidents.items()):
            if not inc.is_open and now - inc.last_seen.timestamp() >= self.keep_resolved_s:
                del self.incidents[iid]

    def ordered(self) -> list[IncidentBrief]:
        """Correlated first, then by severity, then most recently active."""
        return sorted(self.incidents.values(),
                      key=lambda i: (not i.correlated, i.is_open is False,
                                     -SEVERITY_RANK.get(i.severity, 0),
                                     -i.last_seen.timestamp()))


def read_tail(client, tenant: str, count: int = 5_000,
              prefix: str = DEFAULT_PREFIX) -> list[tuple[str, Notification]]:
    """The last ``count`` entries of a tenant's stream, oldest first (``redis.Redis``)."""
    raw = client.xrevrange(stream_key(tenant, prefix), count=count)
    return entries(reversed(raw))


def read_after(client, tenant: str, last_id: str, block_ms: int = 1_000, count: int = 1_000,
               prefix: str = DEFAULT_PREFIX) -> list[tuple[str, Notification]]:
    """Entries after ``last_id``, waiting up to ``block_ms`` for the first one."""
    got = client.xread({stream_key(tenant, prefix): last_id}, count=count, block=block_ms)
    out = []
    for _key, raw in got or []:
        out.extend(entries(raw))
    return out


def append(client, n: Notification, tenant: str, *, prefix: str = DEFAULT_PREFIX,
           max_len: int = 10_000) -> str:
    """Append to the tenant's stream and publish on its channel, in one MULTI; returns the
    stream id. (The Redis receiver wraps this with its delivered-key check.)"""
    raw = encode(n)
    pipe = client.pipeline(transaction=True)
    pipe.xadd(stream_key(tenant, prefix), {FIELD: raw}, maxlen=max_len, approximate=True)
    pipe.publish(channel(tenant, prefix), raw)
    entry_id, _ = pipe.execute()
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id
