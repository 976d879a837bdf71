"""Contracts of the help-desk side: ticket insight, escalation, feedback, help sessions and
spikes, and the correlated incident that joins them with alert incidents.

Every topic here is keyed by tenant, as ``tickets.events``, ``help.interactions`` and
``aiops.incidents`` are: one tenant's tickets, help traffic and incidents meet in one
partition of each, so the ``help`` and ``correlation`` stages can read several of them at once
(co-partitioned inputs, docs/stages.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.envelope import Envelope, NonEmptyStr
from schemas.events import ShortStr, _InputEnvelope

Sentiment = Literal["negative", "neutral", "positive"]
Score = Annotated[float, Field(ge=0.0, le=1.0)]
Signed = Annotated[float, Field(ge=-1.0, le=1.0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- input: operator feedback ------------------------------------------------------------------
class TicketFeedback(_Frozen):
    """An operator saying a ticket decision was right or wrong; the tickets stage learns from
    it. ``insight_id`` names the judged text (default: the one that escalated, else the
    latest); ``urgent`` and ``sentiment`` give the right answer where the operator knows it
    (``verdict: wrong`` on an escalation alone means "not urgent")."""

    ticket_id: NonEmptyStr
    timestamp: AwareDatetime
    verdict: Literal["right", "wrong"]
    insight_id: ShortStr | None = None
    urgent: bool | None = None
    sentiment: Sentiment | None = None
    by: ShortStr | None = None
    comment: Annotated[str, Field(max_length=2048)] = ""


class TicketFeedbackEvent(_InputEnvelope):
    type: Literal["ticket.feedback"] = "ticket.feedback"
    data: TicketFeedback


# -- tickets stage -----------------------------------------------------------------------------
class Reason(_Frozen):
    """One part of a verdict an analyst can check: what was found and what it weighed."""

    kind: ShortStr
    """e.g. ``safety``, ``security``, ``scope``, ``deadline``, ``resolved``, ``thread``,
    ``negative_words``, ``learned``."""
    evidence: Annotated[str, Field(max_length=256)] = ""
    weight: float = 0.0


class TicketInsight(_Frozen):
    """What one ticket text says: language, sentiment, urgency, and why."""

    ticket_id: NonEmptyStr
    text_id: NonEmptyStr
    """Envelope id of the ticket event the text came from."""
    seq: Annotated[int, Field(ge=0)]
    """0 for the text the ticket was created with, then 1, 2, ... per text in the thread."""
    action: ShortStr
    timestamp: AwareDatetime
    requester: ShortStr | None = None
    site: ShortStr | None = None
    service: ShortStr | None = None
    subject: Annotated[str, Field(max_length=1024)] = ""
    excerpt: Annotated[str, Field(max_length=512)] = ""
    language: ShortStr
    """ISO 639-1, ``hi-latn``/``te-latn`` for romanised Hindi/Telugu, ``und`` if unknown."""
    readable: bool
    """False: a language the scorers do not read; sentiment stays neutral and urgency comes
    from the thread and language-free facts only."""
    sentiment: Sentiment
    sentiment_score: Signed
    urgency: Score
    urgent: bool
    thread_urgent: bool = False
    """The thread was urgent before this text (an outage still going on)."""
    reasons: list[Reason] = Field(default_factory=list)
    topics: list[ShortStr] = Field(default_factory=list)
    """Services or things the text is about (vpn, email, power, ...), for correlation."""
    escalated: bool = False


class TicketInsightEvent(Envelope):
    type: Literal["aiops.ticket-insight"] = "aiops.ticket-insight"
    data: TicketInsight


class TicketEscalation(_Frozen):
    """A ticket an operations person should look at now, and the rule parts that said so."""

    ticket_id: NonEmptyStr
    text_id: NonEmptyStr
    timestamp: AwareDatetime
    rules: list[ShortStr] = Field(min_length=1)
    """Which rules fired: ``urgency``, ``sentiment_worsening``, ``repeat_contact``, ``sla_age``."""
    urgency: Score
    sentiment: Sentiment
    subject: Annotated[str, Field(max_length=1024)] = ""
    requester: ShortStr | None = None
    site: ShortStr | None = None
    service: ShortStr | None = None
    detail: Annotated[str, Field(max_length=1024)] = ""


class TicketEscalationEvent(Envelope):
    type: Literal["aiops.ticket-escalation"] = "aiops.ticket-escalation"
    data: TicketEscalation


class TicketExample(_Frozen):
    """A labelled text the tickets stage learns from, made from operator feedback. Every
    worker follows these (a side input), so all learn the same model in the same order."""

    ticket_id: NonEmptyStr
    text_id: NonEmptyStr
    timestamp: AwareDatetime
    text: Annotated[str, Field(max_length=4096)]
    language: ShortStr
    urgent: bool | None = None
    sentiment: Sentiment | None = None
    predicted_urgent: bool
    predicted_sentiment: Sentiment


class TicketExampleEvent(Envelope):
    type: Literal["aiops.ticket-example"] = "aiops.ticket-example"
    data: TicketExample


# -- help stage --------------------------------------------------------------------------------
class HelpSession(_Frozen):
    """One help-center session, closed, and whether it deflected a ticket."""

    session_id: NonEmptyStr
    user_id: ShortStr | None = None
    site: ShortStr | None = None
    started_at: AwareDatetime
    ended_at: AwareDatetime
    interactions: Annotated[int, Field(ge=0)]
    articles: list[ShortStr] = Field(default_factory=list)
    queries: list[Annotated[str, Field(max_length=256)]] = Field(default_factory=list)
    """Normalised search and chat queries, in order."""
    zero_result_queries: list[Annotated[str, Field(max_length=256)]] = Field(
        default_factory=list)
    outcome: Literal["deflected", "failed", "unknown"]
    """failed: the same user opened a ticket within the window after the session; unknown:
    no user id, so no ticket can be linked."""
    ticket_id: ShortStr | None = None


class HelpSessionEvent(Envelope):
    type: Literal["aiops.help-session"] = "aiops.help-session"
    data: HelpSession


class HelpSpike(_Frozen):
    """Views or searches about one topic at one site far above their baseline."""

    spike_id: NonEmptyStr
    site: ShortStr | None = None
    topic: NonEmptyStr
    window_start: AwareDatetime
    window_s: Annotated[int, Field(gt=0)]
    count: Annotated[int, Field(ge=0)]
    expected: float
    score: Score
    state: Literal["open", "resolved"] = "open"
    sessions: list[ShortStr] = Field(default_factory=list)
    """Sessions that made the spike (capped), so it can be linked and checked."""
    queries: list[Annotated[str, Field(max_length=256)]] = Field(default_factory=list)


class HelpSpikeEvent(Envelope):
    type: Literal["aiops.help-spike"] = "aiops.help-spike"
    data: HelpSpike


# -- correlation stage -------------------------------------------------------------------------
class Evidence(_Frozen):
    kind: Literal["incident", "ticket", "help_spike"]
    ref: NonEmptyStr
    """incident id, ticket id or spike id."""
    title: Annotated[str, Field(max_length=512)] = ""
    why: Annotated[str, Field(max_length=512)]
    confidence: Score
    joined_at: AwareDatetime
    urgent: bool | None = None
    sentiment: Sentiment | None = None


class CorrelatedIncident(_Frozen):
    correlation_id: NonEmptyStr
    version: Annotated[int, Field(ge=1)]
    state: Literal["open", "updated", "resolved"]
    title: Annotated[str, Field(min_length=1, max_length=1024)]
    severity: ShortStr
    sites: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    incident_ids: list[str] = Field(default_factory=list)
    ticket_ids: list[str] = Field(default_factory=list)
    spike_ids: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: Score
    urgent_tickets: Annotated[int, Field(ge=0)] = 0
    negative_tickets: Annotated[int, Field(ge=0)] = 0


class CorrelatedIncidentEvent(Envelope):
    type: Literal["aiops.correlated-incident"] = "aiops.correlated-incident"
    data: CorrelatedIncident


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")
