"""Registration of the ``tickets`` stage: ticket texts in, insight and escalations out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from processors.protocol import Stage
from schemas import insight_tables as it


class TicketsSettings(BaseModel):
    rules_path: str = Field("", description="Escalation rules file (YAML); empty: "
                            "config/tickets.yaml")
    thread_ttl_s: float = Field(14 * 86_400, gt=0, description="A ticket thread with no text "
                                "for this long is forgotten")


def _build(section: TicketsSettings) -> Any:
    from processors.tickets.processor import TicketsProcessor

    return TicketsProcessor.from_settings(section)


STAGE = Stage(
    "tickets", inputs=("ticket.event", "ticket.feedback"),
    outputs=("aiops.ticket-insight", "aiops.ticket-escalation", "aiops.ticket-example"),
    build=_build, settings=TicketsSettings, state_topic="aiops.tickets-state",
    timer_interval_s=30.0, side_inputs=("aiops.ticket-example",),
    description="language, sentiment and urgency of every ticket text; escalations",
    topics=(it.TICKET_INSIGHTS_TOPIC, it.TICKET_EXAMPLES_TOPIC, it.TICKETS_STATE_TOPIC),
    tables=(it.TICKET_INSIGHTS, it.TICKET_ESCALATIONS, it.TICKET_EXAMPLES),
    events=(it.INSIGHT_EVENT, it.ESCALATION_EVENT, it.EXAMPLE_EVENT),
)
