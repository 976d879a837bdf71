"""The clustering processor: dedup, each grouping path, silences, inhibition, lifecycle, TTL,
tenant isolation, and a small scenario against the quality targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from benchmarks.clustering.run import score
from processors.alerts import AlertClusterer, RuleSet
from processors.alerts.noise import NoiseMeter
from processors.alerts.state import TTLState
from schemas.events import Alert, AlertEvent

T = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
_ids = count()
RULES = {
    "grouping": [{"name": "host", "group_by": ["site", "_host"], "window": "10m"}],
    "similarity": {"enabled": False},
    "inhibit_rules": [{"name": "site-down", "source_matchers": ['alertname="SiteDown"'],
                       "target_matchers": ['alertname!="SiteDown"'], "equal": ["site"]}],
    "silences": [{"id": "maint", "matchers": ['service="postgres"'],
                  "starts_at": T, "ends_at": T + timedelta(hours=1)}],
    "lifecycle": {"group_interval": "30s", "resolve_grace": "2m", "quiet_timeout": "30m"},
}


def ev(name: str, host: str, *, tenant: str = "acme", status: str = "firing", site: str = "fra1",
       at: datetime = T, **labels: str) -> AlertEvent:
    alert = Alert(status=status, starts_at=at, annotations={"summary": f"{name} on {host}"},
                  labels={"alertname": name, "instance": f"{host}:9100", "site": site,
                          "severity": "warning", **labels})
    return AlertEvent(id=f"e{next(_ids)}", source="test", tenant_id=tenant, data=alert)


@pytest.fixture
def proc() -> AlertClusterer:
    return AlertClusterer(RuleSet.model_validate(RULES))


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def test_first_alert_opens_an_incident_in_the_same_call(proc: AlertClusterer) -> None:
    out = proc.on_alert(ev("HostDiskFull", "db-7"), at(0))
    [version] = out.incidents
    assert version.incident.state == "open" and version.incident.version == 1
    assert version.incident.hosts == ["db-7"] and version.incident.severity == "warning"
    assert out.assignments[0].incident_id == version.incident.incident_id
    assert out.assignments[0].kind == "new"


def test_repeat_is_an_update_not_a_new_alert(proc: AlertClusterer) -> None:
    first = proc.on_alert(ev("HostDiskFull", "db-7"), at(0)).assignments[0]
    again = proc.on_alert(ev("HostDiskFull", "db-7"), at(5))
    assert again.incidents == [] and again.assignments[0].kind == "repeat"
    assert again.assignments[0].incident_id == first.incident_id


def test_grouping_rule_by_host_within_window(proc: AlertClusterer) -> None:
    a = proc.on_alert(ev("HostDiskFull", "db-7"), at(0)).assignments[0].incident_id
    b = proc.on_alert(ev("HostHighCpu", "db-7", severity="critical"), at(3))
    proc.on_alert(ev("HostSwap", "db-7"), at(3.1))  # within group_interval: coalesced...
    [late] = [v for v in proc.on_tick(at(3.7)).incidents if v.incident.incident_id == a]
    assert late.incident.version == 3 and late.incident.alert_count == 3  # ...sent on a tick
    c = proc.on_alert(ev("HostHighCpu", "db-8"), at(4)).assignments[0].incident_id
    d = proc.on_alert(ev("HostOutOfMemory", "db-7"), at(30)).assignments[0].incident_id
    assert b.assignments[0].incident_id == a != c
    assert d not in (a, c)  # 27 minutes after the last member: outside the 10m window
    [upd] = b.incidents  # group_interval (30s) had passed since the open version: sent at once
    assert upd.incident.incident_id == a and upd.incident.state == "updated"
    assert upd.incident.severity == "critical" and upd.incident.alert_count == 2


def test_similarity_joins_by_mention() -> None:
    rules = {**RULES, "similarity": {"same": ["site"], "threshold": 0.6}}
    proc = AlertClusterer(RuleSet.model_validate(rules))
    a = proc.on_alert(ev("PostgresSlow", "db-1", service="postgres"), at(0))
    alert = Alert(status="firing", starts_at=at(4), labels={
        "alertname": "HighLatency", "instance": "api-2:8080", "service": "orders-api",
        "site": "fra1"}, annotations={"description": "slowest upstream: postgres"})
    b = proc.on_alert(AlertEvent(id="x1", source="t", tenant_id="acme", data=alert), at(4))
    assert b.assignments[0].incident_id == a.assignments[0].incident_id


def test_silenced_alert_is_kept_and_marked(proc: AlertClusterer) -> None:
    out = proc.on_alert(ev("PostgresDown", "db-1", service="postgres"), at(10))
    a = out.assignments[0]
    assert a.suppressed_by == ("silence:maint",) and a.incident_id is not None
    assert out.incidents[0].suppressed and out.incidents[0].incident.suppressed
    later = proc.on_alert(ev("PostgresSlow", "db-2", service="postgres"), at(61)).assignments[0]
    assert later.suppressed_by == ()  # the silence ended


def test_inhibited_target_joins_its_source_and_is_marked(proc: AlertClusterer) -> None:
    src = proc.on_alert(ev("SiteDown", "gw", severity="critical"), at(0)).assignments[0]
    tgt = proc.on_alert(ev("InstanceDown", "web-1"), at(1)).assignments[0]
    other_site = proc.on_alert(ev("InstanceDown", "web-1", site="ams2"), at(1)).assignments[0]
    assert tgt.incident_id == src.incident_id and tgt.suppressed_by == ("inhibit:site-down",)
    assert other_site.suppressed_by == () and other_site.incident_id != src.incident_id


def test_source_arriving_later_remarks_targets_and_unmarks_on_resolve(
        proc: AlertClusterer) -> None:
    tgt = proc.on_alert(ev("InstanceDown", "web-1"), at(0)).assignments[0]
    out = proc.on_alert(ev("SiteDown", "gw"), at(1))
    remark = [a for a in out.assignments if a.kind == "remark"]
    assert [(r.fingerprint, r.suppressed_by) for r in remark] == [
        (tgt.fingerprint, ("inhibit:site-down",))]
    assert out.assignments[-1].incident_id == tgt.incident_id  # the source joins its targets
    out = proc.on_alert(ev("SiteDown", "gw", status="resolved"), at(5))
    assert [(a.kind, a.suppressed_by) for a in out.assignments if a.kind == "remark"] == [
        ("remark", ())]


def test_resolved_incident_takes_no_new_alerts(proc: AlertClusterer) -> None:
    a = proc.on_alert(ev("HostDiskFull", "db-7"), at(0)).assignments[0].incident_id
    proc.on_alert(ev("HostDiskFull", "db-7", status="resolved"), at(1))
    assert not [v for v in proc.on_tick(at(2)).incidents if v.incident.state == "resolved"]
    resolved = [v.incident for v in proc.on_tick(at(3.5)).incidents]
    assert [(i.incident_id, i.state) for i in resolved] == [(a, "resolved")]
    b = proc.on_alert(ev("HostHighCpu", "db-7"), at(4)).assignments[0].incident_id
    refire = proc.on_alert(ev("HostDiskFull", "db-7", at=at(4.5)), at(4.5)).assignments[0]
    assert b != a and refire.kind == "refire" and refire.incident_id == b


def test_flapping_alert_returns_to_its_incident_within_grace(proc: AlertClusterer) -> None:
    a = proc.on_alert(ev("HostClockSkew", "db-7"), at(0)).assignments[0].incident_id
    proc.on_alert(ev("HostClockSkew", "db-7", status="resolved"), at(1))
    proc.on_tick(at(2))
    again = proc.on_alert(ev("HostClockSkew", "db-7", at=at(2.5)), at(2.5)).assignments[0]
    assert again.kind == "refire" and again.incident_id == a


def test_quiet_incident_resolves_and_state_expires(proc: AlertClusterer) -> None:
    proc.on_alert(ev("HostDiskFull", "db-7"), at(0))
    out = proc.on_tick(at(31))
    assert [v.incident.state for v in out.incidents] == ["resolved"]
    proc.on_tick(at(60 * 25))  # past alert_ttl (24h default): the fingerprint is forgotten
    assert proc.on_alert(ev("HostDiskFull", "db-7"), at(60 * 25)).assignments[0].kind == "new"


def test_ttl_state() -> None:
    s: TTLState[str, int] = TTLState(default_ttl=10)
    s.set("a", 1, now=0)
    s.set("b", 2, now=0, ttl=100)
    assert s.get("a", 5) == 1 and s.exists("b", 50)
    s.touch("a", 8)
    assert s.expire(12) == [] and s.get("a", 17) == 1
    assert s.expire(18) == [("a", 1)] and len(s) == 1
    assert s.get("b", 100) is None


def test_tenants_never_share_incidents(proc: AlertClusterer) -> None:
    a = proc.on_alert(ev("HostDiskFull", "db-7", tenant="acme"), at(0))
    b = proc.on_alert(ev("HostDiskFull", "db-7", tenant="globex"), at(0))
    assert a.assignments[0].fingerprint == b.assignments[0].fingerprint
    assert a.assignments[0].incident_id != b.assignments[0].incident_id
    assert b.incidents[0].tenant_id == "globex" and proc.tenant_count() == 2


def test_noise_meter_counts_every_notification(proc: AlertClusterer) -> None:
    meter = NoiseMeter()
    meter.observe(proc.on_alert(ev("HostDiskFull", "db-7"), at(m)) for m in range(4))
    meter.observe([proc.on_alert(ev("HostHighCpu", "db-7"), at(5))])
    r = meter.report()["acme"]
    assert (r["notifications"], r["fingerprints"], r["incidents"]) == (5, 2, 1)
    assert r["notification_compression"] == 0.8 and r["fingerprint_compression"] == 0.5


@pytest.mark.parametrize("seed", [2, 7])
def test_scenario_meets_quality_targets(seed: int) -> None:
    """The issue's targets on whole scenarios (seed 2 is the hardest of 1-10 for precision)."""
    r = score(seed)
    overall = r["rows"][-1]
    assert overall["compression"] >= 0.90
    assert overall["precision"] >= 0.95 and overall["recall"] >= 0.90
    assert r["cross_tenant_incidents"] == 0 and r["overlaps_merged"] == 0
    assert r["incidents_folded"] > 0  # power-loss storms start as several incidents


