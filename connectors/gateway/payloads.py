"""Request bodies -> validated events, with errors that name the item and the field.

Every item of a request is validated before anything is produced, so one bad item gets a 4xx
naming it and nothing of the request reaches Kafka: the client fixes and resends the whole
request. Ids are derived, not random, so a resent request carries the same ids (see ``ids``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from schemas.envelope import Envelope
from schemas.events import (
    Alert,
    AlertEvent,
    HelpInteractionEvent,
    MetricSampleEvent,
    TicketEventEvent,
)
from schemas.insights import TicketFeedbackEvent
from schemas.validation import describe_errors

KINDS: dict[str, tuple[str, type[Envelope]]] = {
    "metrics": ("metric.sample", MetricSampleEvent),
    "alerts": ("alert", AlertEvent),
    "tickets": ("ticket.event", TicketEventEvent),
    "help": ("help.interaction", HelpInteractionEvent),
    "feedback": ("ticket.feedback", TicketFeedbackEvent),
}


class PayloadError(Exception):
    """A 4xx for the client, with the index of the item at fault when there is one."""

    def __init__(self, status: int, message: str, index: int | None = None,
                 **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.index = index
        self.details = details

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message}
        if self.index is not None:
            out["index"] = self.index
        return out | self.details


def loads(body: bytes) -> Any:
    """The body as JSON, or a 400 that says why not."""
    if not body.strip():
        raise PayloadError(400, "empty body: send a JSON object, a JSON array or NDJSON")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(400, f"body is not valid JSON: {exc}") from None


def parse_items(body: bytes, content_type: str) -> list[Any]:
    """A JSON object, a JSON array of objects, or NDJSON (one object per line)."""
    if "ndjson" in content_type or "jsonlines" in content_type:
        if not body.strip():
            raise PayloadError(400, "empty body: send a JSON object, a JSON array or NDJSON")
        items = []
        for n, line in enumerate(body.splitlines()):
            if line.strip():
                try:
                    items.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise PayloadError(400, f"line {n + 1} is not valid JSON: {exc}", n) from None
        return items
    data = loads(body)
    return data if isinstance(data, list) else [data]


def request_digest(*parts: bytes | str) -> str:
    """24 hex characters that change with any byte of the request (and the tenant)."""
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()


def alert_time(alert: Alert, now: datetime) -> datetime:
    """When the alert's state began: ``startsAt`` while firing, ``endsAt`` once resolved.

    Arrival time is only the fallback (a resolved alert without ``endsAt``), so the same
    notifications replayed fast or slow carry the same event times and group the same way."""
    if alert.status == "resolved":
        return alert.ends_at or now
    return alert.starts_at


def build_events(kind: str, items: list[Any], tenant: str, *, source: str, id_prefix: str,
                 now: datetime | None = None) -> list[Envelope]:
    """Wrap payloads (bare ``data`` objects or envelopes without a tenant) into events.

    An item without an ``id`` gets ``<id_prefix>-<position>``: the caller derives the prefix
    from the tenant and the request's content, so a client resending the same request after a
    503 gets the same ids and the sinks keep one row per event."""
    if kind not in KINDS:
        raise PayloadError(404, f"unknown event kind {kind!r}; use one of: {', '.join(KINDS)}")
    etype, model = KINDS[kind]
    now = now or datetime.now(UTC)
    events = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise PayloadError(400, f"item {i} must be a JSON object", i)
        env = dict(item) if "data" in item else {"data": item}
        claimed = env.pop("tenant_id", None)
        if claimed is not None and claimed != tenant:
            raise PayloadError(403, f"item {i} claims tenant_id {claimed!r}, but your token "
                               f"belongs to {tenant!r}; leave tenant_id out", i)
        if env.setdefault("type", etype) != etype:
            raise PayloadError(400, f"item {i} has type {env['type']!r}; /{kind} takes {etype!r}",
                               i)
        env.setdefault("id", f"{id_prefix}-{i}")
        env.setdefault("source", source)
        timed = "time" in env
        env.setdefault("time", now)
        env["tenant_id"] = tenant
        try:
            ev = model.model_validate(env)
        except ValidationError as err:
            raise PayloadError(400, f"item {i}: {describe_errors(err)}", i) from None
        if not timed and isinstance(ev, AlertEvent):
            ev = ev.model_copy(update={"time": alert_time(ev.data, now)})
        events.append(ev)
    return events
