"""Events the pipeline derives: anomalies, incidents, alert assignments (notifications:
``schemas/notify.py``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from schemas.envelope import Envelope, NonEmptyStr
from schemas.events import Resource

Severity = Literal["info", "warning", "error", "critical"]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


class Anomaly(BaseModel):
    """A detector's verdict on one metric sample."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    series_id: NonEmptyStr
    name: NonEmptyStr
    timestamp: AwareDatetime
    value: float
    score: Score
    expected: float | None = None
    lower: float | None = None
    upper: float | None = None
    detector: NonEmptyStr
    is_anomaly: bool
    resource: Resource = Field(default_factory=Resource)

    @model_validator(mode="after")
    def _band(self) -> Anomaly:
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError("lower bound is above upper bound")
        return self


class Incident(BaseModel):
    """One version of an incident; the highest ``version`` of an ``incident_id`` is current."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    incident_id: NonEmptyStr
    version: Annotated[int, Field(ge=1)]
    state: Literal["open", "updated", "resolved"]
    title: Annotated[str, Field(min_length=1, max_length=1024)]
    severity: Severity
    sites: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    alert_fingerprints: list[str] = Field(default_factory=list)
    alert_count: Annotated[int, Field(ge=0)] = 0
    suppressed: bool = False
    """Every member is silenced or inhibited: kept and shown, but not to be paged on."""
    merged_into: str | None = None
    """Set on the final version of an incident folded into another one."""

    @model_validator(mode="after")
    def _times(self) -> Incident:
        if self.last_seen < self.first_seen:
            raise ValueError("last_seen is before first_seen")
        return self


class AlertAssignment(BaseModel):
    """Which incident an alert notification went to, and whether it is muted (kept, marked)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_event_id: NonEmptyStr
    fingerprint: NonEmptyStr
    kind: Literal["new", "repeat", "resolved", "stale", "refire", "orphan", "remark"]
    status: Literal["firing", "resolved"]
    incident_id: str | None = None
    template_id: str | None = None
    suppressed_by: list[str] = Field(default_factory=list)
    timestamp: AwareDatetime


class AnomalyEvent(Envelope):
    type: Literal["aiops.anomaly"] = "aiops.anomaly"
    data: Anomaly


class IncidentEvent(Envelope):
    type: Literal["aiops.incident"] = "aiops.incident"
    data: Incident


class AlertAssignmentEvent(Envelope):
    type: Literal["aiops.alert-assignment"] = "aiops.alert-assignment"
    data: AlertAssignment
