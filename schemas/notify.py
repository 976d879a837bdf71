"""Notification contracts: what the ``notify`` stage emits, what receivers deliver, silences.

The ``notify`` stage (``processors/notify/``) turns incident versions into notifications, one
per receiver and aggregation group, on ``aiops.notifications`` (that topic *is* the Kafka
receiver). Delivery loops (``pipelines/deliver.py``) hand each one to its webhook or Redis
receiver and record every attempt as an ``aiops.notification-attempt`` event, which the ingest
stage writes to ClickHouse. Silences made at run time (``aiops silence``) live on the
compacted ``aiops.silences`` topic, keyed by silence id, and are stored for analysts too.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from schemas.alert_rules import Matcher
from schemas.derived import Incident, Severity
from schemas.envelope import Envelope, NonEmptyStr
from schemas.insights import CorrelatedIncident, TicketEscalation

ReceiverType = Literal["webhook", "redis", "kafka"]
Status = Literal["firing", "resolved"]
Reason = Literal["new", "changed", "repeat", "resolved"]
"""Why a notification was sent: a new group, a member changed (state, severity, members),
the repeat interval passed with nothing new, or every member resolved."""


class IncidentBrief(BaseModel):
    """What a notification says about one incident (the NOC views fold these by id)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    incident_id: NonEmptyStr
    version: int
    state: Literal["open", "updated", "resolved"]
    title: str
    severity: Severity
    sites: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    alert_count: int = 0
    alert_fingerprints: list[str] = Field(default_factory=list)
    suppressed: bool = False
    merged_into: str | None = None
    correlated: bool = False
    """Joined with ticket or help-center evidence (the correlation stage sets it)."""
    evidence: list[str] = Field(default_factory=list)
    """Latest evidence lines, newest first (alerts, tickets, help searches)."""
    runbook_urls: list[str] = Field(default_factory=list)
    kind: Literal["incident", "user-reported", "ticket"] = "incident"
    """``user-reported``: a correlated incident made of tickets and help searches alone;
    ``ticket``: an escalated ticket (told once, never repeated)."""

    @classmethod
    def of_escalation(cls, e: TicketEscalation) -> IncidentBrief:
        rules = ", ".join(e.rules)
        title = f"Ticket {e.ticket_id} escalated ({rules}): {e.subject or e.detail}"
        return cls(incident_id=f"ticket:{e.ticket_id}", version=1, state="open",
                   title=title[:1024], severity="critical" if "urgency" in e.rules
                   else "warning", sites=[e.site] if e.site else [],
                   services=[e.service] if e.service else [], first_seen=e.timestamp,
                   last_seen=e.timestamp, evidence=[f"ticket: {e.detail}"] if e.detail else [],
                   kind="ticket")

    @classmethod
    def of_correlated(cls, c: CorrelatedIncident, evidence: list[str]) -> IncidentBrief:
        severity = c.severity if c.severity in ("critical", "error", "warning", "info") \
            else "warning"
        return cls(incident_id=c.correlation_id, version=c.version, state=c.state,
                   title=c.title, severity=severity, sites=c.sites,  # type: ignore[arg-type]
                   services=c.services, first_seen=c.first_seen, last_seen=c.last_seen,
                   correlated=True, evidence=evidence, kind="user-reported")

    @classmethod
    def of(cls, inc: Incident, *, max_fingerprints: int = 200) -> IncidentBrief:
        return cls(incident_id=inc.incident_id, version=inc.version, state=inc.state,
                   title=inc.title, severity=inc.severity, sites=inc.sites,
                   services=inc.services, hosts=inc.hosts, first_seen=inc.first_seen,
                   last_seen=inc.last_seen, alert_count=inc.alert_count,
                   alert_fingerprints=inc.alert_fingerprints[:max_fingerprints],
                   suppressed=inc.suppressed, merged_into=inc.merged_into)

    @property
    def is_open(self) -> bool:
        return self.state != "resolved" and self.merged_into is None


class Notification(BaseModel):
    """One message to one receiver about one aggregation group of incidents.

    ``dedup_key`` is the delivery identity: a receiver is handed each key at most once (a
    replayed record with a key already delivered is skipped), and webhooks get it in the
    ``X-AIOps-Dedup-Key`` header so a receiver can deduplicate too.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    notification_id: NonEmptyStr
    dedup_key: NonEmptyStr
    receiver: NonEmptyStr
    receiver_type: ReceiverType
    route: NonEmptyStr
    """Path of the matching route in the routing tree, e.g. ``root/0``."""
    group_key: NonEmptyStr
    group_labels: dict[str, str] = Field(default_factory=dict)
    status: Status
    reason: Reason
    severity: Severity
    title: Annotated[str, Field(min_length=1, max_length=1024)]
    body: Annotated[str, Field(max_length=16_384)] = ""
    incidents: list[IncidentBrief]
    sequence: Annotated[int, Field(ge=1)]
    """1 for a group's first notification to this receiver, then 2, 3, ..."""
    created_at: AwareDatetime
    """When the notify stage emitted it (wall clock)."""
    source_time: AwareDatetime
    """Kafka time of the newest incident version it reports: delivery latency counts from it."""

    @model_validator(mode="after")
    def _members(self) -> Notification:
        if not self.incidents:
            raise ValueError("a notification reports at least one incident")
        return self


class NotificationEvent(Envelope):
    type: Literal["aiops.notification"] = "aiops.notification"
    data: Notification


class DeliveryAttempt(BaseModel):
    """One attempt to hand a notification to a receiver."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notification_id: NonEmptyStr
    dedup_key: NonEmptyStr
    receiver: NonEmptyStr
    receiver_type: ReceiverType
    attempt: Annotated[int, Field(ge=1)]
    status: Literal["delivered", "retry", "failed", "duplicate"]
    """``retry``: failed, another attempt follows; ``failed``: gave up (the notification went
    to the DLQ with the reason); ``duplicate``: its key was delivered before, nothing sent."""
    http_status: int | None = None
    latency_ms: float
    """This attempt's own duration."""
    delay_ms: float
    """From the notification's ``source_time`` to the end of this attempt."""
    error: str = ""
    timestamp: AwareDatetime


class DeliveryAttemptEvent(Envelope):
    type: Literal["aiops.notification-attempt"] = "aiops.notification-attempt"
    data: DeliveryAttempt


class Silence(BaseModel):
    """A silence made at run time: notifications (and alerts) of its tenant that match every
    matcher while ``starts_at <= now < ends_at`` are muted. Expiring sets ``ends_at``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    silence_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    matchers: Annotated[list[Matcher], Field(min_length=1)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    author: Annotated[str, Field(min_length=1, max_length=256)]
    comment: Annotated[str, Field(min_length=1, max_length=4096)]
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @model_validator(mode="after")
    def _span(self) -> Silence:
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self


class SilenceEvent(Envelope):
    type: Literal["aiops.silence"] = "aiops.silence"
    data: Silence
