"""A correlation as people read it: title, severity, overall confidence, evidence list.

The title says what, where and how much: "VPN down at par1: 3 alerts, 5 tickets (2 urgent),
help searches 12x normal"; a correlation no alert backs says so: "Wi-Fi down at lon1,
reported by users (no alerts): 4 tickets (3 urgent)".

Severity is the highest of its alert incidents; users raise it: two or more urgent tickets make
it at least ``error``, and a user-reported one is ``error`` with two urgent tickets, else
``warning``. Overall confidence combines the items' confidences as independent evidence,
``1 - prod(1 - 0.6 c)`` over tickets and spikes (and incidents other than the anchor), times
0.8 when no alert backs it: one sure ticket gives about 0.6, three give about 0.9.
"""

from __future__ import annotations

from datetime import UTC, datetime

from processors.correlation.records import (
    INCIDENT,
    SEVERITIES,
    SPIKE,
    TICKET,
    Correlation,
    IncidentRec,
    SpikeRec,
    TicketRec,
)
from processors.correlation.terms import OUTAGE
from schemas.insights import CorrelatedIncident, Evidence

MAX_EVIDENCE = 100
"""Evidence items listed (incidents and spikes first); every ticket id is still listed."""
_NAMES = {"vpn": "VPN", "wifi": "Wi-Fi", "erp": "ERP", "crm": "CRM", "sso": "SSO",
          "email": "Email", OUTAGE: "Services", "fileshare": "File shares",
          "login": "Login", "phone": "Phones", "printer": "Printing", "network": "Network",
          "power": "Power", "payments": "Payments", "database": "Database"}
_KIND = {INCIDENT: "incident", SPIKE: "help_spike", TICKET: "ticket"}


def topic_name(term: str) -> str:
    return _NAMES.get(term, term[:1].upper() + term[1:])


def _iso(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def build(c: Correlation, state: str, incidents: dict[str, IncidentRec],
          tickets: dict[str, TicketRec], spikes: dict[str, SpikeRec], now: float,
          cache: EvidenceCache | None = None) -> CorrelatedIncident:
    """The next version of ``c`` (``state``: open, updated or resolved) at event time ``now``."""
    c.version += 1
    c.last_emit, c.pending = now, False
    incs = [incidents[r] for r in c.incidents if r in incidents]
    tks = [tickets[r] for r in c.tickets if r in tickets]
    sps = [spikes[r] for r in c.spikes if r in spikes]
    urgent = sum(t.urgent for t in tks)
    negative = sum(t.negative for t in tks)
    rank = max((i.severity for i in incs), default=2 if urgent >= 2 else 1)
    if urgent >= 2:
        rank = max(rank, 2)
    times = [c.start, *(i.time for i in incs), *(t.last for t in tks), *(p.end for p in sps)]
    services = sorted({s for i in incs for s in i.services} | {t.service for t in tks
                                                                if t.service})
    return CorrelatedIncident(
        correlation_id=c.cid, version=c.version, state=state,  # type: ignore[arg-type]
        title=title(c, incs, tks, sps)[:1024], severity=SEVERITIES[rank],
        sites=sorted(c.sites), services=services[:50], first_seen=_iso(c.start),
        last_seen=_iso(max(times)), incident_ids=[i.ref for i in incs],
        ticket_ids=[t.ref for t in tks], spike_ids=[p.ref for p in sps],
        evidence=evidence(c, incs, tks, sps, cache), confidence=confidence(c),
        urgent_tickets=urgent, negative_tickets=negative)


def title(c: Correlation, incs: list[IncidentRec], tks: list[TicketRec],
          sps: list[SpikeRec]) -> str:
    urgent = sum(t.urgent for t in tks)
    critical = any(i.severity >= 3 for i in incs)
    topic = c.topic or next(iter(c.core), "")
    what = topic_name(topic) if topic and topic != OUTAGE else "Services"
    state = "down" if critical or urgent >= 2 or not incs else "degraded"
    if topic == OUTAGE and incs:
        what, state = "Site-wide outage", ""
    where = f" at {', '.join(sorted(c.sites))}" if c.sites else ""
    head = f"{what}{' ' + state if state else ''}{where}"
    parts = []
    if incs:
        alerts = sum(i.alerts for i in incs)
        parts.append(f"{alerts} alert{'s' if alerts != 1 else ''}")
    else:
        head += ", reported by users (no alerts)"
    if tks:
        parts.append(f"{len(tks)} ticket{'s' if len(tks) != 1 else ''}"
                     + (f" ({urgent} urgent)" if urgent else ""))
    if sps:
        parts.append(f"help searches {max(p.ratio for p in sps):.0f}x normal")
    return f"{head}: {', '.join(parts)}" if parts else head


def confidence(c: Correlation) -> float:
    miss = 1.0
    for j in c.members.values():
        if j.why != "anchor":
            miss *= 1.0 - 0.6 * j.confidence
    conf = 1.0 - miss
    if c.user_reported:
        conf *= 0.8
    return round(min(max(conf, 0.01), 0.99), 3)


EvidenceCache = dict[tuple[str, int, str], tuple[tuple, Evidence]]
"""(correlation, kind, ref) -> (what it was made from, the Evidence): a correlation's items are
re-sent with every version, and most do not change between versions."""


def evidence(c: Correlation, incs: list[IncidentRec], tks: list[TicketRec],
             sps: list[SpikeRec], cache: EvidenceCache | None = None) -> list[Evidence]:
    titles = {(INCIDENT, i.ref): i.title for i in incs}
    titles.update({(TICKET, t.ref): t.subject for t in tks})
    titles.update({(SPIKE, p.ref): f"{p.topic} at {p.site or '?'}: {p.count} in "
                   f"{p.end - p.start:.0f} s" for p in sps})
    flags = {t.ref: t for t in tks}
    cache = {} if cache is None else cache
    items = sorted(c.members.values(), key=lambda j: (j.kind, j.at))
    out = []
    for j in items[:MAX_EVIDENCE]:
        title = titles.get((j.kind, j.ref))
        if title is None:
            continue  # forgotten record (restored from an older state)
        t = flags.get(j.ref) if j.kind == TICKET else None
        stamp = (title, t.urgent, t.sentiment) if t else (title,)
        key = (c.cid, j.kind, j.ref)
        hit = cache.get(key)
        if hit is None or hit[0] != stamp:
            why = "first alert incident of this correlation" if j.why == "anchor" else j.why
            # built from checked parts (why cut to 512, confidence in 0..1): not validated again
            hit = cache[key] = (stamp, Evidence.model_construct(
                kind=_KIND[j.kind], ref=j.ref, title=title[:512], why=why[:512],
                confidence=round(j.confidence, 3), joined_at=_iso(j.at),
                urgent=t.urgent if t else None, sentiment=t.sentiment if t else None))
        out.append(hit[1])
    return out
