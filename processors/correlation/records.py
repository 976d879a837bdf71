"""The correlation processor's state: compact records of what arrived, and open correlations.

Records keep only what matching, titles and evidence need (never the envelopes), so a tenant's
state pickles small and fast. Times are event-time seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from processors.correlation import terms as terms_module
from processors.correlation.terms import (
    is_request,
    name_terms,
    not_outage,
    reports_fault,
    site_wide,
    sites_in,
    terms,
)
from schemas.derived import Incident
from schemas.insights import HelpSpike, TicketInsight

INCIDENT, SPIKE, TICKET = 0, 1, 2
"""Kinds, in the order items of the same event time are taken (an incident first, so tickets
of that second meet it)."""
SEVERITIES = ("info", "warning", "error", "critical")


@dataclass(slots=True)
class IncidentRec:
    ref: str
    title: str
    severity: int
    open: bool
    first_seen: float
    last_seen: float
    sites: tuple[str, ...]
    services: tuple[str, ...]
    hosts: tuple[str, ...]
    alerts: int
    terms: frozenset[str]
    origin: dict[str, str]
    """term -> what of the incident gave it ("service vpn-gw"), for the evidence's why."""
    site_wide: bool
    merged_into: str | None = None
    cid: str | None = None
    """The correlation it joined, if any."""

    @property
    def time(self) -> float:
        return max(self.first_seen, self.last_seen)

    def shown(self) -> tuple:
        """What a correlation's reader acts on; alert counts ride along with the next version
        rather than causing one."""
        return self.open, self.severity, self.sites, self.services, self.merged_into


@dataclass(slots=True)
class TicketRec:
    ref: str
    time: float
    """Time of its first text (seq 0, or the first text seen)."""
    last: float
    site: str | None
    site_named: bool
    """True when the site came from the text, not the ticket's site field."""
    service: str | None
    subject: str
    terms: frozenset[str]
    urgent: bool
    sentiment: str
    escalated: bool
    request: bool
    """Its first text asks for something (``terms.is_request``) rather than reports a fault."""
    fault: bool
    """A text of it says something does not work (``terms.reports_fault``)."""
    cid: str | None = None
    learned: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Terms of ``terms`` it has only from the tenant's lexicon -> (its word, the service)."""

    @property
    def own_terms(self) -> frozenset[str]:
        """Its terms from its own texts, without those the lexicon lent it."""
        return self.terms - self.learned.keys() if self.learned else self.terms

    @property
    def negative(self) -> bool:
        return self.sentiment == "negative"

    @property
    def complains(self) -> bool:
        """Saying something does not work, or urgent or negative: a symptom. A request or a
        past, personal problem is none however urgent it was scored ("please add me to ..."
        with a high priority); an escalation alone (an SLA timer, a repeat contact) is none
        either: it says the desk is late, not that something is down."""
        return self.fault or (not self.request and (self.urgent or self.negative))

    @property
    def evidence(self) -> bool:
        """May join anything: a complaint, or a text that is not a mere request."""
        return self.complains or not self.request


@dataclass(slots=True)
class SpikeRec:
    ref: str
    site: str | None
    topic: str
    start: float
    end: float
    count: int
    expected: float
    open: bool
    terms: frozenset[str]
    cid: str | None = None

    @property
    def ratio(self) -> float:
        """Count over baseline, the baseline taken as at least one per window: 43 searches
        where 0.01 were expected reads "43x normal", not "4300x"."""
        return self.count / max(self.expected, 1.0)


@dataclass(slots=True)
class Joined:
    """One evidence item of a correlation: why it joined, how sure, when (event time)."""

    kind: int
    ref: str
    why: str
    confidence: float
    at: float


