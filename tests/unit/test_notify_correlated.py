"""Notify and the correlation stage: people reporting an incident is worth telling."""

from __future__ import annotations

from processors.notify.processor import NotifyProcessor
from schemas.insights import CorrelatedIncident, CorrelatedIncidentEvent, Evidence
from tests.unit.test_notify_processor import NOW, T0, feed, incident, routing


def correlated(incident_ids=("inc-1",), cid="c-1", version=1, state="open", tenant="acme"):
    ev = Evidence(kind="ticket", ref="T-1", title="VPN down", why="same site par1, mentions vpn",
                  confidence=0.9, joined_at=T0, urgent=True, sentiment="negative")
    return CorrelatedIncidentEvent(
        id=f"{cid}:{version}", source="test", tenant_id=tenant, time=T0,
        data=CorrelatedIncident(correlation_id=cid, version=version, state=state,
                                title="VPN down at par1: 1 alert, 1 ticket", severity="critical",
                                sites=["par1"], services=["vpn"], first_seen=T0, last_seen=T0,
                                incident_ids=list(incident_ids), ticket_ids=["T-1"],
                                evidence=[ev], confidence=0.9, urgent_tickets=1))


def test_a_correlation_marks_the_incident_and_is_told_once() -> None:
    p = NotifyProcessor(routing({"receiver": "default", "group_wait": "0s",
                                 "group_interval": "10s", "repeat_interval": "1h"}))
    first = feed(p, incident(), NOW)
    assert [n.data.incidents[0].correlated for n in first] == [False]
    # within group_interval: remembered, not told yet
    assert feed(p, correlated(), NOW + 1) == []
    later = p.on_timer(NOW + 11)
    assert len(later) == 1 and later[0].data.reason == "changed"
    brief = later[0].data.incidents[0]
    assert brief.correlated and brief.evidence and "mentions vpn" in brief.evidence[0]
    # a later version from clustering keeps the mark, and alone is not news
    assert feed(p, incident(version=2, alerts=3), NOW + 30) == []
    assert p.on_timer(NOW + 60) == []
    assert next(iter(p.groups.values())).members["inc-1"].correlated
    # another tenant's correlation never touches it
    feed(p, correlated(tenant="globex"), NOW + 70)
    assert p.on_timer(NOW + 90) == []


def test_a_correlated_incident_without_alerts_is_its_own_member() -> None:
    p = NotifyProcessor(routing({"receiver": "default", "group_wait": "0s", "routes": [
        {"receiver": "pager", "matchers": ['kind="user-reported"']}]}))
    out = feed(p, correlated(incident_ids=()), NOW)
    assert [n.data.receiver for n in out] == ["pager"]
    assert out[0].data.incidents[0].kind == "user-reported"
    assert feed(p, correlated(incident_ids=(), version=2, state="resolved"), NOW + 20) == []
    out = p.on_timer(NOW + 20 + 300)  # after the default group_interval
    assert [n.data.status for n in out] == ["resolved"]


def test_an_escalated_ticket_is_told_once_and_never_repeated() -> None:
    from schemas.insights import TicketEscalation, TicketEscalationEvent

    p = NotifyProcessor(routing({"receiver": "default", "group_wait": "0s", "routes": [
        {"receiver": "pager", "matchers": ['kind="ticket"', 'severity="critical"']}]}))
    esc = TicketEscalationEvent(
        id="e-1:escalation", source="test", tenant_id="acme", time=T0,
        data=TicketEscalation(ticket_id="T-9", text_id="e-1", timestamp=T0, rules=["urgency"],
                              urgency=0.9, sentiment="negative", subject="Smell of gas",
                              site="par1", detail="urgency 0.90 >= 0.5"))
    out = feed(p, esc, NOW)
    assert [n.data.receiver for n in out] == ["pager"]
    assert out[0].data.incidents[0].kind == "ticket" and "T-9" in out[0].data.title
    assert p.on_timer(NOW + 2 * 3600) == [] and not p.groups  # no repeat, nothing left
