"""One tenant's correlations: evidence taken in event-time order, joined, formed, closed.

The processor hands items over in event-time order (``processor.py`` holds them back to
sort them); here every decision is made at the tenant's own clock, the time of the item
being taken, so the same items give the same correlations at any replay speed.

- An **alert incident** joins an open correlation it matches (``matching.py``), or else
  gathers the held tickets and spikes that match it and opens a new correlation anchored on
  it. Alone it waits (an incident nobody complains about is not repeated here: it is on
  ``aiops.incidents`` already).
- A **ticket** or **help spike** joins the best scope it matches: an open correlation, or a
  waiting incident (which then opens one, if the evidence is ``strong_enough``). An item with
  no site joins only when exactly one scope fits it (or only one meets it on a named subject
  rather than on "things are down") and no other site is reporting the same trouble.
  Otherwise it is held for ``hold_s``. A site-wide incident also takes the fault reports from
  its site about any of the tenant's services (learned from its alerts and ticket service
  fields, forgotten after a week). A ticket also meets an incident through words the
  tenant's own tickets use for a service ("stock levels" for ``inventory``: ``lexicon.py``).
- **Reported by users, no alerts**: held tickets that complain (saying something does not
  work, or urgent or negative and no request) at one site about one subject of the synonym table
  open a correlation on their own when, within ``user_window_s``, there are
  ``user_min_tickets`` (3) of them (``user_min_urgent`` of them urgent: 0 by default, since
  urgency scoring misses many plain fault reports), or ``user_min_with_spike`` (2) of them
  and a help spike there about that subject: help desks call three alike tickets from one
  place a major incident. A spike alone never does: help traffic also jumps for harmless
  reasons (a new article, password expiry day). Tickets with no site never form one.
- An incident opens a correlation only on evidence ``strong_enough``: a spike, an urgent
  ticket, two tickets, or one complaining ticket on an incident of severity error or worse.
- A correlation **closes** (``resolved``) once its incidents are resolved, its spikes are over
  and no new ticket or spike joined for ``quiet_s``; whatever happens, ``max_open_s`` after its
  last activity. Its items are then forgotten; later texts of its tickets are ignored.
- Its first version goes out at once, changes at most every ``update_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from processors.correlation.joining import Joiner
from processors.correlation.lexicon import Lexicon
from processors.correlation.matching import (
    Windows,
    match_incident,
    match_spike,
    match_ticket,
)
from processors.correlation.records import (
    INCIDENT,
    SPIKE,
    TICKET,
    Correlation,
    IncidentRec,
    SpikeRec,
    TicketRec,
    incident_rec,
    spike_rec,
    ticket_rec,
)
from processors.correlation.stage import CorrelationSettings
from processors.correlation.terms import name_terms
from processors.correlation.title import EvidenceCache, build
from schemas.insights import CorrelatedIncident

EXPIRE_S = 300.0
SITE_TTL_S = 7 * 86_400.0


_DEFAULT = CorrelationSettings()


@dataclass(frozen=True, slots=True)
class Params:
    """The rules' knobs. Their defaults are the stage settings' (``CorrelationSettings``, one
    place), so a processor made in a test or benchmark behaves as the stage does."""

    lead_s: float = _DEFAULT.lead_s
    trail_s: float = _DEFAULT.window_s
    hold_s: float = _DEFAULT.window_s
    quiet_s: float = _DEFAULT.quiet_s
    update_s: float = _DEFAULT.update_s
    user_window_s: float = _DEFAULT.user_window_s
    user_min_tickets: int = _DEFAULT.user_min_tickets
    user_min_urgent: int = _DEFAULT.user_min_urgent
    user_min_with_spike: int = _DEFAULT.user_min_with_spike
    max_open_s: float = _DEFAULT.max_open_s
    incident_ttl_s: float = 6 * 3600.0

    @classmethod
    def of(cls, s: CorrelationSettings) -> Params:
        return cls(lead_s=s.lead_s, trail_s=s.window_s, hold_s=s.window_s, quiet_s=s.quiet_s,
                   update_s=s.update_s, user_window_s=s.user_window_s,
                   user_min_tickets=s.user_min_tickets, user_min_urgent=s.user_min_urgent,
                   user_min_with_spike=s.user_min_with_spike, max_open_s=s.max_open_s)


@dataclass(slots=True)
class TenantState:
    tenant: str
    partition: int = -1
    clock: float = float("-inf")
    last_expire: float = float("-inf")
    incidents: dict[str, IncidentRec] = field(default_factory=dict)
    tickets: dict[str, TicketRec] = field(default_factory=dict)
    spikes: dict[str, SpikeRec] = field(default_factory=dict)
    correlations: dict[str, Correlation] = field(default_factory=dict)
    aliases: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Incident folded into another -> (the one it went into, when)."""
    done: dict[str, float] = field(default_factory=dict)
    """Tickets and spikes of closed correlations: their later versions are ignored."""
    sites: dict[str, float] = field(default_factory=dict)
    """Site names seen lately, to find one named in a ticket's text."""
    services: dict[str, float] = field(default_factory=dict)
    """Topic terms of the tenant's service names (alerts, ticket service fields) -> when last
    seen: what a site-wide loss takes down."""
    lexicon: Lexicon = field(default_factory=Lexicon)
    """Words its users use for its services (``lexicon.py``)."""
    buffer: list[tuple] = field(default_factory=list)
    """Items not taken yet: a heap by (event time, kind, ref, seq, arrival)."""
    seen: float = float("-inf")
    """Newest event time that arrived on any input."""
    arrivals: int = 0

    def empty(self) -> bool:
        return not (self.incidents or self.tickets or self.spikes or self.correlations
                    or self.buffer or self.done or self.aliases or self.sites or self.services
                    or self.lexicon)


