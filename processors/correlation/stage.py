"""Registration of the ``correlation`` stage: alert incidents, tickets and help spikes of one
tenant and scope joined into correlated incidents (rules: ``processors/correlation/``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from processors.protocol import Stage
from schemas import insight_tables as it


class CorrelationSettings(BaseModel):
    window_s: float = Field(3600, gt=0, description="How far apart in time evidence may be "
                            "and still join: a ticket or spike this long after its incident "
                            "resolved, and how long unmatched ones are held")
    lead_s: float = Field(1800, ge=0, description="How long before the first alert a ticket "
                          "or spike may be and still join (users often notice first)")
    reorder_s: float = Field(120, ge=0, description="Inputs are taken in event-time order "
                             "once any input of the tenant is this far past them: the skew "
                             "between input topics that leaves results unchanged")
    spike_delay_s: float = Field(600, ge=0, description="How long after its window a help "
                                 "spike is written (the help stage's lateness_s): spikes are "
                                 "put in event-time order at their window end plus this")
    quiet_s: float = Field(1800, gt=0, description="A correlation closes once its incidents "
                           "resolved and nothing new joined for this long")
    update_s: float = Field(30, ge=0, description="Updates of a correlation are emitted at "
                            "most this often (its first version at once)")
    user_window_s: float = Field(1800, gt=0, description="Tickets this close in time may form "
                                 "a correlation with no alert")
    user_min_tickets: int = Field(3, ge=1, description="Tickets at one site about one topic "
                                  "that form a correlation with no alert ...")
    user_min_urgent: int = Field(0, ge=0, description="... when this many of them are urgent "
                                 "or escalated (each must complain: urgent, negative or "
                                 "saying something does not work)")
    user_min_with_spike: int = Field(2, ge=1, description="Or this many tickets and a help "
                                     "spike there about that topic")
    max_open_s: float = Field(86_400, gt=0, description="A correlation with no activity for "
                              "this long closes whatever its parts say")


def _build(section: CorrelationSettings) -> Any:
    from processors.correlation.processor import CorrelationProcessor

    return CorrelationProcessor.from_settings(section)


STAGE = Stage(
    "correlation",
    inputs=("aiops.incident", "aiops.ticket-insight", "aiops.help-spike"),
    outputs=("aiops.correlated-incident",),
    build=_build, settings=CorrelationSettings, state_topic="aiops.correlation-state",
    timer_interval_s=10.0,
    description="join alert incidents, tickets and help spikes into correlated incidents",
    topics=(it.CORRELATION_STATE_TOPIC,), tables=(it.CORRELATED_INCIDENTS,),
    events=(it.CORRELATED_EVENT,),
)