@dataclass(slots=True)
class Correlation:
    cid: str
    start: float
    """Time of its anchor: the first alert, or the first ticket of a user-reported one."""
    core: dict[str, str]
    """Topic terms evidence must share -> where they came from ("service vpn-gw")."""
    sites: set[str]
    site_wide: bool
    user_reported: bool
    topic: str
    """The main topic term, for the title."""
    anchor: str
    """What ``start`` is, for the why: "the first alert" or "the first ticket"."""
    members: dict[str, Joined] = field(default_factory=dict)
    """``"<kind>:<ref>"`` -> evidence, in joining order."""
    incidents: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    spikes: list[str] = field(default_factory=list)
    last_evidence: float = float("-inf")
    """Event time of the latest ticket or spike (or incident start) it holds."""
    version: int = 0
    last_emit: float = float("-inf")
    pending: bool = False

    def add(self, item: Joined, evidence_time: float) -> None:
        self.members[f"{item.kind}:{item.ref}"] = item
        self.last_evidence = max(self.last_evidence, evidence_time)
        self.pending = True


# -- from envelopes ------------------------------------------------------------------------------
def site_key(site: str | None) -> str | None:
    """Sites compare case-blind ("PAR1" in a ticket form is the alerts' "par1")."""
    return site.strip().lower() or None if site else None


def incident_rec(d: Incident) -> IncidentRec:
    sites = tuple(sorted({k for s in d.sites if (k := site_key(s))}))
    origin: dict[str, str] = {}
    for label, names in (("alert", (d.title.split(" ", 1)[0],)), ("host", d.hosts),
                         ("service", d.services)):
        for name in names:
            for term in name_terms(name, sites):
                origin[term] = f"{label} {name}"
    return IncidentRec(
        ref=d.incident_id, title=d.title, severity=SEVERITIES.index(d.severity),
        open=d.state != "resolved", first_seen=d.first_seen.timestamp(),
        last_seen=d.last_seen.timestamp(), sites=sites, services=tuple(d.services),
        hosts=tuple(d.hosts), alerts=d.alert_count, terms=frozenset(origin), origin=origin,
        site_wide=site_wide(d.title, len(d.services), len(d.hosts)),
        merged_into=d.merged_into)


def ticket_rec(d: TicketInsight, known_sites: Iterable[str]) -> TicketRec:
    """``known_sites``: the tenant's site names, looked for in the text when the ticket has no
    site field (the first one named wins)."""
    t = d.timestamp.timestamp()
    site = site_key(d.site)
    places = tuple(known_sites)
    found, named, request, fault = _read(d.subject, d.excerpt, d.service, places)
    if site is None and named:
        site = named
    if not found and d.topics:  # a language our table does not read: the tickets stage's
        found = terms(d.topics)  # topics ("calls" is phone there, a video call here)
    return TicketRec(
        ref=d.ticket_id, time=t, last=t, site=site,
        site_named=site is not None and site_key(d.site) is None,
        service=d.service, subject=d.subject or d.excerpt[:80],
        terms=found, urgent=d.urgent,
        sentiment=d.sentiment, escalated=d.escalated, request=request, fault=fault)


def clear_caches() -> None:
    """Forget every cached text and name (a benchmark's repeats start cold)."""
    _read.cache_clear()
    name_terms.cache_clear()
    terms_module._site_index.cache_clear()


@lru_cache(maxsize=8192)
def _read(subject: str, excerpt: str, service: str | None, places: tuple[str, ...]
          ) -> tuple[frozenset[str], str | None, bool, bool]:
    """(terms, site named in the text, request, fault) of a ticket text; cached, as thread
    replies and mass reports repeat the same few texts."""
    named = sites_in(f"{subject} {excerpt}", places)
    texts = [subject, excerpt, service] if service else [subject, excerpt]
    over = not_outage(subject, excerpt)
    return (terms(texts, exclude=places), named[0] if named else None,
            is_request(subject, excerpt) or over, reports_fault(subject, excerpt) and not over)


def spike_rec(d: HelpSpike, known_sites: Iterable[str]) -> SpikeRec:
    start = d.window_start.timestamp()
    return SpikeRec(
        ref=d.spike_id, site=site_key(d.site), topic=d.topic, start=start, end=start + d.window_s,
        count=d.count, expected=d.expected, open=d.state == "open",
        terms=terms([d.topic, *d.queries], exclude=known_sites))
