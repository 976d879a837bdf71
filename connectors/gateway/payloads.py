"""Request bodies -> validated events, with errors that name the item and the field.

A request is all or nothing: if one item is invalid, the client gets a 400 naming it and no
item reaches Kafka, so a client can fix and resend the whole request without duplicates.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from schemas.envelope import Envelope
from schemas.events import AlertEvent, HelpInteractionEvent, MetricSampleEvent, TicketEventEvent
from schemas.validation import describe_errors

KINDS: dict[str, tuple[str, type[Envelope]]] = {
    "metrics": ("metric.sample", MetricSampleEvent),
    "alerts": ("alert", AlertEvent),
    "tickets": ("ticket.event", TicketEventEvent),
    "help": ("help.interaction", HelpInteractionEvent),
}


class PayloadError(Exception):
    def __init__(self, status: int, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.index = index

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message}
        if self.index is not None:
            out["index"] = self.index
        return out


def parse_items(body: bytes, content_type: str) -> list[Any]:
    """A JSON object, a JSON array of objects, or NDJSON (one object per line)."""
    if not body.strip():
        raise PayloadError(400, "empty body: send a JSON object, a JSON array or NDJSON")
    if "ndjson" in content_type or "jsonlines" in content_type:
        items = []
        for n, line in enumerate(body.splitlines()):
            if line.strip():
                try:
                    items.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise PayloadError(400, f"line {n + 1} is not valid JSON: {exc}", n) from None
        return items
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(400, f"body is not valid JSON: {exc}") from None
    return data if isinstance(data, list) else [data]


def request_digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=12).hexdigest()


def build_events(kind: str, items: list[Any], tenant: str, *, source: str,
                 now: datetime | None = None, request_digest: str | None = None
                 ) -> list[Envelope]:
    """Wrap payloads (bare ``data`` objects or envelopes without a tenant) into events.

    An item without an ``id`` gets one derived from the tenant, the request body and its
    position when ``request_digest`` is given, so a client retrying the same request after a
    503 does not create duplicates."""
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
        if "id" not in env:
            env["id"] = (f"{tenant}-{request_digest}-{i}" if request_digest
                         else uuid.uuid4().hex)
        env.setdefault("source", source)
        env.setdefault("time", now)
        env["tenant_id"] = tenant
        try:
            events.append(model.model_validate(env))
        except ValidationError as err:
            raise PayloadError(400, f"item {i}: {describe_errors(err)}", i) from None
    return events


def alertmanager_events(body: bytes, tenant: str, *, now: datetime | None = None
                        ) -> list[AlertEvent]:
    """The Alertmanager webhook payload (version 4): one event per alert object, repeats
    included, since every notification counts for noise metrics."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise PayloadError(400, "expected an Alertmanager webhook payload with an 'alerts' list")
    version = payload.get("version")
    if version is not None and str(version) != "4":
        raise PayloadError(400, f"unsupported Alertmanager webhook version {version!r}; "
                           "this receiver speaks version 4")
    receiver = payload.get("receiver") or "alertmanager"
    source = f"alertmanager/{receiver}"
    items = [{"data": a} for a in payload["alerts"] if isinstance(a, dict)]
    if len(items) != len(payload["alerts"]):
        raise PayloadError(400, "every entry of 'alerts' must be an object")
    return build_events("alerts", items, tenant, source=source, now=now)  # type: ignore[return-value]
