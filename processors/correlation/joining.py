"""How one tenant's evidence finds its correlation: the best fitting scope, the evidence an
incident needs to open one, items with no site, and correlations users report with no alert
(the rules themselves, item against scope: ``matching.py``; the order and lifecycle:
``tenant.py``)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from typing import Any

from processors.correlation.matching import (
    Match,
    Scope,
    Windows,
    match_spike,
    match_ticket,
    scope_of_incident,
)
from processors.correlation.records import (
    INCIDENT,
    SPIKE,
    TICKET,
    Correlation,
    IncidentRec,
    Joined,
    SpikeRec,
    TicketRec,
)
from processors.correlation.terms import OUTAGE, VOCABULARY, name_terms


class Joiner:
    """The joining half of ``tenant.Tenant`` (which sets these attributes and ``_emit``)."""

    s: Any
    """The tenant's ``TenantState``."""
    p: Any
    """``tenant.Params``."""
    w: Windows
    w_user: Windows
    by_term: dict[str, set[str]]
    taught: set[str]
    """Words the lexicon counted since held tickets last looked at it."""

    def _emit(self, c: Correlation, state: str) -> None:
        raise NotImplementedError

    # what unlinked records live for: matching skips them past it, tenant._expire drops them
    def _held(self, t: TicketRec) -> bool:
        return self.s.clock - t.last <= self.p.hold_s

    def _held_spike(self, x: SpikeRec) -> bool:
        return self.s.clock - x.end <= (self.p.max_open_s if x.open else self.p.hold_s)

    def _waiting(self, i: IncidentRec) -> bool:
        return self.s.clock - i.time <= (self.p.incident_ttl_s if i.open else self.p.trail_s)

    # -- joining -------------------------------------------------------------------------------
    def scope(self, c: Correlation) -> Scope:
        incs = [self.s.incidents[r] for r in c.incidents if r in self.s.incidents]
        if incs:
            until = None if any(i.open for i in incs) else max(i.time for i in incs)
            w = self.w
        else:  # reported by users: it lasts while reports keep coming
            until, w = c.last_evidence, self.w_user
        return Scope(c.core, frozenset(c.sites), c.site_wide, c.start, until, c.anchor, w)

    def _site_scope(self, scope: Scope) -> Scope:
        """A site-wide scope also takes the tenant's services (seen on its alerts and tickets
        lately) as its subject: a power or uplink loss takes them all down at that site, and
        users there name the one they miss ("emails aren't arriving"), not the power."""
        if not scope.site_wide or not self.s.services:
            return scope
        core = {t: "services of a site-wide incident" for t in self.s.services}
        core.update(scope.core)
        return replace(scope, core=core)

    def _fits(self, rec: TicketRec | SpikeRec, fn) -> list[tuple[Match, Correlation | IncidentRec]]:
        s, now = self.s, self.s.clock
        out: list[tuple[Match, Correlation | IncidentRec]] = []
        vague = OUTAGE in rec.terms  # may meet a site-wide scope on no shared term
        faulty = isinstance(rec, TicketRec) and rec.fault and rec.site is not None
        for c in s.correlations.values():
            wide = faulty and c.site_wide and rec.site in c.sites
            if (wide or not rec.terms.isdisjoint(c.core) or (vague and c.site_wide)) and (
                    m := fn(rec, self._site_scope(self.scope(c)) if wide else self.scope(c),
                            self.w, now)) is not None:
                out.append((m, c))
        for inc in s.incidents.values():
            wide = faulty and inc.site_wide and rec.site in inc.sites
            if inc.cid is None and inc.merged_into is None and (
                    wide or not rec.terms.isdisjoint(inc.terms) or (vague and inc.site_wide)) and (
                    self._waiting(inc)) and (
                    m := fn(rec, self._site_scope(scope_of_incident(inc)) if wide
                            else scope_of_incident(inc), self.w, now)) is not None:
                out.append((m, inc))
        return out

    def _place(self, kind: int, rec: TicketRec | SpikeRec, fn) -> bool:
        """Join ``rec`` to the scope it fits best; False when it is to be held."""
        fits = self._fits(rec, fn)
        if fits and rec.site is None:
            one = self._unambiguous(rec, fits)
            fits = [] if one is None else [one]
        if not fits:
            return False
        m, target = max(fits, key=lambda f: (
            f[0].confidence, isinstance(f[1], Correlation), -_start(f[1]), _ref(f[1])))
        if isinstance(target, IncidentRec):
            held = list(self._held_fits(scope_of_incident(target), target))
            if not strong_enough(target, [*held, (kind, rec, m)]):
                return False
            c = self._open_for(target)
            self._join(c, kind, rec, m.why, m.confidence)
            self._gather(c)
            self._emit(c, "open")
        else:
            self._join(target, kind, rec, m.why, m.confidence)
        return True

    def _unambiguous(self, rec: TicketRec | SpikeRec, fits: list) -> tuple | None:
        """The one scope an item with no site may join: its only fitting one (or the only one
        it meets on a named subject, when others meet it only on "things are down"), and only
        while no other site is reporting the same trouble: complaining tickets held from
        elsewhere about the same topic, close in time (a VPN outage users report at par1
        while lon1's VPN alerts fire)."""
        if len(fits) > 1:
            named = [f for f in fits if not (rec.terms - {OUTAGE}).isdisjoint(_core(f[1]))]
            fits = named
        if len(fits) != 1:
            return None
        target = fits[0][1]
        sites = target.sites if isinstance(target, Correlation) else set(target.sites)
        t0 = rec.time if isinstance(rec, TicketRec) else rec.start
        window = self.p.user_window_s
        for term in rec.terms & VOCABULARY:
            for ref in self.by_term.get(term, ()):
                other = self.s.tickets[ref]
                if (other.site is not None and other.site not in sites and other.complains
                        and abs(other.time - t0) <= window):
                    return None
        return fits[0]

    def _gather_for_incident(self, inc: IncidentRec) -> None:
        """A new incident with matching held tickets or spikes opens a correlation."""
        if not strong_enough(inc, list(self._held_fits(scope_of_incident(inc), inc))):
            return
        c = self._open_for(inc)
        self._gather(c)
        self._emit(c, "open")

    def _held_fits(self, scope: Scope, target: Correlation | IncidentRec):
        s, now = self.s, self.s.clock
        wide = self._site_scope(scope)
        refs: set[str] = set()
        for term in (*wide.core, *((OUTAGE,) if scope.site_wide else ())):
            refs |= self.by_term.get(term, set())
        for ref in sorted(refs):
            t = s.tickets[ref]
            sc = wide if t.fault and t.site is not None and t.site in scope.sites else scope
            if self._held(t) and (m := match_ticket(t, sc, self.w, now)) is not None and (
                    t.site is not None or self._only(t, match_ticket, target)):
                yield TICKET, t, m
        for x in sorted(s.spikes.values(), key=lambda x: x.ref):
            if x.cid is None and self._held_spike(x) and (
                    m := match_spike(x, scope, self.w, now)) is not None and (
                    x.site is not None or self._only(x, match_spike, target)):
                yield SPIKE, x, m

    def _only(self, rec: TicketRec | SpikeRec, fn, target: Correlation | IncidentRec) -> bool:
        one = self._unambiguous(rec, self._fits(rec, fn))
        return one is not None and one[1] is target

    def _gather(self, c: Correlation) -> None:
        for kind, rec, m in list(self._held_fits(self.scope(c), c)):
            self._join(c, kind, rec, m.why, m.confidence)

    def _open_for(self, inc: IncidentRec) -> Correlation:
        c = self._new(inc.ref, inc.first_seen, dict(inc.origin), set(inc.sites),
                      inc.site_wide, False, "the first alert")
        self._join(c, INCIDENT, inc, "anchor", 1.0)
        return c

    def _new(self, anchor: str, start: float, core: dict[str, str], sites: set[str],
             site_wide: bool, user: bool, label: str) -> Correlation:
        digest = hashlib.blake2b(f"{self.s.tenant}\0{anchor}\0{start:.3f}".encode(),
                                 digest_size=8).hexdigest()
        c = Correlation(f"cor-{digest}", start, core, sites, site_wide, user, "", label)
        self.s.correlations[c.cid] = c
        return c

    def _join(self, c: Correlation, kind: int, rec: IncidentRec | TicketRec | SpikeRec,
              why: str, confidence: float) -> None:
        rec.cid = c.cid
        if isinstance(rec, IncidentRec):
            c.incidents.append(rec.ref)
            c.user_reported = False
            self._widen(c, rec)
            t = rec.first_seen
        elif isinstance(rec, TicketRec):
            c.tickets.append(rec.ref)
            self._unindex(rec)
            self._topic(c, rec.terms)
            self._teach_joined(c, rec)
            t = rec.time
        else:
            c.spikes.append(rec.ref)
            self._topic(c, rec.terms)
            t = rec.end
        c.add(Joined(kind, rec.ref, why, confidence, self.s.clock), t)

    def _widen(self, c: Correlation, inc: IncidentRec) -> None:
        for term, origin in inc.origin.items():
            c.core.setdefault(term, origin)
        c.sites.update(inc.sites)
        c.site_wide |= inc.site_wide
        if inc.first_seen < c.start:
            c.start, c.anchor = inc.first_seen, "the first alert"

    def _topic(self, c: Correlation, item_terms: frozenset[str]) -> None:
        if not c.topic:
            shared = sorted(item_terms & c.core.keys())
            c.topic = shared[0] if shared else (OUTAGE if OUTAGE in item_terms else "")

    # -- the tenant's lexicon ------------------------------------------------------------------
    def _teach(self, t: TicketRec, service: str | None) -> None:
        """Count ``t``'s own words towards ``service`` (not the service names themselves);
        with none, only as used."""
        skip = frozenset(self.s.services) | (name_terms(service) if service else frozenset())
        if service:
            self.s.lexicon.learn(t.ref, service.strip().lower(), t.own_terms, skip,
                                 self.s.clock)
            self.taught |= t.own_terms - skip
        else:
            self.s.lexicon.observe(t.ref, t.own_terms, skip, self.s.clock)

    def _teach_joined(self, c: Correlation, t: TicketRec) -> None:
        """A ticket that joined on its site and a subject it named itself teaches the service
        of the incident it joined, when there is exactly one (a site-wide loss has many)."""
        if t.site is None or c.site_wide or not t.complains:
            return
        if (t.own_terms - {OUTAGE}).isdisjoint(c.core):
            return
        services = {x for r in c.incidents if (i := self.s.incidents.get(r)) is not None
                    for x in i.services}
        if len(services) == 1:
            self._teach(t, services.pop())

    def _lend(self, t: TicketRec) -> None:
        """Give ``t`` the service terms its words stand for at this tenant."""
        own = t.own_terms
        t.learned = {}
        for service, word in self.s.lexicon.services(own, self.s.clock).items():
            for term in name_terms(service):
                if term not in own:
                    t.learned.setdefault(term, (word, service))
        t.terms = own | t.learned.keys() if t.learned else own

    def _revisit(self) -> None:
        """Held tickets using words just taught get the service terms those now stand for,
        and are placed again (a few rounds at most: each may teach in turn)."""
        for _ in range(3):
            if not self.taught:
                return
            refs = sorted({r for w in self.taught for r in self.by_term.get(w, ())})
            self.taught = set()
            for ref in refs:
                t = self.s.tickets.get(ref)
                if t is None or t.cid is not None or not self._held(t):
                    continue
                before = t.learned
                self._unindex(t)
                self._lend(t)
                if t.learned == before or not self._place(TICKET, t, match_ticket):
                    self._index(t)
        self.taught = set()

    # -- reported by users -----------------------------------------------------------------------
    def _form(self, site: str, item_terms: frozenset[str], t: float) -> None:
        """Open a correlation reported by users, if the held complaints at ``site`` about a
        subject of ``item_terms`` near ``t`` are enough (module ``tenant``). Of several
        subjects, the one most of them share; its core is every subject at least half of
        them name, so the incident that comes later meets it on any."""
        s, p = self.s, self.p
        best = None
        for term in item_terms & VOCABULARY:
            group = sorted((x for r in self.by_term.get(term, ()) if (x := s.tickets[r]).site
                            == site and abs(x.time - t) <= p.user_window_s and self._held(x)
                            and x.complains), key=lambda x: (x.time, x.ref))
            if len(group) < min(p.user_min_tickets, p.user_min_with_spike):
                continue
            spikes = [x for x in s.spikes.values() if x.cid is None and x.site == site
                      and term in x.terms and x.start <= t + p.user_window_s
                      and x.end >= t - p.user_window_s and self._held_spike(x)]
            urgent = sum(g.urgent for g in group)
            if ((len(group) >= p.user_min_tickets and urgent >= p.user_min_urgent)
                    or (spikes and len(group) >= p.user_min_with_spike)):
                # most tickets, then a named subject before "things are down"
                rank = (len(group) + len(spikes), term != OUTAGE, term)
                if best is None or rank > best[0]:
                    best = (rank, term, group, urgent)
        if best is None:
            return
        _, term, group, urgent = best
        named = Counter(x for g in group for x in g.terms & VOCABULARY)
        core = {x: f"tickets about {x}" for x, n in sorted(named.items()) if 2 * n >= len(group)}
        c = self._new(f"{site}|{term}|{group[0].ref}", group[0].time, core, {site}, False,
                      True, "the first ticket")
        c.topic = term
        span = round((group[-1].time - group[0].time) / 60)
        why = (f"one of {len(group)} tickets about {term} at {site} within {span} min "
               f"({urgent} urgent)")
        for g in group:
            self._join(c, TICKET, g, why, min(0.99, 0.6 + 0.2 * g.urgent + 0.1))
        self._gather(c)
        self._emit(c, "open")

    # -- held-ticket index -------------------------------------------------------------------------
    def _index(self, t: TicketRec) -> None:
        for term in t.terms:
            self.by_term.setdefault(term, set()).add(t.ref)

    def _unindex(self, t: TicketRec) -> None:
        for term in t.terms:
            refs = self.by_term.get(term)
            if refs is not None:
                refs.discard(t.ref)
                if not refs:
                    del self.by_term[term]


def strong_enough(inc: IncidentRec, items: list[tuple[int, Any, Match]]) -> bool:
    """Whether matching evidence may open a correlation on an incident: a help spike, an
    urgent or escalated ticket, two tickets, or one complaining ticket on an incident of
    severity error or worse. One calm ticket beside one warning is a coincidence as often as
    not (a printer jam while the print server's CPU alert fires); it waits for more."""
    tickets = [r for kind, r, _ in items if kind == TICKET]
    return (any(kind == SPIKE for kind, _, _ in items) or len(tickets) >= 2
            or any(t.urgent or t.escalated for t in tickets)
            or (inc.severity >= 2 and any(t.complains for t in tickets)))


def _core(x: Correlation | IncidentRec):
    return x.core if isinstance(x, Correlation) else x.terms


def _start(x: Correlation | IncidentRec) -> float:
    return x.start if isinstance(x, Correlation) else x.first_seen


def _ref(x: Correlation | IncidentRec) -> str:
    return x.cid if isinstance(x, Correlation) else x.ref
