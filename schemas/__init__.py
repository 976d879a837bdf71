"""Wire contracts: event models, the topic table and the ClickHouse DDL.

Imports nothing of ours, so every other layer can depend on it.
"""

from schemas.derived import Anomaly, AnomalyEvent, Incident, IncidentEvent
from schemas.envelope import SCHEMA_VERSION, Envelope
from schemas.events import (
    Alert,
    AlertEvent,
    HelpInteraction,
    HelpInteractionEvent,
    MetricSample,
    MetricSampleEvent,
    Resource,
    TicketEvent,
    TicketEventEvent,
)
from schemas.topics import TOPICS, Topic, topic

__all__ = [
    "SCHEMA_VERSION",
    "TOPICS",
    "Alert",
    "AlertEvent",
    "Anomaly",
    "AnomalyEvent",
    "Envelope",
    "HelpInteraction",
    "HelpInteractionEvent",
    "Incident",
    "IncidentEvent",
    "MetricSample",
    "MetricSampleEvent",
    "Resource",
    "TicketEvent",
    "TicketEventEvent",
    "Topic",
    "topic",
]
