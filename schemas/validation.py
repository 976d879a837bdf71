"""Turn raw bytes from a topic into a typed event, or into a precise reason why not.

Errors are data: ``parse_event`` never raises on bad input, it returns an ``Invalid`` with a
machine-readable ``code`` (for DLQ dashboards) and a human ``message`` naming the bad field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter, ValidationError

from schemas.derived import (
    AlertAssignmentEvent,
    AnomalyEvent,
    IncidentEvent,
    NotificationEvent,
)
from schemas.events import AlertEvent, HelpInteractionEvent, MetricSampleEvent, TicketEventEvent

AnyEvent = Annotated[
    MetricSampleEvent
    | AlertEvent
    | TicketEventEvent
    | HelpInteractionEvent
    | AnomalyEvent
    | IncidentEvent
    | AlertAssignmentEvent
    | NotificationEvent,
    Field(discriminator="type"),
]
EVENT_TYPES: tuple[str, ...] = (
    "metric.sample", "alert", "ticket.event", "help.interaction",
    "aiops.anomaly", "aiops.incident", "aiops.alert-assignment", "aiops.notification",
)
_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)

ReasonCode = Literal[
    "oversized", "not_json", "unknown_type", "wrong_topic", "missing_tenant", "schema"
]
DEFAULT_MAX_EVENT_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Invalid:
    code: ReasonCode
    message: str


def _describe(err: ValidationError) -> tuple[ReasonCode, str]:
    errors = err.errors(include_url=False)
    first = errors[0]
    kind = first["type"]
    if kind == "json_invalid":
        return "not_json", f"not valid JSON: {first['msg']}"
    if kind == "union_tag_not_found":
        expected = ", ".join(EVENT_TYPES)
        return "unknown_type", f"missing 'type' attribute; expected one of: {expected}"
    if kind == "union_tag_invalid":
        tag = first.get("ctx", {}).get("tag", "?")
        return "unknown_type", f"unknown event type {tag!r}; expected one of: " + ", ".join(
            EVENT_TYPES
        )
    if not first["loc"]:
        return "not_json", f"expected a JSON object at the top level ({first['msg']})"
    code: ReasonCode = "schema"
    if any(e["loc"][1:] == ("tenant_id",) and e["type"] == "missing" for e in errors):
        code = "missing_tenant"
    # loc starts with the union tag (e.g. 'metric.sample'); drop it for readability.
    return code, describe_errors(err, skip=1)


def describe_errors(err: ValidationError, *, skip: int = 0, limit: int = 5) -> str:
    """'field.path: what is wrong (got value)' for the first ``limit`` errors."""
    errors = err.errors(include_url=False)
    parts = []
    for e in errors[:limit]:
        loc = ".".join(str(p) for p in e["loc"][skip:]) or "(event)"
        value = e.get("input")
        quiet = e["type"] in ("missing", "value_error") or isinstance(value, dict | list)
        shown = "" if quiet else f" (got {value!r:.60})"
        parts.append(f"{loc}: {e['msg']}{shown}")
    more = f" (+{len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(parts) + more


def parse_event(
    raw: bytes,
    *,
    allowed_types: tuple[str, ...] = (),
    topic: str = "",
    max_bytes: int = DEFAULT_MAX_EVENT_BYTES,
) -> AnyEvent | Invalid:
    """Validate one record value. ``allowed_types`` empty means any event type."""
    if raw is None:
        return Invalid("not_json", "empty record value (tombstone)")
    if len(raw) > max_bytes:
        return Invalid("oversized", f"event is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        event = _ADAPTER.validate_json(raw)
    except ValidationError as err:
        code, message = _describe(err)
        return Invalid(code, message)
    if allowed_types and event.type not in allowed_types:
        return Invalid(
            "wrong_topic",
            f"event type {event.type!r} does not belong on topic {topic!r} "
            f"(expected {', '.join(allowed_types)})",
        )
    return event
