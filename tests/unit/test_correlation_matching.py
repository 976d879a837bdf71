"""The join rules one by one: time window edges, site, topic, and which tickets count."""

from __future__ import annotations

from processors.correlation.matching import (
    Windows,
    match_incident,
    match_spike,
    match_ticket,
    scope_of_incident,
)
from processors.correlation.records import IncidentRec, SpikeRec, TicketRec
from processors.correlation.terms import OUTAGE, terms

W = Windows(lead_s=1800.0, trail_s=3600.0)
T = 1_000_000.0


def inc(*, open_: bool = True, site: str = "par1", start: float = T, last: float = T + 600,
        origin: dict | None = None, site_wide: bool = False, ref: str = "inc-1") -> IncidentRec:
    origin = {"vpn": "service vpn-gw"} if origin is None else origin
    return IncidentRec(ref, "VpnTunnelDown on vpn-gw at par1", 3, open_, start, last,
                       (site,) if site else (), ("vpn-gw",), ("par1-vpn-01",), 3,
                       frozenset(origin), origin, site_wide)


def tk(t: float, *, site: str | None = "par1", text: str = "VPN not connecting",
       sentiment: str = "negative", urgent: bool = False, request: bool = False,
       named: bool = False, fault: bool = False) -> TicketRec:
    return TicketRec("T-1", t, t, site, named, None, text, terms([text]), urgent, sentiment,
                     escalated=False, request=request, fault=fault)


def test_a_ticket_may_come_lead_s_before_the_first_alert_and_no_earlier() -> None:
    scope = scope_of_incident(inc())
    m = match_ticket(tk(T - 1800), scope, W, now=T + 60)
    assert m is not None and "30 min before the first alert" in m.why
    assert match_ticket(tk(T - 1801), scope, W, now=T + 60) is None


def test_a_ticket_may_come_trail_s_after_a_resolved_incident_and_no_later() -> None:
    scope = scope_of_incident(inc(open_=False))
    assert match_ticket(tk(T + 600 + 3600), scope, W, now=T + 9000) is not None
    assert match_ticket(tk(T + 600 + 3601), scope, W, now=T + 9000) is None
    # an open incident is active now: hours later still joins
    assert match_ticket(tk(T + 5 * 3600), scope_of_incident(inc()), W, now=T + 5 * 3600)


def test_confidence_fades_towards_the_window_edges() -> None:
    scope = scope_of_incident(inc(open_=False))
    inside = match_ticket(tk(T + 300), scope, W, now=T + 9000)
    late = match_ticket(tk(T + 600 + 3000), scope, W, now=T + 9000)
    assert inside and late and inside.confidence > late.confidence


def test_a_ticket_from_another_site_never_joins() -> None:
    assert match_ticket(tk(T + 60, site="lon1"), scope_of_incident(inc()), W, T) is None


def test_sharing_the_site_is_not_enough_the_topic_must_agree() -> None:
    printer = tk(T + 60, text="Printer on floor 3 jammed, it is broken")
    assert match_ticket(printer, scope_of_incident(inc()), W, now=T + 60) is None


def test_the_why_says_site_topic_and_timing_in_words() -> None:
    m = match_ticket(tk(T + 240), scope_of_incident(inc()), W, now=T + 240)
    assert m is not None
    assert m.why == ("same site par1; mentions vpn like the incident's service vpn-gw; "
                     "4 min after the first alert")
    named = match_ticket(tk(T + 240, named=True), scope_of_incident(inc()), W, now=T + 240)
    assert named is not None and named.why.startswith("site par1 named in the text")
    assert named.confidence < m.confidence


def test_a_ticket_without_site_joins_only_if_it_complains() -> None:
    scope = scope_of_incident(inc())
    calm = tk(T + 60, site=None, sentiment="neutral", text="VPN client version question")
    upset = tk(T + 60, site=None, sentiment="neutral", urgent=True)
    failing = tk(T + 60, site=None, sentiment="neutral", fault=True)
    assert match_ticket(calm, scope, W, now=T + 60) is None
    m = match_ticket(upset, scope, W, now=T + 60)
    assert m is not None and m.why.startswith("site not given")
    assert match_ticket(failing, scope, W, now=T + 60) is not None


def test_a_request_is_not_evidence_unless_it_says_something_does_not_work() -> None:
    scope = scope_of_incident(inc())
    how_to = tk(T + 60, text="How do I set up VPN?", sentiment="neutral", request=True)
    assert match_ticket(how_to, scope, W, now=T + 60) is None
    # scored urgent or negative, a request is still a request ("please add me ..." urgent)
    angry = tk(T + 60, text="How do I set up VPN?", sentiment="negative", request=True,
               urgent=True)
    assert match_ticket(angry, scope, W, now=T + 60) is None
    broken = tk(T + 60, text="How do I fix VPN?", sentiment="neutral", request=True,
                fault=True)
    assert match_ticket(broken, scope, W, now=T + 60) is not None


def test_things_are_down_meets_a_site_wide_incident_only() -> None:
    vague = tk(T + 60, text="Everything is down, nothing works")
    assert OUTAGE in vague.terms
    assert match_ticket(vague, scope_of_incident(inc()), W, now=T + 60) is None
    power = inc(origin={"power": "alert SitePowerLoss"}, site_wide=True)
    m = match_ticket(vague, scope_of_incident(power), W, now=T + 60)
    assert m is not None and "site-wide incident" in m.why


def test_a_spike_joins_on_site_topic_and_overlapping_window() -> None:
    scope = scope_of_incident(inc())
    spike = SpikeRec("sp-1", "par1", "vpn", T - 300, T, 40, 3.2, True, terms(["vpn"]))
    m = match_spike(spike, scope, W, now=T)
    assert m is not None and "12x normal" in m.why
    elsewhere = SpikeRec("sp-2", "lon1", "vpn", T - 300, T, 40, 3.2, True, terms(["vpn"]))
    assert match_spike(elsewhere, scope, W, now=T) is None
    other = SpikeRec("sp-3", "par1", "payroll", T - 300, T, 40, 3.2, True, terms(["payroll"]))
    assert match_spike(other, scope, W, now=T) is None
    old = SpikeRec("sp-4", "par1", "vpn", T - 3000, T - 1801, 40, 3.2, False, terms(["vpn"]))
    assert match_spike(old, scope, W, now=T) is None


def test_a_second_incident_joins_on_site_and_topic() -> None:
    first = scope_of_incident(inc())
    same = inc(ref="inc-2", start=T + 120)
    assert match_incident(same, first, W, now=T + 120) is not None
    assert match_incident(inc(ref="inc-3", site="lon1"), first, W, now=T) is None
    other = inc(ref="inc-4", origin={"printer": "service print-srv"})
    assert match_incident(other, first, W, now=T) is None
