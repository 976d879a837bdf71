"""Event builders shared by the tickets stage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from processors.tickets.processor import TicketsProcessor
from processors.tickets.rules import TicketRules
from schemas.events import TicketEventEvent
from schemas.insights import TicketFeedbackEvent

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def ticket(eid: str, ticket_id: str, minute: float, text: str = "", *, action: str = "commented",
           subject: str = "", tenant: str = "acme", **data: Any) -> TicketEventEvent:
    d = {"ticket_id": ticket_id, "action": action, "timestamp": T0 + timedelta(minutes=minute),
         "text": text, "subject": subject, **data}
    return TicketEventEvent(id=eid, source="test", tenant_id=tenant, data=d)


def feedback(eid: str, ticket_id: str, minute: float, verdict: str = "wrong", *,
             tenant: str = "acme", **data: Any) -> TicketFeedbackEvent:
    return TicketFeedbackEvent(id=eid, source="test", tenant_id=tenant, data={
        "ticket_id": ticket_id, "timestamp": T0 + timedelta(minutes=minute),
        "verdict": verdict, **data})


def rules(*items: dict[str, Any]) -> TicketRules:
    return TicketRules.model_validate({"rules": list(items)})


def proc(*items: dict[str, Any], ttl: float = 14 * 86_400.0) -> TicketsProcessor:
    """A processor with only the given escalation rules (none: nothing escalates)."""
    return TicketsProcessor(rules(*items), thread_ttl_s=ttl)


def run(p: TicketsProcessor, events: list[Any], partition: int = 0) -> list[Any]:
    out = []
    for i, e in enumerate(events):
        out += p.on_event(e, partition=partition, now=1000.0 + i)
    return out


def insights(out: list[Any]) -> list[Any]:
    return [e.data for e in out if e.type == "aiops.ticket-insight"]


def escalations(out: list[Any]) -> list[Any]:
    return [e for e in out if e.type == "aiops.ticket-escalation"]
