"""The event registry: per event type, its model, topic, record key, table and row mapper.

Everything that needs to know about an event type reads it here: validation builds its union
from it, the topic table asks it which types a topic carries, the ingest stage asks it which
table and mapper a valid event goes to, producers ask it for the record key, and the tests
check every entry (with its example) end to end. Built-in types are registered below; a stage
registers the types it adds with ``register_event`` (docs/adding-a-processor.md), which checks
the entry against the topic and table tables at once instead of failing at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas import clickhouse as ch
from schemas.derived import AlertAssignmentEvent, AnomalyEvent, IncidentEvent
from schemas.envelope import Envelope
from schemas.events import AlertEvent, HelpInteractionEvent, MetricSampleEvent, TicketEventEvent
from schemas.insights import TicketFeedbackEvent
from schemas.keys import series_id
from schemas.topics import TOPICS, topic


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    """The CloudEvents ``type`` (the model's ``type`` literal)."""
    model: type[Envelope]
    topic: str
    """The one topic this type travels on (unprefixed name)."""
    key: Callable[[Any], str]
    """Record key; it decides the partition, so which state meets (say it in the topic's
    ``key`` description too)."""
    table: str | None = None
    """ClickHouse table the ingest stage writes it to; None = not stored."""
    row: Callable[[Any], dict] | None = None
    example: Mapping[str, Any] | None = field(default=None, compare=False)
    """A valid wire example: the tests validate it, key it, route it and map it to a row."""


EVENTS: dict[str, EventType] = {}
"""Every registered event type by name, in registration order (extended in place)."""


def register_event(spec: EventType) -> EventType:
    """Add an event type; fails at once, naming what is wrong, if it does not fit."""
    literal = spec.model.model_fields["type"].default
    if literal != spec.name:
        raise ValueError(f"event type {spec.name!r}: its model {spec.model.__name__} has "
                         f"type {literal!r}")
    t = topic(spec.topic)
    if t.role not in ("input", "derived"):
        raise ValueError(f"event type {spec.name!r}: topic {t.name!r} is a {t.role} topic")
    if (spec.table is None) != (spec.row is None):
        raise ValueError(f"event type {spec.name!r}: give both a table and a row mapper, "
                         "or neither")
    if spec.table is not None and spec.table not in ch.TABLES:
        raise ValueError(f"event type {spec.name!r}: no table {spec.table!r} in "
                         "schemas.clickhouse.TABLES (register_table it first)")
    existing = EVENTS.get(spec.name)
    if existing is not None and existing != spec:
        raise ValueError(f"event type {spec.name!r} is already registered differently")
    EVENTS[spec.name] = spec
    return spec


def event_type(name: str) -> EventType:
    try:
        return EVENTS[name]
    except KeyError:
        raise KeyError(f"unknown event type {name!r}; known: {', '.join(EVENTS)}") from None


def types_on(topic_name: str) -> tuple[str, ...]:
    return tuple(e.name for e in EVENTS.values() if e.topic == topic_name)


def sink_topics() -> tuple[str, ...]:
    """Topics whose events the ingest stage writes to ClickHouse, in topic-table order."""
    stored = {e.topic for e in EVENTS.values() if e.table is not None}
    return tuple(t.name for t in TOPICS if t.name in stored)


def record_key(ev: Envelope) -> bytes:
    return EVENTS[ev.type].key(ev).encode()


def _tenant(ev: Envelope) -> str:
    return ev.tenant_id


for _spec in (
    EventType("metric.sample", MetricSampleEvent, "telemetry.metrics", series_id,
              "metrics", ch.metric_row),
    # all of a tenant's alerts in one partition, in order: clustering needs them to meet
    EventType("alert", AlertEvent, "telemetry.alerts", _tenant, "alerts", ch.alert_row),
    # a tenant's tickets and help traffic in one partition each, in order: threads, requester
    # history, deflection and correlation need them to meet (co-partitioned with incidents)
    EventType("ticket.event", TicketEventEvent, "tickets.events", _tenant, "ticket_events",
              ch.ticket_row),
    EventType("ticket.feedback", TicketFeedbackEvent, "tickets.events", _tenant),
    EventType("help.interaction", HelpInteractionEvent, "help.interactions", _tenant,
              "help_interactions", ch.help_row),
    EventType("aiops.anomaly", AnomalyEvent, "aiops.anomalies", lambda ev: ev.data.series_id,
              "anomalies", ch.anomaly_row),
    # a tenant's incidents in one partition, in order: notification groups need them to meet
    EventType("aiops.incident", IncidentEvent, "aiops.incidents", _tenant, "incidents",
              ch.incident_row),
    EventType("aiops.alert-assignment", AlertAssignmentEvent, "aiops.alert-assignments",
              _tenant, "alert_assignments", ch.assignment_row),
):
    register_event(_spec)