class Tenant(Joiner):
    """One ``TenantState``'s clock, items and lifecycle (joining: ``Joiner``); ``outbox``
    collects the versions to emit."""

    def __init__(self, state: TenantState, params: Params) -> None:
        self.s = state
        self.p = params
        self.w = Windows(params.lead_s, params.trail_s)
        self.w_user = Windows(params.lead_s, params.user_window_s)
        self.outbox: list[CorrelatedIncident] = []
        self.evidence: EvidenceCache = {}
        """Evidence models of open correlations' items (derived, not state)."""
        self.by_term: dict[str, set[str]] = {}
        """Held (unlinked) tickets by topic term; derived, rebuilt on restore."""
        self.taught: set[str] = set()
        for t in state.tickets.values():
            if t.cid is None:
                self._index(t)

    # -- clock and timers ----------------------------------------------------------------------
    def advance(self, t: float) -> None:
        """Move the clock to ``t`` (never back) and run the timers there. They run whenever
        the clock moves, so a replay's sparse clock and a live one decide alike: an update
        that was due goes out before a close, forgetting is never what decides a join
        (matching ignores what is past its TTL whether or not it was dropped yet)."""
        if t > self.s.clock:
            self.s.clock = t
            self.timers()

    def timers(self) -> None:
        s, p, now = self.s, self.p, self.s.clock
        for c in list(s.correlations.values()):
            if c.pending and now - c.last_emit >= p.update_s:
                self._emit(c, "updated")
            incs = [s.incidents[r] for r in c.incidents if r in s.incidents]
            sps = [s.spikes[r] for r in c.spikes if r in s.spikes]
            running = any(i.open for i in incs) or any(
                x.open and now - x.end < p.hold_s for x in sps)
            last = max([c.last_evidence, *(i.time for i in incs), *(x.end for x in sps)])
            if (not running and now - last >= p.quiet_s) or now - last >= p.max_open_s:
                self._close(c)
        if now - s.last_expire >= EXPIRE_S:
            s.last_expire = now
            self._expire(now)

    def flush(self) -> None:
        """Every pending update now (a paused replay)."""
        for c in self.s.correlations.values():
            if c.pending:
                self._emit(c, "updated")

    def _expire(self, now: float) -> None:
        s, p = self.s, self.p
        for ref, t in list(s.tickets.items()):
            if t.cid is None and not self._held(t):
                self._unindex(t)
                del s.tickets[ref]
        for ref, x in list(s.spikes.items()):
            if x.cid is None and not self._held_spike(x):
                del s.spikes[ref]
        for ref, i in list(s.incidents.items()):
            if i.cid is None and not self._waiting(i):
                del s.incidents[ref]
        for book, ttl in ((s.done, p.hold_s), (s.sites, SITE_TTL_S), (s.services, SITE_TTL_S)):
            for key in [k for k, t in book.items() if now - t > ttl]:
                del book[key]
        for key in [k for k, (_, t) in s.aliases.items() if now - t > p.hold_s]:
            del s.aliases[key]
        s.lexicon.expire(now)

    # -- items ---------------------------------------------------------------------------------
    def take(self, kind: int, data: Any) -> None:
        """One input's payload (``Incident``, ``TicketInsight`` or ``HelpSpike``) at the clock."""
        known = self.s.sites.keys()
        if kind == INCIDENT:
            self.take_incident(incident_rec(data))
        elif kind == TICKET:
            self.take_ticket(ticket_rec(data, known))
        else:
            self.take_spike(spike_rec(data, known))
        self._revisit()
        now = self.s.clock
        for c in self.s.correlations.values():
            if c.pending and now - c.last_emit >= self.p.update_s:
                self._emit(c, "updated")

    def take_incident(self, rec: IncidentRec) -> None:
        s = self.s
        old = s.incidents.get(rec.ref)
        if old is not None:
            rec.cid = old.cid
            rec.first_seen = min(rec.first_seen, old.first_seen)
        s.incidents[rec.ref] = rec
        for site in rec.sites:
            s.sites[site] = s.clock
        for name in rec.services:
            for term in name_terms(name, rec.sites):
                s.services[term] = s.clock
        if rec.merged_into:
            s.aliases[rec.ref] = (rec.merged_into, s.clock)
        c = s.correlations.get(rec.cid) if rec.cid else None
        if c is not None:
            self._widen(c, rec)
            c.pending |= old is None or old.shown() != rec.shown()
            into = s.incidents.get(rec.merged_into or "")
            if into is not None and into.cid is None:
                self._join(c, INCIDENT, into, f"took over the alerts of {rec.ref}", 0.95)
            return
        if rec.merged_into:
            return  # folded before it joined anything: the one it went into carries on
        for old_ref, (into_ref, _) in s.aliases.items():
            host = s.incidents.get(old_ref)
            if into_ref == rec.ref and host is not None and host.cid in s.correlations:
                self._join(s.correlations[host.cid], INCIDENT, rec,
                           f"took over the alerts of {old_ref}", 0.95)
                return
        fits = [(m, c) for c in s.correlations.values()
                if (m := match_incident(rec, self.scope(c), self.w, s.clock)) is not None]
        if fits:
            m, c = max(fits, key=lambda f: (f[0].confidence, -f[1].start, f[1].cid))
            self._join(c, INCIDENT, rec, m.why, m.confidence)
            return
        self._gather_for_incident(rec)

    def take_ticket(self, rec: TicketRec) -> None:
        s = self.s
        if rec.ref in s.done:
            return
        old = s.tickets.get(rec.ref)
        if old is not None:  # a later text of the thread: it may turn urgent or negative
            shown = (old.urgent, old.sentiment)
            old.fault |= rec.fault
            if old.fault or old.urgent or old.negative:
                # a reply turns a report urgent or negative; it does not turn a question into
                # a complaint ("can you try restarting?" on the printer-jam ticket)
                old.urgent |= rec.urgent
                old.escalated |= rec.escalated
                if rec.negative:
                    old.sentiment = rec.sentiment
            old.last = max(old.last, rec.time)
            if old.cid is not None:
                if (c := s.correlations.get(old.cid)) is not None:
                    c.pending |= shown != (old.urgent, old.sentiment)
                return
            self._unindex(old)
            old.terms = old.own_terms | rec.terms
            if old.site is None and rec.site is not None:
                old.site, old.site_named = rec.site, rec.site_named
            rec = old
        elif rec.site is not None and not rec.site_named:
            s.sites[rec.site] = s.clock
        if rec.service:
            for term in name_terms(rec.service):
                s.services[term] = s.clock
        if old is None and rec.complains:
            self._teach(rec, rec.service)
        self._lend(rec)
        s.tickets[rec.ref] = rec
        if not self._place(TICKET, rec, match_ticket):
            self._index(rec)
            if rec.site is not None:
                self._form(rec.site, rec.terms, rec.time)

    def take_spike(self, rec: SpikeRec) -> None:
        s = self.s
        if rec.ref in s.done:
            return
        old = s.spikes.get(rec.ref)
        if old is not None:
            old.count, old.expected = max(old.count, rec.count), rec.expected
            old.open = rec.open
            old.start, old.end = min(old.start, rec.start), max(old.end, rec.end)
            if old.cid is not None:
                if (c := s.correlations.get(old.cid)) is not None:
                    c.pending = True
                return
            rec = old
        s.spikes[rec.ref] = rec
        if rec.site is not None:
            s.sites[rec.site] = s.clock
        if not self._place(SPIKE, rec, match_spike) and rec.site is not None:
            self._form(rec.site, rec.terms, rec.start)

    # -- versions and closing --------------------------------------------------------------------
    def _emit(self, c: Correlation, state: str) -> None:
        s = self.s
        self.outbox.append(build(c, state, s.incidents, s.tickets, s.spikes, s.clock,
                                 self.evidence))

    def _close(self, c: Correlation) -> None:
        s = self.s
        self._emit(c, "resolved")
        del s.correlations[c.cid]
        for key in [k for k in self.evidence if k[0] == c.cid]:
            del self.evidence[key]
        for j in c.members.values():
            if j.kind == INCIDENT:
                s.incidents.pop(j.ref, None)
            elif j.kind == TICKET:
                s.tickets.pop(j.ref, None)
                s.done[j.ref] = s.clock
            else:
                s.spikes.pop(j.ref, None)
                s.done[j.ref] = s.clock
