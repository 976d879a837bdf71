"""The one interface every correlation scenario generator implements (``gen_a``, ``gen_b``,
``gen_c``, each written by a different author): the events, and which of them each outage
caused."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outage:
    id: str
    tenant: str
    site: str
    service: str | None
    """None for a whole-site loss."""
    start: float
    end: float
    alert_ids: list[str] = field(default_factory=list)
    """Envelope ids of its alert events."""
    ticket_ids: list[str] = field(default_factory=list)
    help_session_ids: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    events: list[dict]
    """Wire envelopes, sorted by event time."""
    outages: list[Outage]
