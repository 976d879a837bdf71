"""Turn raw bytes from a topic into a typed event, or into a precise reason why not.

Errors are data: ``parse_event`` never raises on bad input, it returns an ``Invalid`` with a
machine-readable ``code`` (for DLQ dashboards) and a human ``message`` naming the bad field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, ValidationError

from schemas.registry import EVENTS

_adapter: tuple[int, TypeAdapter] | None = None


def event_types() -> tuple[str, ...]:
    """Every registered event type (built-in ones and those stages added)."""
    return tuple(EVENTS)


def _any_event() -> TypeAdapter:
    """One discriminated union over the registry, rebuilt only when a type was added."""
    global _adapter
    if _adapter is None or _adapter[0] != len(EVENTS):
        models = tuple(e.model for e in EVENTS.values())
        union = Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007
        _adapter = (len(EVENTS), TypeAdapter(union))
    return _adapter[1]


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
        expected = ", ".join(event_types())
        return "unknown_type", f"missing 'type' attribute; expected one of: {expected}"
    if kind == "union_tag_invalid":
        tag = first.get("ctx", {}).get("tag", "?")
        return "unknown_type", f"unknown event type {tag!r}; expected one of: " + ", ".join(
            event_types())
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
) -> Any:
    """Validate one record value into its registered model, or an ``Invalid``.
    ``allowed_types`` empty means any event type."""
    if raw is None:
        return Invalid("not_json", "empty record value (tombstone)")
    if len(raw) > max_bytes:
        return Invalid("oversized", f"event is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        event = _any_event().validate_json(raw)
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
