"""HMAC-SHA256 request signatures, so a receiver can tell our requests from forged ones.

Header ``X-AIOps-Signature: t=<unix seconds>,v1=<hex>``, where ``v1`` is
``HMAC-SHA256(secret, "<t>." + body)``. Signing the time too lets a receiver refuse a
replayed request (``verify`` allows ``tolerance_s`` of clock difference, 5 minutes by default).
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-AIOps-Signature"


def sign(secret: bytes, body: bytes, now: float | None = None) -> str:
    t = int(time.time() if now is None else now)
    mac = hmac.new(secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: bytes, header: str, body: bytes, *, tolerance_s: float = 300.0,
           now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` within the time tolerance."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - t) > tolerance_s:
        return False
    expected = hmac.new(secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), parts.get("v1", "").encode())
