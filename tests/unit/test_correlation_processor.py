"""The correlation processor end to end: joins, forms, updates and closes correlated
incidents, one tenant at a time (event builders shared with the other correlation tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.correlation.processor import CorrelationProcessor
from processors.correlation.tenant import Params
from schemas.derived import IncidentEvent
from schemas.insights import CorrelatedIncidentEvent, HelpSpikeEvent, TicketInsightEvent

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
M = 60.0


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def ts(minute: float) -> float:
    return at(minute).timestamp()


def incident(minute: float = 0.0, *, tenant: str = "acme", iid: str = "inc-1",
             version: int = 1, state: str = "open", site: str = "par1",
             service: str = "vpn-gw", alert: str = "VpnTunnelDown", severity: str = "critical",
             last: float | None = None, merged_into: str | None = None,
             alerts: int = 3) -> IncidentEvent:
    hosts = [f"{site}-{service.split('-')[0]}-0{i}" for i in range(1, 3)]
    return IncidentEvent(
        id=f"{iid}:v{version}", source="test", tenant_id=tenant, data={
            "incident_id": iid, "version": version, "state": state,
            "title": f"{alert} on {service} on 2 hosts at {site}", "severity": severity,
            "sites": [site], "services": [service], "hosts": hosts, "first_seen": at(minute),
            "last_seen": at(minute if last is None else last), "alert_count": alerts,
            "merged_into": merged_into})


def ticket(minute: float, tid: str = "T-1", *, tenant: str = "acme", seq: int = 0,
           site: str | None = "par1", subject: str = "VPN not connecting",
           excerpt: str = "Nobody on floor 3 can connect", urgent: bool = False,
           sentiment: str = "negative", escalated: bool = False,
           topics: tuple[str, ...] = ()) -> TicketInsightEvent:
    return TicketInsightEvent(
        id=f"{tenant}-{tid}-{seq}:insight", source="test", tenant_id=tenant, data={
            "ticket_id": tid, "text_id": f"{tid}-{seq}", "seq": seq,
            "action": "created" if seq == 0 else "commented", "timestamp": at(minute),
            "site": site, "subject": subject, "excerpt": excerpt, "language": "en",
            "readable": True, "sentiment": sentiment,
            "sentiment_score": -0.5 if sentiment == "negative" else 0.0,
            "urgency": 0.9 if urgent else 0.2, "urgent": urgent, "topics": list(topics),
            "escalated": escalated})


def spike(minute: float, sid: str = "acme|par1|vpn|1", *, tenant: str = "acme",
          site: str = "par1", topic: str = "vpn", count: int = 40, expected: float = 3.0,
          state: str = "open") -> HelpSpikeEvent:
    return HelpSpikeEvent(
        id=f"{sid}:{state}", source="test", tenant_id=tenant, data={
            "spike_id": sid, "site": site, "topic": topic, "window_start": at(minute - 5),
            "window_s": 300, "count": count, "expected": expected, "score": 0.99,
            "state": state, "sessions": ["s-1"], "queries": [f"{topic} not working"]})


def processor(**kw) -> CorrelationProcessor:
    reorder, delay = kw.pop("reorder_s", 0.0), kw.pop("spike_delay_s", 0.0)
    return CorrelationProcessor(Params(**kw), reorder_s=reorder, spike_delay_s=delay)


def feed(proc: CorrelationProcessor, events, partition: int = 0
         ) -> list[CorrelatedIncidentEvent]:
    """Each event at a wall clock equal to its own event time (a live stream)."""
    out = []
    for ev in events:
        key = proc_key(ev)
        out += proc.on_event(ev, partition=partition, now=key)
    return out


def proc_key(ev) -> float:
    from processors.correlation.processor import order_key

    return order_key(ev)[0]


def latest(out: list[CorrelatedIncidentEvent]) -> dict[str, CorrelatedIncidentEvent]:
    last: dict[str, CorrelatedIncidentEvent] = {}
    for ev in out:
        last[ev.data.correlation_id] = ev
    return last


# -- joining ---------------------------------------------------------------------------------------
def test_an_incident_and_an_urgent_ticket_about_it_open_a_correlation() -> None:
    proc = processor()
    out = feed(proc, [incident(0), ticket(4, urgent=True)])
    [ev] = out
    d = ev.data
    assert ev.id == f"acme|{d.correlation_id}:1" and ev.source == "aiops/correlation"
    assert ev.type == "aiops.correlated-incident" and ev.tenant_id == "acme"
    assert (d.state, d.version, d.severity) == ("open", 1, "critical")
    assert d.title == "VPN down at par1: 3 alerts, 1 ticket (1 urgent)"
    assert d.incident_ids == ["inc-1"] and d.ticket_ids == ["T-1"] and d.sites == ["par1"]
    assert (d.urgent_tickets, d.negative_tickets) == (1, 1)
    [why] = [e.why for e in d.evidence if e.kind == "ticket"]
    assert why == ("same site par1; mentions vpn like the incident's service vpn-gw; "
                   "4 min after the first alert")
    assert 0.5 < d.confidence < 1.0


def test_tickets_before_the_alerts_are_held_and_joined_when_the_incident_comes() -> None:
    proc = processor()
    assert feed(proc, [ticket(-10, urgent=True)]) == []
    [ev] = feed(proc, [incident(0)])
    assert ev.data.ticket_ids == ["T-1"]
    assert "10 min before the first alert" in ev.data.evidence[-1].why


def test_one_calm_ticket_beside_a_warning_waits_for_more_evidence() -> None:
    proc = processor()
    quiet = [incident(0, severity="warning"), ticket(3, sentiment="neutral")]
    assert feed(proc, quiet) == []
    [ev] = feed(proc, [ticket(6, "T-2", sentiment="neutral")])
    assert sorted(ev.data.ticket_ids) == ["T-1", "T-2"]
    assert ev.data.title.startswith("VPN degraded at par1")


def test_an_unrelated_ticket_at_the_affected_site_is_not_joined() -> None:
    proc = processor()
    printer = ticket(8, "T-9", subject="Printer on floor 3 jammed", excerpt="jams every page",
                     urgent=True)
    out = feed(proc, [incident(0), ticket(4, urgent=True), printer, ticket(12, "T-2")])
    assert all("T-9" not in ev.data.ticket_ids for ev in out)
    assert latest(out).popitem()[1].data.ticket_ids == ["T-1", "T-2"]


def test_the_same_site_name_in_two_tenants_never_correlates() -> None:
    proc = processor()
    out = feed(proc, [incident(0), ticket(4, "G-1", tenant="globex", urgent=True),
                      ticket(5, "G-2", tenant="globex", urgent=True),
                      spike(6, "globex|par1|vpn|1", tenant="globex")])
    # globex's users report a VPN problem at its own par1: a correlation with no alert,
    # never acme's incident at acme's par1
    [ev] = out
    assert (ev.tenant_id, ev.data.incident_ids) == ("globex", [])
    assert sorted(ev.data.ticket_ids) == ["G-1", "G-2"]
    out = feed(proc, [ticket(7, "A-1", urgent=True)])
    assert [(e.tenant_id, e.data.incident_ids, e.data.ticket_ids, e.data.spike_ids)
            for e in out] == [("acme", ["inc-1"], ["A-1"], [])]


def test_a_help_spike_joins_and_shows_in_the_title() -> None:
    proc = processor()
    out = feed(proc, [incident(0), spike(5, count=39, expected=3.0), ticket(6, urgent=True)])
    d = latest(out).popitem()[1].data
    assert d.spike_ids == ["acme|par1|vpn|1"]
    assert d.title.endswith("help searches 13x normal")
    assert "help traffic about vpn 13x normal" in d.evidence[1].why


def test_a_second_incident_of_the_same_outage_joins_the_correlation() -> None:
    proc = processor(update_s=0.0)
    out = feed(proc, [incident(0), ticket(2, urgent=True),
                      incident(3, iid="inc-2", alert="BlackboxProbeFailed")])
    assert latest(out).popitem()[1].data.incident_ids == ["inc-1", "inc-2"]


def test_an_incident_folded_into_another_hands_its_correlation_over() -> None:
    proc = processor(update_s=0.0)
    out = feed(proc, [incident(0), ticket(2, urgent=True),
                      incident(0, version=2, state="resolved", last=3, merged_into="inc-9"),
                      incident(3, iid="inc-9", service="vpn-gw", alert="HighErrorRate",
                               severity="error")])
    d = latest(out).popitem()[1].data
    assert d.incident_ids == ["inc-1", "inc-9"]
    assert "took over the alerts of inc-1" in d.evidence[1].why


# -- reported by users ----------------------------------------------------------------------------
def wifi(minute: float, tid: str, *, urgent: bool = False, site: str = "lon1"):
    return ticket(minute, tid, site=site, subject="Wifi keeps dropping",
                  excerpt="cannot join the wireless", urgent=urgent)


def test_complaints_at_one_site_about_one_topic_form_a_correlation_with_no_alert() -> None:
    proc = processor()
    assert feed(proc, [wifi(0, "W-1", urgent=True), wifi(5, "W-2")]) == []
    [ev] = feed(proc, [wifi(9, "W-3", urgent=True)])
    d = ev.data
    assert d.incident_ids == [] and sorted(d.ticket_ids) == ["W-1", "W-2", "W-3"]
    assert d.title == "Wi-Fi down at lon1, reported by users (no alerts): 3 tickets (2 urgent)"
    assert d.severity == "error" and d.evidence[0].why.startswith("one of 3 tickets about wifi")


def test_too_few_too_far_or_too_calm_tickets_form_nothing() -> None:
    proc = processor()
    how_to = ticket(7, "W-3", site="lon1", subject="How do I join the guest wifi?",
                    excerpt="For a visitor tomorrow", sentiment="neutral")
    assert feed(proc, [wifi(0, "W-1", urgent=True), wifi(5, "W-2"), how_to]) == []
    assert feed(proc, [wifi(50, "W-4")]) == []  # W-1 is 50 min away, W-2 45
    assert feed(proc, [wifi(12, "W-5", site="par1")]) == []  # another site


def test_a_stricter_rule_can_ask_for_urgent_tickets() -> None:
    proc = processor(user_min_urgent=2)
    assert feed(proc, [wifi(0, "W-1", urgent=True), wifi(5, "W-2"), wifi(9, "W-3")]) == []
    [ev] = feed(proc, [wifi(10, "W-4", urgent=True)])
    assert len(ev.data.ticket_ids) == 4


def test_two_tickets_and_a_help_spike_form_a_correlation() -> None:
    proc = processor()
    sp = spike(4, "acme|lon1|wifi|1", site="lon1", topic="wifi")
    out = feed(proc, [wifi(0, "W-1"), sp, wifi(6, "W-2")])
    d = latest(out).popitem()[1].data
    assert d.spike_ids == ["acme|lon1|wifi|1"] and sorted(d.ticket_ids) == ["W-1", "W-2"]


def test_an_incident_later_joins_the_user_reported_correlation() -> None:
    proc = processor(update_s=0.0)
    out = feed(proc, [wifi(0, "W-1", urgent=True), wifi(2, "W-2", urgent=True),
                      wifi(4, "W-3"),
                      incident(10, site="lon1", service="wlan-ctrl",
                               alert="WlanControllerUnreachable")])
    d = latest(out).popitem()[1].data
    assert d.incident_ids == ["inc-1"] and "reported by users" not in d.title


# -- tickets with no site -------------------------------------------------------------------------
def test_a_ticket_with_no_site_joins_the_only_scope_about_its_subject() -> None:
    proc = processor()
    out = feed(proc, [incident(0), ticket(2, urgent=True), ticket(4, "T-2", site=None)])
    out += feed(proc, [ticket(6, "T-3")])
    d = latest(out).popitem()[1].data
    assert sorted(d.ticket_ids) == ["T-1", "T-2", "T-3"]
    assert [e.why.split(";")[0] for e in d.evidence if e.ref == "T-2"] == ["site not given"]


def test_a_ticket_with_no_site_waits_while_another_site_reports_the_same_trouble() -> None:
    proc = processor()
    lon = [ticket(1, "L-1", site="lon1"), ticket(2, "L-2", site="lon1")]
    out = feed(proc, [incident(0), ticket(2, urgent=True), *lon, ticket(4, "T-2", site=None)])
    out += feed(proc, [ticket(6, "T-3")])
    assert all("T-2" not in ev.data.ticket_ids for ev in out)


def test_a_ticket_with_no_site_meets_a_site_wide_incident_only_on_what_it_is_about() -> None:
    proc = processor(update_s=0.0)
    power = incident(0, service="facility", alert="SitePowerLoss", site="fra1")
    out = feed(proc, [power, ticket(2, site="fra1", subject="Power cut", urgent=True),
                      ticket(3, "T-2", site=None, subject="SAP very slow",
                             excerpt="facility app is slow"),
                      ticket(4, "T-3", site=None, subject="No power, everything is offline")])
    d = latest(out).popitem()[1].data
    assert sorted(d.ticket_ids) == ["T-1", "T-3"]
