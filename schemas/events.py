"""Input events: metric samples, alerts, ticket events and help-center interactions."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from schemas.envelope import Envelope, NonEmptyStr

ShortStr = Annotated[str, Field(max_length=256)]
LabelName = Annotated[str, Field(min_length=1, max_length=128)]
LabelMap = dict[LabelName, Annotated[str, Field(max_length=1024)]]


class Resource(BaseModel):
    """Where a signal comes from, with OpenTelemetry attribute names (``site`` is ours).

    Other string attributes are kept as they are (``extra="allow"``).
    """

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    service_name: ShortStr | None = Field(default=None, alias="service.name")
    host_name: ShortStr | None = Field(default=None, alias="host.name")
    deployment_environment_name: ShortStr | None = Field(
        default=None, alias="deployment.environment.name"
    )
    cloud_region: ShortStr | None = Field(default=None, alias="cloud.region")
    site: ShortStr | None = None
    __pydantic_extra__: dict[str, ShortStr] = Field(init=False)  # other attributes: strings

    def attributes(self) -> dict[str, str]:
        """All attributes under their wire (OpenTelemetry) names, unset ones left out.

        Built by hand: ``model_dump`` costs several microseconds on the ingest hot path.
        """
        out = {k: v for k, v in (("service.name", self.service_name),
                                 ("host.name", self.host_name),
                                 ("deployment.environment.name", self.deployment_environment_name),
                                 ("cloud.region", self.cloud_region), ("site", self.site))
               if v is not None}
        if self.__pydantic_extra__:
            out.update(self.__pydantic_extra__)
        return out


class MetricSample(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[A-Za-z_][\w.:/-]*$")]
    value: float
    unit: ShortStr = "1"
    timestamp: AwareDatetime
    resource: Resource = Field(default_factory=Resource)

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("value must be a finite number (no NaN or infinity)")
        return v


_ZERO_TIME_PREFIX = "0001-01-01"


def _none_if_zero_time(value: object) -> object:
    """Alertmanager sends ``0001-01-01T00:00:00Z`` for 'not set'."""
    if isinstance(value, str) and value.startswith(_ZERO_TIME_PREFIX):
        return None
    return value


def label_fingerprint(labels: dict[str, str]) -> str:
    """Stable 16-hex fingerprint of a label set, for alerts sent without one."""
    h = hashlib.blake2b(digest_size=8)
    for key in sorted(labels):
        h.update(key.encode())
        h.update(b"\xff")
        h.update(labels[key].encode())
        h.update(b"\xff")
    return h.hexdigest()


class Alert(BaseModel):
    """One alert object as in the Prometheus Alertmanager webhook payload (version 4)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    status: Literal["firing", "resolved"]
    labels: LabelMap
    annotations: LabelMap = Field(default_factory=dict)
    starts_at: AwareDatetime = Field(validation_alias=AliasChoices("startsAt", "starts_at"),
                                     serialization_alias="startsAt")
    ends_at: AwareDatetime | None = Field(default=None,
                                          validation_alias=AliasChoices("endsAt", "ends_at"),
                                          serialization_alias="endsAt")
    generator_url: Annotated[str, Field(max_length=2048)] = Field(
        default="", validation_alias=AliasChoices("generatorURL", "generator_url"),
        serialization_alias="generatorURL")
    fingerprint: Annotated[str, Field(max_length=64)] = ""

    @field_validator("ends_at", mode="before")
    @classmethod
    def _zero_time(cls, v: object) -> object:
        return _none_if_zero_time(v)

    @model_validator(mode="after")
    def _check(self) -> Alert:
        if "alertname" not in self.labels:
            raise ValueError("labels must contain 'alertname'")
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", label_fingerprint(self.labels))
        return self


TicketAction = Literal["created", "commented", "status_changed", "closed"]
TicketPriority = Literal["low", "normal", "high", "urgent"]


class TicketEvent(BaseModel):
    """A help-desk ticket changing: created, commented on, changing status, or closed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket_id: NonEmptyStr
    action: TicketAction
    timestamp: AwareDatetime
    subject: Annotated[str, Field(max_length=1024)] = ""
    text: Annotated[str, Field(max_length=32_768)] = ""
    priority: TicketPriority | None = None
    status: ShortStr | None = None
    requester: ShortStr | None = None
    site: ShortStr | None = None
    service: ShortStr | None = None
    channel: ShortStr | None = None

    @model_validator(mode="after")
    def _check(self) -> TicketEvent:
        if self.action == "created" and not (self.subject or self.text):
            raise ValueError("a 'created' ticket event needs a subject or a text")
        if self.action == "status_changed" and not self.status:
            raise ValueError("a 'status_changed' ticket event needs 'status'")
        return self


HelpKind = Literal["article_view", "vote", "search", "chat_question"]


class HelpInteraction(BaseModel):
    """Someone using the help center: reading, voting, searching, or asking the chatbot."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: HelpKind
    timestamp: AwareDatetime
    session_id: NonEmptyStr
    user_id: ShortStr | None = None
    article_id: ShortStr | None = None
    vote: Literal["up", "down"] | None = None
    query: Annotated[str, Field(max_length=2048)] | None = None
    result_count: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = None
    site: ShortStr | None = None
    service: ShortStr | None = None

    @model_validator(mode="after")
    def _check(self) -> HelpInteraction:
        needs: dict[str, tuple[str, ...]] = {
            "article_view": ("article_id",),
            "vote": ("article_id", "vote"),
            "search": ("query", "result_count"),
            "chat_question": ("query",),
        }
        missing = [f for f in needs[self.kind] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a '{self.kind}' interaction needs {', '.join(missing)}")
        return self


_INPUT_ID_MAX = 256
"""Input ids are shorter than the envelope allows, so the ids derived from them
(``<id>:anomaly``, ``<id>:assign:refire``) always fit."""


class _InputEnvelope(Envelope):
    @field_validator("id")
    @classmethod
    def _short_id(cls, v: str) -> str:
        if len(v) > _INPUT_ID_MAX:
            raise ValueError(f"id must be at most {_INPUT_ID_MAX} characters (got {len(v)})")
        return v


class MetricSampleEvent(_InputEnvelope):
    type: Literal["metric.sample"] = "metric.sample"
    data: MetricSample


class AlertEvent(_InputEnvelope):
    type: Literal["alert"] = "alert"
    data: Alert


class TicketEventEvent(_InputEnvelope):
    type: Literal["ticket.event"] = "ticket.event"
    data: TicketEvent


class HelpInteractionEvent(_InputEnvelope):
    type: Literal["help.interaction"] = "help.interaction"
    data: HelpInteraction


def event_time(ev: Envelope) -> datetime:
    """The time a signal happened, which is what tables are partitioned by."""
    data = getattr(ev, "data", None)
    for attr in ("timestamp", "starts_at"):
        value = getattr(data, attr, None)
        if value is not None:
            return value
    return ev.time
