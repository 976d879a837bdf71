"""The join rules: may this ticket, help spike or incident join that scope, how sure, and why.

A *scope* is what evidence is matched against: an open correlation, or an alert incident that
has no correlation yet. Every rule asks three things, and all three must hold:

- **time**: the item falls between ``lead_s`` before the scope's anchor (users often notice
  before monitoring does) and ``trail_s`` after the scope was last active (open incidents are
  active now; tickets keep coming after a fix; a correlation users reported with no alert is
  active until its last report, and trails by ``user_window_s``);
- **site**: an item that names a site (field or text) must name one of the scope's sites;
  an item with no site may join, with less confidence (the caller also requires it to be
  unambiguous: one scope of the tenant fits it and no other site reports the same trouble);
- **topic**: the item's topic terms meet the scope's (``terms.py``): sharing a site is never
  enough, since unrelated tickets keep arriving from a site during its outage. A text that
  says things are broken without naming them meets a site-wide incident (power, reachability,
  many services).

A ticket is evidence only if it complains (says something does not work, or is urgent or
negative without being a request) or is not a mere request or question ("how do I set up
VPN", "please add me to ..."): requests keep coming during outages and name the same subjects,
and an urgent score or an escalation (an SLA timer, a repeat contact) does not make them a
symptom; nor does a past or personal problem ("fine now, just FYI", "only on my machine"). A
ticket with no site must complain, and meets a site-wide incident only on what that incident
is about itself (power, network, "things are down"), not on the services of the hosts it took
down. A ticket *at* the site of a site-wide incident that says something does not work meets
it on any service the tenant runs (``joining.Joiner._site_scope``).

Confidence adds the parts up: topic 0.5; site 0.3 (named in the text 0.2, not given 0.05);
timing up to 0.15 (inside the active span, fading towards the window's edges); urgency 0.05.
"""

from __future__ import annotations

from dataclasses import dataclass

from processors.correlation.records import IncidentRec, SpikeRec, TicketRec
from processors.correlation.terms import OUTAGE

MINUTE = 60.0
SITE_TERMS = frozenset({OUTAGE, "power", "network"})
"""What a site-wide incident is about in itself; its hosts' services are its symptoms."""


@dataclass(frozen=True, slots=True)
class Windows:
    lead_s: float
    trail_s: float


@dataclass(frozen=True, slots=True)
class Scope:
    """What evidence is matched against; ``until`` is None while something in it is open."""

    core: dict[str, str]
    sites: frozenset[str]
    site_wide: bool
    start: float
    until: float | None
    anchor: str
    """What ``start`` is, for the why: "the first alert" or "the first ticket"."""
    windows: Windows | None = None
    """Its own windows instead of the processor's (a user-reported correlation's trail)."""


@dataclass(frozen=True, slots=True)
class Match:
    confidence: float
    why: str


def scope_of_incident(inc: IncidentRec) -> Scope:
    return Scope(inc.origin, frozenset(inc.sites), inc.site_wide, inc.first_seen,
                 None if inc.open else inc.time, "the first alert")


def _in_time(t0: float, t1: float, s: Scope, w: Windows, now: float) -> float | None:
    """Closeness in 0..1 of an item spanning [t0, t1] to the scope, None when outside."""
    w = s.windows or w
    until = now if s.until is None else s.until
    if t1 < s.start - w.lead_s or t0 > until + w.trail_s:
        return None
    if t1 < s.start:
        return max(0.0, 1.0 - (s.start - t1) / w.lead_s)
    if t0 > until:
        return max(0.0, 1.0 - (t0 - until) / w.trail_s)
    return 1.0


def _shared(item_terms: frozenset[str], s: Scope, learned: dict | None = None
            ) -> tuple[str, str] | None:
    """(term, where the scope got it) for the best shared topic (one the item names itself
    before one it has from the tenant's lexicon), or None."""
    shared = sorted(item_terms & s.core.keys(), key=lambda x: (bool(learned) and x in learned, x))
    if shared:
        return shared[0], s.core[shared[0]]
    if OUTAGE in item_terms and s.site_wide:
        return OUTAGE, "a site-wide incident"
    return None