FOLD_RULES = {
    "grouping": [{"name": "host", "group_by": ["site", "_host"], "window": "10m"},
                 {"name": "site", "matchers": ['alertname=~"UPS.*|InstanceDown"'],
                  "group_by": ["site"], "window": "10m"}],
    "similarity": {"enabled": False},
    "merge": {"window": "2m"},
    "lifecycle": {"group_interval": "30s"},
}


def _power_loss(proc: AlertClusterer, probe_at: float) -> tuple[str, str]:
    """A UPS alert and a host down open the site's incident; a probe of web-2 opens its own."""
    probe = proc.on_alert(ev("ProbeFailed", "web-2", at=at(probe_at)), at(probe_at))
    site = proc.on_alert(ev("UPSOnBattery", "ups-1", at=at(1)), at(1)).assignments[0]
    proc.on_alert(ev("InstanceDown", "web-1", at=at(2)), at(2))
    assert probe.assignments[0].incident_id != site.incident_id
    return probe.assignments[0].incident_id or "", site.incident_id or ""


def test_alert_linking_two_young_incidents_folds_the_smaller_into_the_larger() -> None:
    proc = AlertClusterer(RuleSet.model_validate(FOLD_RULES))
    probe_inc, site_inc = _power_loss(proc, probe_at=2.5)
    out = proc.on_alert(ev("InstanceDown", "web-2", at=at(3)), at(3))  # host key + site key
    [gone, survivor] = [v.incident for v in out.incidents]
    assert (gone.incident_id, gone.state, gone.merged_into) == (probe_inc, "resolved", site_inc)
    assert survivor.incident_id == site_inc and survivor.state == "updated"
    assert survivor.alert_count == 4 and set(gone.alert_fingerprints) < set(
        survivor.alert_fingerprints)
    moved = [a for a in out.assignments if a.kind == "remark"]
    assert [(a.fingerprint, a.incident_id) for a in moved] == [
        (gone.alert_fingerprints[0], site_inc)]
    assert out.assignments[-1].kind == "new" and out.assignments[-1].incident_id == site_inc
    # the folded incident is gone: its alerts' repeats and its host's new alerts go to the survivor
    again = proc.on_alert(ev("ProbeFailed", "web-2", at=at(2.5)), at(6)).assignments[0]
    later = proc.on_alert(ev("HostHighCpu", "web-2", at=at(7)), at(7)).assignments[0]
    assert again.kind == "repeat" and again.incident_id == later.incident_id == site_inc
    meter = NoiseMeter()
    meter.observe([out])
    assert meter.report()["acme"]["incidents"] == 1


