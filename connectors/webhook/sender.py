"""One webhook delivery attempt, and the retry schedule the delivery loop follows.

5xx, 408, 429, timeouts and connection errors are worth retrying; any other 4xx says the
request itself is wrong (a bad URL path, a refused signature), so it is not retried and the
notification goes to the DLQ with the answer.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import httpx

from connectors.webhook import payload, signing
from schemas.notify import Notification
from schemas.routing import Receiver, Retry

RETRYABLE_4XX = {408, 425, 429}


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    retryable: bool
    http_status: int | None
    error: str
    latency_ms: float
    duplicate: bool = False
    """The receiver had this key already (nothing was sent again)."""


def backoff_s(attempt: int, retry: Retry, rng: random.Random | None = None) -> float:
    """Wait after failed attempt ``attempt`` (1-based): exponential, capped, with jitter
    (between half and all of the step), so receivers coming back are not hit in lockstep."""
    step = min(retry.max_backoff, retry.initial_backoff * 2 ** (attempt - 1))
    return step / 2 + (rng or random).random() * step / 2


class WebhookSender:
    def __init__(self, receiver: Receiver, secret: bytes | None,
                 client: httpx.Client | None = None) -> None:
        self.receiver = receiver
        self.secret = secret
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(receiver.timeout), follow_redirects=False,
            headers={"User-Agent": "aiops-pipeline"})

    def attempt(self, n: Notification, tenant: str, attempt: int) -> Outcome:
        data = payload.body(n, tenant, self.receiver.format)
        headers = {"Content-Type": "application/json", "X-AIOps-Dedup-Key": n.dedup_key,
                   "X-AIOps-Notification-Id": n.notification_id, "X-AIOps-Tenant": tenant,
                   "X-AIOps-Attempt": str(attempt), **self.receiver.headers}
        if self.secret is not None:
            headers[signing.HEADER] = signing.sign(self.secret, data)
        started = time.perf_counter()
        try:
            r = self.client.post(self.receiver.url or "", content=data, headers=headers)
        except httpx.TimeoutException as exc:
            return Outcome(False, True, None, f"timed out after {self.receiver.timeout:g} s "
                           f"({type(exc).__name__})", _ms(started))
        except httpx.HTTPError as exc:
            return Outcome(False, True, None, f"{type(exc).__name__}: {exc}"[:500],
                           _ms(started))
        ms = _ms(started)
        if 200 <= r.status_code < 300:
            return Outcome(True, False, r.status_code, "", ms)
        retryable = r.status_code >= 500 or r.status_code in RETRYABLE_4XX
        return Outcome(False, retryable, r.status_code,
                       f"HTTP {r.status_code}: {r.text[:300]}", ms)

    def close(self) -> None:
        self.client.close()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
