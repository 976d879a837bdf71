"""An open incident's working state, and the plain outputs of the clustering processor."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from schemas.derived import Incident, Severity

SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error", "critical")
_SEVERITY_RANK = {"critical": 3, "page": 3, "fatal": 3, "emergency": 3, "disaster": 3,
                  "error": 2, "high": 2, "major": 2,
                  "warning": 1, "warn": 1, "minor": 1, "medium": 1, "average": 1}

AssignmentKind = Literal["new", "repeat", "resolved", "stale", "refire", "orphan", "remark"]


def severity_rank(label: str) -> int:
    """Our four levels from whatever a source puts in its ``severity`` label (unknown = info)."""
    return _SEVERITY_RANK.get(label.lower(), 0)


def incident_id_for(tenant: str, fingerprint: str, at: float) -> str:
    """Deterministic, so a replay of the same input produces the same ids (idempotent sinks)."""
    digest = hashlib.blake2b(f"{tenant}\0{fingerprint}\0{at:.3f}".encode(), digest_size=8)
    return f"inc-{digest.hexdigest()}"


@dataclass(frozen=True, slots=True)
class Assignment:
    """Which incident a notification went to, and whether its alert is muted (kept, marked)."""

    tenant_id: str
    event_id: str
    fingerprint: str
    kind: AssignmentKind
    status: Literal["firing", "resolved"]
    incident_id: str | None
    template_id: str | None
    suppressed_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentVersion:
    """An ``Incident`` version for ``aiops.incidents`` with what the envelope needs.

    ``suppressed`` is true when every member alert is silenced or inhibited: downstream should
    record it but not page anyone.
    """

    tenant_id: str
    incident: Incident
    suppressed: bool = False


@dataclass(slots=True)
class ClusterOutput:
    incidents: list[IncidentVersion] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)

    def extend(self, other: ClusterOutput) -> None:
        self.incidents.extend(other.incidents)
        self.assignments.extend(other.assignments)


@dataclass(slots=True)
class OpenIncident:
    """Mutable state of one incident until it resolves; scopes feed both title and matching."""

    incident_id: str
    tenant: str
    scope: tuple[str, ...]
    first_seen: float
    last_seen: float
    last_added: float
    members: dict[str, None] = field(default_factory=dict)
    firing: set[str] = field(default_factory=set)
    severity: int = 0
    sites: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    alertnames: Counter[str] = field(default_factory=Counter)
    templates: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    keys: set[tuple[str, ...]] = field(default_factory=set)
    version: int = 0
    last_emit: float = 0.0
    dirty: bool = False
    all_resolved_at: float | None = None
    opened_at: float = 0.0
    """Processing time of its first alert: only young incidents may be folded into another."""

    def add(self, fingerprint: str, attrs: dict[str, str], severity: int, starts_at: float,
            now: float, keys: list[tuple[str, ...]]) -> None:
        """Take a new member, or a member firing again (which does not reopen rule windows:
        a flapping member must not keep an old incident catching new alerts)."""
        if fingerprint not in self.members:
            self.last_added = now
        self.members[fingerprint] = None
        self.firing.add(fingerprint)
        self.all_resolved_at = None
        self.first_seen = min(self.first_seen, starts_at)
        self.last_seen = now
        self.severity = max(self.severity, severity)
        self.alertnames[attrs.get("alertname", "")] += 1
        self.templates.add(attrs["_template"])
        self.keys.update(keys)
        for name, bucket in (("site", self.sites), ("_host", self.hosts)):
            if value := attrs.get(name):
                bucket.add(value)
        if service := attrs.get("service"):  # not job: job="node" names no service
            self.services.add(service)
        self.entities.update(entity_names(attrs))
        self.dirty = True

    def absorb(self, other: OpenIncident) -> None:
        """Take every member and scope of ``other`` (a storm that started as two incidents)."""
        self.members.update(other.members)
        self.firing |= other.firing
        self.all_resolved_at = (None if self.firing else
                                max(self.all_resolved_at or 0.0, other.all_resolved_at or 0.0))
        self.first_seen = min(self.first_seen, other.first_seen)
        self.last_seen = max(self.last_seen, other.last_seen)
        self.last_added = max(self.last_added, other.last_added)
        self.opened_at = min(self.opened_at, other.opened_at)
        self.severity = max(self.severity, other.severity)
        self.alertnames.update(other.alertnames)
        for mine, theirs in ((self.sites, other.sites), (self.services, other.services),
                             (self.hosts, other.hosts), (self.templates, other.templates),
                             (self.entities, other.entities), (self.keys, other.keys)):
            mine |= theirs
        self.dirty = True

    def title(self) -> str:
        """What and where: the commonest alert, how many other kinds, the narrowest scope."""
        top = self.alertnames.most_common()
        what = top[0][0] if top else "alerts"
        if len(top) > 1:
            what += f" and {len(top) - 1} other alert{'s' if len(top) > 2 else ''}"
        if len(self.hosts) == 1:
            where = next(iter(self.hosts))
        elif len(self.services) == 1:
            where = f"{next(iter(self.services))} on {len(self.hosts)} hosts"
        else:
            where = f"{len(self.hosts)} hosts, {len(self.services)} services"
        sites = ", ".join(sorted(self.sites))
        return f"{what} on {where}" + (f" at {sites}" if sites else "")

    def snapshot(self, state: Literal["open", "updated", "resolved"], now: float, *,
                 suppressed: bool = False, merged_into: str | None = None) -> Incident:
        self.version += 1
        self.last_emit, self.dirty = now, False
        first = datetime.fromtimestamp(self.first_seen, UTC)
        last = datetime.fromtimestamp(max(self.first_seen, self.last_seen), UTC)
        return Incident(
            incident_id=self.incident_id, version=self.version, state=state,
            title=self.title()[:1024], severity=SEVERITIES[self.severity],
            sites=sorted(self.sites), services=sorted(self.services), hosts=sorted(self.hosts),
            first_seen=first, last_seen=last, alert_fingerprints=list(self.members),
            alert_count=len(self.members), suppressed=suppressed, merged_into=merged_into)


def entity_names(attrs: dict[str, str]) -> set[str]:
    """Names other alerts' text may mention: the host (full and short) and the service label."""
    out: set[str] = set()
    if host := attrs.get("_host"):
        out.add(host.lower())
        out.add(host.split(".", 1)[0].lower())
    if service := attrs.get("service"):
        out.add(service.lower())
    return out