def test_older_incident_is_not_folded() -> None:
    """A probe that failed minutes before the storm stays apart: it may be its own problem."""
    proc = AlertClusterer(RuleSet.model_validate(FOLD_RULES))
    probe_inc, site_inc = _power_loss(proc, probe_at=0)
    out = proc.on_alert(ev("InstanceDown", "web-2", at=at(3)), at(3))
    assert out.assignments[-1].incident_id == site_inc  # the larger wins...
    assert not [v for v in out.incidents if v.incident.merged_into]  # ...and nothing is folded
    assert [a for a in out.assignments if a.kind == "remark"] == []
    assert proc.on_alert(ev("ProbeFailed", "web-2", at=at(0)), at(4)).assignments[
        0].incident_id == probe_inc


def test_merging_disabled_keeps_both() -> None:
    proc = AlertClusterer(RuleSet.model_validate({**FOLD_RULES, "merge": {"enabled": False}}))
    _, site_inc = _power_loss(proc, probe_at=2.5)
    out = proc.on_alert(ev("InstanceDown", "web-2", at=at(3)), at(3))
    assert out.assignments[-1].incident_id == site_inc
    assert not [v for v in out.incidents if v.incident.merged_into]


def test_incident_is_suppressed_while_every_member_is_muted(proc: AlertClusterer) -> None:
    opened = proc.on_alert(ev("PostgresDown", "db-1", service="postgres"), at(10))
    [v] = opened.incidents
    assert v.suppressed and v.incident.suppressed  # on the Incident itself, for every sink
    [still] = proc.on_alert(ev("PostgresSlow", "db-1", service="postgres"), at(11)).incidents
    assert still.incident.suppressed and still.incident.alert_count == 2
    [loud] = proc.on_alert(ev("HostHighCpu", "db-1"), at(13)).incidents  # not silenced
    assert not loud.suppressed and not loud.incident.suppressed
