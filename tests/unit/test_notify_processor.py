"""The notify processor: routing tree, grouping, throttling, repeat, silences, state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from processors.notify.processor import NotifyProcessor
from processors.notify.stage import load_routing
from schemas.derived import Incident, IncidentEvent
from schemas.notify import Silence, SilenceEvent
from schemas.routing import Routing

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
NOW = T0.timestamp()


def routing(tree: dict, **top) -> Routing:
    receivers = [{"name": n, "type": "kafka"} for n in ("default", "pager", "db", "all")]
    return Routing.model_validate({"receivers": receivers, "route": tree, **top})


def incident(iid="inc-1", version=1, state="open", severity="critical", sites=("par1",),
             tenant="acme", suppressed=False, alerts=1) -> IncidentEvent:
    return IncidentEvent(
        id=f"{iid}/{version}", source="test", tenant_id=tenant, time=T0,
        data=Incident(incident_id=iid, version=version, state=state, title=f"{iid} down",
                      severity=severity, sites=list(sites), services=["db"], hosts=["h1"],
                      first_seen=T0, last_seen=T0, alert_count=alerts, suppressed=suppressed))


def feed(p: NotifyProcessor, ev: IncidentEvent, now: float) -> list:
    return p.on_event(ev, partition=0, now=now)


def test_routing_tree_order_continue_and_inheritance() -> None:
    p = NotifyProcessor(routing({
        "receiver": "default", "group_wait": "0s",
        "routes": [
            {"receiver": "all", "continue": True},
            {"receiver": "pager", "matchers": ['severity="critical"'],
             "routes": [{"receiver": "db", "matchers": ['service="db"']}]},
            {"receiver": "pager", "matchers": ['site=~"par.*"']},
        ]}))
    out = feed(p, incident(), NOW)
    assert [(n.data.receiver, n.data.route) for n in out] == [("all", "root/0"),
                                                              ("db", "root/1/0")]
    out = feed(p, incident("inc-2", severity="warning", sites=("lon1",)), NOW)
    assert [n.data.receiver for n in out] == ["all"]  # no later sibling fits: stops at all
    p2 = NotifyProcessor(routing({"receiver": "default", "group_wait": 0,
                                  "routes": [{"receiver": "pager",
                                              "matchers": ['site!="par1"']}]}))
    # a multi-site incident is "not par1" only if none of its sites is par1
    assert [n.data.receiver for n in feed(p2, incident(sites=("par1", "lon1")), NOW)] == [
        "default"]
    assert [n.data.receiver for n in feed(p2, incident("i9", sites=("lon1",)), NOW)] == [
        "pager"]


def test_group_wait_interval_and_repeat() -> None:
    p = NotifyProcessor(routing({"receiver": "default", "group_by": ["site"],
                                 "group_wait": "30s", "group_interval": "5m",
                                 "repeat_interval": "1h"}))
    assert feed(p, incident("a"), NOW) == []  # waits group_wait
    assert feed(p, incident("b"), NOW + 10) == []  # joins the same site group
    assert p.on_timer(NOW + 29) == []
    [n] = p.on_timer(NOW + 30)
    assert n.data.reason == "new" and n.data.sequence == 1
    assert {b.incident_id for b in n.data.incidents} == {"a", "b"}
    assert n.data.group_labels == {"site": "par1"}
    # more alerts, same severity and state: nothing until the repeat interval
    assert feed(p, incident("a", version=2, alerts=9), NOW + 60) == []
    assert p.on_timer(NOW + 200) == []
    # a severity change waits for group_interval after the last notification
    assert feed(p, incident("a", version=3, severity="warning", alerts=9), NOW + 250) == []
    [n2] = p.on_timer(NOW + 330)
    assert n2.data.reason == "changed" and n2.data.sequence == 2
    assert {b.incident_id: b.alert_count for b in n2.data.incidents}["a"] == 9
    [n3] = p.on_timer(NOW + 330 + 3600)
    assert n3.data.reason == "repeat" and n3.data.dedup_key.endswith("/3")
    # both resolve: one resolved notification, then the group is gone
    feed(p, incident("a", version=4, state="resolved"), NOW + 4000)
    feed(p, incident("b", version=2, state="resolved"), NOW + 4000)
    [n4] = p.on_timer(NOW + 330 + 3600 + 300)
    assert n4.data.status == "resolved" and n4.data.reason == "resolved"
    assert len(p) == 0 and p.on_timer(NOW + 99_999) == []


def test_resolved_before_told_is_dropped_and_dedup_keys_are_stable() -> None:
    tree = {"receiver": "default", "group_wait": "30s"}
    p = NotifyProcessor(routing(tree))
    feed(p, incident(), NOW)
    feed(p, incident(version=2, state="resolved"), NOW + 5)
    assert p.on_timer(NOW + 60) == [] and len(p) == 0
    a, b = NotifyProcessor(routing(tree)), NotifyProcessor(routing(tree))
    for q in (a, b):
        feed(q, incident(), NOW)
    assert a.on_timer(NOW + 30)[0].data.dedup_key == b.on_timer(NOW + 31)[0].data.dedup_key


def test_suppressed_incidents_and_send_resolved() -> None:
    p = NotifyProcessor(routing({"receiver": "default", "group_wait": 0}))
    assert feed(p, incident(suppressed=True), NOW) == []
    p = NotifyProcessor(routing({"receiver": "default", "group_wait": 0}, send_suppressed=True))
    assert len(feed(p, incident(suppressed=True), NOW)) == 1
    p = NotifyProcessor(routing({"receiver": "default", "group_wait": 0, "group_interval": 1},
                                send_resolved=False))
    assert len(feed(p, incident(), NOW)) == 1
    assert feed(p, incident(version=2, state="resolved"), NOW + 5) == []


def silence(sid: str, matchers: list[str], start: datetime, end: datetime,
            tenant: str = "acme") -> SilenceEvent:
    return SilenceEvent(id=sid, source="test", tenant_id=tenant, data=Silence(
        silence_id=sid, matchers=matchers, starts_at=start, ends_at=end, author="ops",
        comment="maintenance", created_at=start, updated_at=start))


def test_silences_mute_their_tenant_only_and_release_on_expiry() -> None:
    p = NotifyProcessor(routing({"receiver": "default", "group_wait": 0, "group_interval": 1}))
    p.on_side(silence("s1", ['site="par1"'], T0, T0 + timedelta(minutes=10)), now=NOW)
    assert feed(p, incident(), NOW + 1) == []
    assert len(feed(p, incident("x", tenant="globex"), NOW + 1)) == 1  # other tenant
    assert len(feed(p, incident("y", sites=("lon1",)), NOW + 1)) == 1  # not matched
    assert p.on_timer(NOW + 300) == []
    [n] = p.on_timer(NOW + 601)  # silence over: the muted incident is told now
    assert n.data.incidents[0].incident_id == "inc-1" and n.data.reason == "new"


def test_state_round_trip_keeps_schedule_and_sequence() -> None:
    tree = routing({"receiver": "default", "group_wait": 0, "group_interval": "1m"})
    p = NotifyProcessor(tree)
    feed(p, incident(), NOW)
    snap = p.snapshot()
    q = NotifyProcessor(tree)
    for key, (part, blob) in snap.items():
        q.restore(key, blob, part)
    feed(q, incident(version=2, severity="warning"), NOW + 10)
    [n] = q.on_timer(NOW + 61)
    assert n.data.sequence == 2 and n.data.reason == "changed"
    q.drop_partitions({0})
    assert len(q) == 0


@pytest.mark.parametrize("text, problem", [
    ("receivers: [{name: a, type: webhook}]\nroute: {receiver: a}\n", "needs a url"),
    ("receivers: [{name: a, type: kafka}]\nroute: {receiver: b}\n", "no receiver named 'b'"),
    ("receivers: [{name: a, type: kafka}]\nroute:\n  receiver: a\n  routes:\n"
     "    - matchers: ['sev=\"x\"']\n", "unknown label 'sev'"),
    ("receivers: [{name: a, type: kafka}]\nroute:\n  receiver: a\n  group_wait: 5x\n",
     "line 4"),
    ("receivers: [{name: a, type: kafka}]\nroute:\n  receiver: a\n  contineu: true\n",
     "allowed: continue"),
])
def test_bad_routing_files_name_the_problem(tmp_path, text: str, problem: str) -> None:
    from schemas.alert_rules import RuleError

    f = tmp_path / "notify.yaml"
    f.write_text(text)
    with pytest.raises(RuleError) as info:
        load_routing(f)
    assert problem in str(info.value)


def test_default_routing_file_loads() -> None:
    r = load_routing()
    assert {x.name for x in r.receivers} >= {"noc", "kafka"}


def test_run_time_silences_mark_alerts_in_clustering_too() -> None:
    from config.alert_rules import load_alert_rules
    from processors.alerts.clustering import AlertClusterer
    from processors.alerts.processor import ClusteringProcessor
    from schemas.events import AlertEvent
    from tests.unit.examples import VALID

    p = ClusteringProcessor(AlertClusterer(load_alert_rules()))
    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    p.on_side(silence("mw", ['host="db-7"'], at - timedelta(hours=1), at + timedelta(hours=1)),
              now=NOW)
    p.on_side(silence("other", ['host="db-7"'], at - timedelta(hours=1),
                      at + timedelta(hours=1), tenant="globex"), now=NOW)
    out = p.on_event(AlertEvent.model_validate(VALID["alert"]), partition=0, now=NOW)
    [a] = [e.data for e in out if e.type == "aiops.alert-assignment"]
    assert a.suppressed_by == ["silence:mw"]


def test_an_incident_leaving_a_route_is_resolved_there() -> None:
    """Severity drops from critical to warning: the pager route no longer takes it, so the
    pager is told it resolved (and is not paged again by the repeat interval)."""
    p = NotifyProcessor(routing({"receiver": "default", "group_wait": 0, "group_interval": 1,
                                 "repeat_interval": "1h",
                                 "routes": [{"receiver": "pager",
                                             "matchers": ['severity="critical"']}]}))
    [n] = feed(p, incident(), NOW)
    assert n.data.receiver == "pager"
    out = feed(p, incident(version=2, severity="warning"), NOW + 5)
    assert sorted((x.data.receiver, x.data.status) for x in out) == [
        ("default", "firing"), ("pager", "resolved")]
    assert [x.data.receiver for x in p.on_timer(NOW + 2 * 3600)] == ["default"]  # repeat


def test_a_group_made_again_gets_new_dedup_keys() -> None:
    p = NotifyProcessor(routing({"receiver": "default", "group_by": ["site"], "group_wait": 0,
                                 "group_interval": 1}))
    [first] = feed(p, incident("a"), NOW)
    feed(p, incident("a", version=2, state="resolved"), NOW + 5)
    assert len(p) == 0
    [again] = feed(p, incident("b"), NOW + 60)
    assert again.data.sequence == 1 and again.data.dedup_key != first.data.dedup_key
    assert again.data.group_key == first.data.group_key == 'acme/root:{site="par1"}'


def test_state_made_under_another_routing_file_is_dropped_not_fatal() -> None:
    old = NotifyProcessor(routing({"receiver": "pager", "group_wait": 0}))
    feed(old, incident(), NOW)
    snap = old.snapshot()
    new = NotifyProcessor(routing({"receiver": "default", "group_wait": 0}))
    for key, (part, blob) in snap.items():
        new.restore(key, blob, part)
    assert len(new) == 0 and new.dropped["stale_group"] == 1
    assert all(blob is None for _p, blob in new.snapshot().values())  # tombstoned
    assert new.on_timer(NOW + 10) == []


def test_bookkeeping_stays_bounded_and_send_resolved_false_drops_at_once() -> None:
    p = NotifyProcessor(routing({"receiver": "default", "group_wait": 0, "group_interval": 1}))
    for i in range(200):
        feed(p, incident(f"i{i}"), NOW)
        p.snapshot()
        feed(p, incident(f"i{i}", version=2, state="resolved"), NOW + 2)
        p.snapshot()
    assert len(p) == 0 and not p._partition_of and not p._where
    q = NotifyProcessor(routing({"receiver": "default", "group_by": ["site"], "group_wait": 0,
                                 "group_interval": 1}, send_resolved=False))
    feed(q, incident("a"), NOW)
    feed(q, incident("b"), NOW)
    feed(q, incident("a", version=2, state="resolved"), NOW + 5)
    [n] = feed(q, incident("b", version=2, severity="warning"), NOW + 10)
    assert [b.incident_id for b in n.data.incidents] == ["b"]
    feed(q, incident("b", version=3, state="resolved"), NOW + 20)
    assert len(q) == 0
