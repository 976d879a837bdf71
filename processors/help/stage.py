"""Registration of the ``help`` stage: help sessions, deflection and help-traffic spikes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from processors.protocol import Stage
from schemas import insight_tables as it


class HelpSettings(BaseModel):
    deflection_window_s: float = Field(1800, gt=0, description="A ticket from the same user "
                                       "this soon after a help session makes it a failed "
                                       "deflection")
    session_gap_s: float = Field(1800, gt=0, description="A session ends after this long "
                                 "without an interaction")
    lateness_s: float = Field(600, ge=0, description="How far (event time) one input may run "
                              "ahead of the other, or an event arrive out of order, without "
                              "changing a result; sessions, outcomes and windows wait this "
                              "long, and what comes later still is counted as late")
    session_memory_s: float = Field(86_400, gt=0, description="How long a closed session's "
                                    "id is remembered, so that a reused id makes a new "
                                    "session with its own event id")
    spike_window_s: int = Field(300, gt=0, le=3600, description="Window of the help-traffic "
                                "counts that spikes are found in")
    spike_min_sessions: int = Field(5, ge=1, description="A window with fewer sessions "
                                    "about a topic at a site is never a spike")
    spike_threshold: float = Field(0.5, gt=0, le=1, description="Score (0..1, log "
                                   "likelihood as the anomaly detectors') that opens a spike")
    spike_warmup_windows: int = Field(12, ge=1, description="Windows of a tenant's help "
                                      "traffic seen before any of its series may spike")
    series_ttl_s: float = Field(2 * 86_400, gt=0, description="A site and topic with no "
                                "traffic for this long (event time) is forgotten, baseline "
                                "and all")


def _build(section: HelpSettings) -> Any:
    from processors.help.processor import HelpProcessor

    return HelpProcessor.from_settings(section)


STAGE = Stage(
    "help", inputs=("help.interaction", "aiops.ticket-insight"),
    outputs=("aiops.help-session", "aiops.help-spike"),
    build=_build, settings=HelpSettings, state_topic="aiops.help-state", timer_interval_s=10.0,
    description="help sessions and deflection, help-traffic spikes per site and topic",
    topics=(it.HELP_SIGNALS_TOPIC, it.HELP_STATE_TOPIC),
    tables=(it.HELP_SESSIONS, it.HELP_SPIKES),
    events=(it.SESSION_EVENT, it.SPIKE_EVENT),
)
