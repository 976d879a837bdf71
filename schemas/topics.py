"""The one topic table: the runtime, topic creation and docs all read it.

Which event types travel on a topic is not listed here but in the event registry
(``schemas.registry``): each event type names its topic, so the two cannot disagree. A stage
may add a topic of its own with ``register_topic`` (see docs/adding-a-processor.md).
"""

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
    role: Literal["input", "derived", "dlq", "state"] = "input"
    description: str = ""
    config: dict[str, str] = field(default_factory=dict)

    @property
    def event_types(self) -> tuple[str, ...]:
        """Event ``type`` values allowed on the topic (from the registry); empty for the DLQ
        and state topics."""
        from schemas.registry import types_on

        return types_on(self.name)

    def kafka_config(self) -> dict[str, str]:
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": self.cleanup_policy,
            **self.config,
        }


TOPICS: list[Topic] = [
    Topic("telemetry.metrics", "tenant_id|metric name|resource attributes (series id)", 4,
          3 * DAY_MS, description="Metric samples from collectors and replays."),
    Topic("telemetry.alerts", "tenant_id (so one tenant's alerts meet, in order)", 4, 7 * DAY_MS,
          description="Alerts fired by other tools (Alertmanager v4)."),
    Topic("tickets.events", "tenant_id (so one tenant's tickets meet, in order)", 2,
          14 * DAY_MS, description="Help-desk ticket lifecycle events and operator feedback."),
    Topic("help.interactions", "tenant_id (so one tenant's help traffic meets its tickets)", 2,
          7 * DAY_MS,
          description="Help-center views, votes, searches and chatbot questions."),
    Topic("aiops.anomalies", "series id", 4, 7 * DAY_MS,
          role="derived", description="Anomaly verdicts on metric samples."),
    Topic("aiops.incidents", "tenant_id (so one tenant's incidents meet, in order)", 2, 30 * DAY_MS,
          role="derived", description="Incident versions (open, updated, resolved)."),
    Topic("aiops.alert-assignments", "tenant_id", 4, 7 * DAY_MS, role="derived",
          description="Which incident each alert notification joined."),
    Topic("aiops.clustering-state", "tenant_id", 4, 30 * DAY_MS, cleanup_policy="compact",
          role="state", description="Changelog of per-tenant clustering state; each record "
          "goes to the partition of telemetry.alerts its tenant is read from."),
    Topic("aiops.notifications", "tenant, route and group (one group's notifications meet, "
          "in order)", 2, 7 * DAY_MS, role="derived",
          description="Notifications, one per receiver and group (the Kafka receiver: read "
          "those whose receiver is yours)."),
    Topic("aiops.anomaly-state", "series id", 4, 30 * DAY_MS, cleanup_policy="compact",
          role="state", description="Changelog of per-series detector state; each record goes "
          "to the partition of telemetry.metrics its series is read from."),
    Topic("aiops.dlq", "source topic", 1, 30 * DAY_MS, role="dlq",
          description="Invalid input: raw bytes in the value, reason and origin in headers."),
]
"""Every topic; stages add theirs with ``register_topic`` (the list is extended in place, so
every reader sees them)."""

INPUT_TOPICS: tuple[str, ...] = tuple(t.name for t in TOPICS if t.role == "input")
DLQ_TOPIC = "aiops.dlq"


def register_topic(t: Topic) -> Topic:
    """Add a stage's own topic; registering the same definition twice is a no-op."""
    existing = next((x for x in TOPICS if x.name == t.name), None)
    if existing is not None:
        if existing != t:
            raise ValueError(f"topic {t.name!r} is already registered with another definition")
        return existing
    if t.role == "input":
        raise ValueError(f"topic {t.name!r}: stages may add derived or state topics, not inputs")
    TOPICS.append(t)
    return t


def topic(name: str) -> Topic:
    for t in TOPICS:
        if t.name == name:
            return t
    raise KeyError(f"unknown topic {name!r}; known: {', '.join(t.name for t in TOPICS)}")


def topic_for_type(event_type: str) -> Topic:
    from schemas.registry import event_type as spec

    return topic(spec(event_type).topic)