def _site(site: str | None, named: bool, s: Scope) -> tuple[float, str] | None:
    if not s.sites:
        return 0.15, "no site on the alerts"
    if site is None:
        return 0.05, "site not given"
    if site not in s.sites:
        return None
    return (0.2, f"site {site} named in the text") if named else (0.3, f"same site {site}")


def when(t: float, s: Scope) -> str:
    dt = t - s.start
    if abs(dt) < MINUTE:
        return f"at {s.anchor}"
    mins = round(abs(dt) / MINUTE)
    if mins >= 120:
        return f"{mins / 60:.1f} h {'after' if dt > 0 else 'before'} {s.anchor}"
    return f"{mins} min {'after' if dt > 0 else 'before'} {s.anchor}"


def _about(term: str, origin: str) -> str:
    if term == OUTAGE:
        return "says things are down, during a site-wide incident"
    if origin.startswith("tickets"):
        return f"mentions {term} like the other {origin}"
    return f"mentions {term} like the incident's {origin}"


def match_ticket(t: TicketRec, s: Scope, w: Windows, now: float) -> Match | None:
    if not t.evidence or (t.site is None and not t.complains):
        return None
    near = _in_time(t.time, t.time, s, w, now)
    if near is None:
        return None
    site = _site(t.site, t.site_named, s)
    if site is None:
        return None
    topic = _shared(t.terms, s, t.learned)
    if topic is None or (t.site is None and s.site_wide and topic[0] not in SITE_TERMS):
        return None  # with no site, "SAP is slow" says nothing about a power loss somewhere
    conf = 0.5 + site[0] + 0.15 * near + (0.05 if t.urgent else 0.0)
    if topic[0] in t.learned:
        word, service = t.learned[topic[0]]
        about = f"mentions '{word}', which tickets about {service} at this tenant use"
        conf -= 0.05  # a learned word is a little less sure than a named subject
    else:
        about = _about(*topic)
    why = f"{site[1]}; {about}; {when(t.time, s)}"
    return Match(min(conf, 0.99), why)


def match_spike(p: SpikeRec, s: Scope, w: Windows, now: float) -> Match | None:
    near = _in_time(p.start, p.end, s, w, now)
    if near is None:
        return None
    site = _site(p.site, False, s)
    if site is None:
        return None
    topic = _shared(p.terms, s)
    if topic is None:
        return None
    conf = 0.5 + site[0] + 0.15 * near + (0.05 if p.ratio >= 5 else 0.0)
    why = (f"{site[1]}; help traffic about {p.topic} {p.ratio:.0f}x normal ({p.count} vs "
           f"{p.expected:.1f} expected) {_about(*topic).removeprefix('mentions ')}; began "
           f"{when(p.start, s)}")
    return Match(min(conf, 0.99), why)


def match_incident(inc: IncidentRec, s: Scope, w: Windows, now: float) -> Match | None:
    """Another alert incident joining a correlation: same site (or none on either side) and
    the same topic, or both site-wide at one site."""
    near = _in_time(inc.first_seen, inc.first_seen, s, w, now)
    if near is None:
        return None
    sites = set(inc.sites)
    if sites and s.sites and not sites & s.sites:
        return None
    topic = _shared(inc.terms, s)
    if topic is None and inc.site_wide and s.site_wide and sites & s.sites:
        topic = (OUTAGE, "a site-wide incident")
    if topic is None:
        return None
    where = f"same site {sorted(sites & s.sites)[0]}" if sites & s.sites else "no site to compare"
    what = ("both site-wide" if topic[0] == OUTAGE else
            f"{topic[0]} like {topic[1].replace('tickets', 'the tickets')}")
    conf = 0.5 + (0.3 if sites & s.sites else 0.1) + 0.15 * near
    return Match(min(conf, 0.99), f"{where}; {what}; {when(inc.first_seen, s)}")
