"""The one topic table: the runtime, topic creation and docs all read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    key: str
    """What the record key is, which decides partitioning (and so which state meets)."""
    partitions: int
    retention_ms: int
    cleanup_policy: Literal["delete", "compact"] = "delete"
    event_types: tuple[str, ...] = ()
    """Event ``type`` values allowed on the topic; empty means not an event topic (the DLQ)."""
    role: Literal["input", "derived", "dlq", "state"] = "input"
    description: str = ""
    config: dict[str, str] = field(default_factory=dict)

    def kafka_config(self) -> dict[str, str]:
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": self.cleanup_policy,
            **self.config,
        }


TOPICS: tuple[Topic, ...] = (
    Topic("telemetry.metrics", "tenant_id|metric name|resource attributes (series id)", 4,
          3 * DAY_MS, event_types=("metric.sample",),
          description="Metric samples from collectors and replays."),
    Topic("telemetry.alerts", "tenant_id (so one tenant's alerts meet, in order)", 4, 7 * DAY_MS,
          event_types=("alert",), description="Alerts fired by other tools (Alertmanager v4)."),
    Topic("tickets.events", "tenant_id|ticket_id", 2, 14 * DAY_MS,
          event_types=("ticket.event",), description="Help-desk ticket lifecycle events."),
    Topic("help.interactions", "tenant_id|session_id", 2, 7 * DAY_MS,
          event_types=("help.interaction",),
          description="Help-center views, votes, searches and chatbot questions."),
    Topic("aiops.anomalies", "series id", 4, 7 * DAY_MS, event_types=("aiops.anomaly",),
          role="derived", description="Anomaly verdicts on metric samples."),
    Topic("aiops.incidents", "incident_id", 2, 30 * DAY_MS, event_types=("aiops.incident",),
          role="derived", description="Incident versions (open, updated, resolved)."),
    Topic("aiops.alert-assignments", "tenant_id", 4, 7 * DAY_MS,
          event_types=("aiops.alert-assignment",), role="derived",
          description="Which incident each alert notification joined."),
    Topic("aiops.clustering-state", "tenant_id", 4, 30 * DAY_MS, cleanup_policy="compact",
          role="state", description="Changelog of per-tenant clustering state; each record "
          "goes to the partition of telemetry.alerts its tenant is read from."),
    Topic("aiops.ticket-insights", "tenant_id|ticket_id", 2, 14 * DAY_MS,
          event_types=("aiops.ticket-insight",), role="derived",
          description="Ticket sentiment and urgency."),
    Topic("aiops.notifications", "dedup key", 2, 7 * DAY_MS,
          event_types=("aiops.notification",), role="derived",
          description="Notifications for downstream systems."),
    Topic("aiops.anomaly-state", "series id", 4, 30 * DAY_MS, cleanup_policy="compact",
          role="state", description="Changelog of per-series detector state; each record goes "
          "to the partition of telemetry.metrics its series is read from."),
    Topic("aiops.dlq", "source topic", 1, 30 * DAY_MS, role="dlq",
          description="Invalid input: raw bytes in the value, reason and origin in headers."),
)

_BY_NAME = {t.name: t for t in TOPICS}

INPUT_TOPICS: tuple[str, ...] = tuple(t.name for t in TOPICS if t.role == "input")
DLQ_TOPIC = "aiops.dlq"


def topic(name: str) -> Topic:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown topic {name!r}; known: {', '.join(_BY_NAME)}") from None


def topic_for_type(event_type: str) -> Topic:
    for t in TOPICS:
        if event_type in t.event_types:
            return t
    raise KeyError(f"no topic carries event type {event_type!r}")
