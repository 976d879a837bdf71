from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.base import Detector, Sample
from processors.anomaly import AnomalyProcessor, SeriesPolicy
from schemas.derived import AnomalyEvent
from schemas.events import AlertEvent, MetricSampleEvent

T0 = datetime(2026, 11, 23, tzinfo=UTC)


class Above(Detector):
    """Scores 1.0 above ``limit`` after ``warmup`` samples: enough to drive the machine."""

    def __init__(self, limit: float = 10.0, warmup: int = 3) -> None:
        self.limit = limit
        self.warmup = warmup
        self.n = 0

    def learn_one(self, x: Sample) -> None:
        self.n += 1

    def score_one(self, x: Sample) -> float:
        return 0.0 if self.n < self.warmup else float(x.value > self.limit)

    def band(self) -> tuple[float, float, float]:
        return (5.0, 0.0, self.limit)


def make(metric: str):
    return Above(), SeriesPolicy("above", threshold=0.5, fire_after=2, clear_below=0.3,
                                 resolve_after=3)


def sample(i: int, value: float, host: str = "db-1", tenant: str = "acme") -> MetricSampleEvent:
    return MetricSampleEvent(
        id=f"{tenant}-{host}-{i}", source="t", tenant_id=tenant, time=T0 + timedelta(minutes=i),
        data={"name": "cpu", "value": value, "timestamp": T0 + timedelta(minutes=i),
              "resource": {"host.name": host, "site": "par1"}})


def run(proc, values, start=0, **kw):
    out = []
    for i, v in enumerate(values, start):
        out += proc.on_event(sample(i, v, **kw), now=1000.0 + i, partition=0)
    return out


def test_sustained_anomaly_fires_once_then_resolves_with_hysteresis() -> None:
    proc = AnomalyProcessor(make)
    out = run(proc, [1, 1, 1, 1, 50, 1, 50, 50, 50, 50, 1, 1, 50, 1, 1, 1, 1])
    alerts = [e for e in out if isinstance(e, AlertEvent)]
    assert [a.data.status for a in alerts] == ["firing", "resolved"]
    firing, resolved = alerts
    assert firing.data.labels["alertname"] == "MetricAnomaly"
    assert firing.data.labels["host"] == "db-1" and firing.tenant_id == "acme"
    assert firing.data.fingerprint == resolved.data.fingerprint
    assert resolved.data.ends_at is not None and resolved.data.starts_at == firing.data.starts_at
    anomalies = [e for e in out if isinstance(e, AnomalyEvent)]
    assert len(anomalies) == 6 and all(a.data.is_anomaly for a in anomalies)
    assert anomalies[0].data.expected == 5.0 and anomalies[0].data.upper == 10.0
    assert anomalies[0].id.endswith(":anomaly")


def test_a_single_spike_is_an_anomaly_but_not_an_alert() -> None:
    out = run(AnomalyProcessor(make), [1, 1, 1, 1, 50, 1, 1])
    assert [type(e).__name__ for e in out] == ["AnomalyEvent"]


def test_warmup_never_alerts_and_emit_all_writes_every_verdict() -> None:
    out = run(AnomalyProcessor(make, emit_all=True), [50, 50, 50])
    assert len(out) == 3 and not any(e.data.is_anomaly for e in out)


def test_tenants_and_series_never_share_state() -> None:
    proc = AnomalyProcessor(make)
    run(proc, [1, 1, 1], tenant="acme")
    run(proc, [1, 1, 1], tenant="globex")
    run(proc, [1, 1, 1], host="db-2")
    assert len(proc.series) == 3
    assert len({k.split("|")[0] for k in proc.series}) == 2


def test_ttl_forgets_quiet_series_and_resolves_their_alerts() -> None:
    proc = AnomalyProcessor(make, ttl_s=60)
    run(proc, [1, 1, 1, 50, 50, 50])
    out = proc.on_timer(now=1000.0 + 5 + 61)
    assert [e.data.status for e in out] == ["resolved"]
    assert not proc.series
    snaps = proc.snapshot()
    assert list(snaps.values()) == [(0, None)], "a tombstone on the series' partition"


def test_snapshot_restore_scores_like_an_uninterrupted_run() -> None:
    values = [1, 1, 1, 1, 50, 50, 1, 1, 50, 50, 50, 1, 1, 1, 1]
    whole = run(AnomalyProcessor(make), values)
    first = AnomalyProcessor(make)
    part = run(first, values[:7])
    snaps = first.snapshot()
    second = AnomalyProcessor(make)
    for key, (_partition, blob) in snaps.items():
        second.restore(key, blob)
    part += run(second, values[7:], start=7)
    assert [e.model_dump() for e in part] == [e.model_dump() for e in whole]


def test_dirty_tracking_snapshots_only_changed_series() -> None:
    proc = AnomalyProcessor(make)
    run(proc, [1, 1], host="a")
    run(proc, [1, 1], host="b")
    assert len(proc.snapshot()) == 2
    run(proc, [1], start=2, host="a")
    assert len(proc.snapshot()) == 1
    assert proc.snapshot() == {}


def test_irregular_streams_are_taken_in_arrival_order_and_counted() -> None:
    proc = AnomalyProcessor(make)
    run(proc, [1.0] * 5)  # minutes 0..4
    learned = proc.series[next(iter(proc.series))].detector
    n = learned.n
    assert proc.on_event(sample(4, 1.0), now=2000.0, partition=0) == []  # exact duplicate
    assert proc.dropped["duplicate"] == 1 and learned.n == n  # not learned twice
    proc.on_event(sample(4, 2.0), now=2001.0, partition=0)  # same time, another value
    proc.on_event(sample(1, 3.0), now=2002.0, partition=0)  # the clock stepped back
    assert proc.irregular["repeated_timestamp"] == 1 and proc.irregular["out_of_order"] == 1
    assert learned.n == n + 2  # both scored and learned, never refused


def test_extreme_values_are_anomalies_that_do_not_poison_the_detector() -> None:
    from models.registry import make_detector

    def real(metric: str):
        return make_detector("robust_z"), SeriesPolicy("robust_z")

    proc = AnomalyProcessor(real, emit_all=True)
    values = [50.0 + (i % 7) for i in range(400)]
    run(proc, values)
    out = proc.on_event(sample(400, 1e308), now=5000.0, partition=0)
    [verdict] = [e.data for e in out if isinstance(e, AnomalyEvent)]
    assert verdict.is_anomaly and verdict.score == 1.0 and proc.dropped["extreme"] == 1
    later = run(proc, [50.0 + (i % 7) for i in range(50)], start=401)
    scores = [e.data.score for e in later if isinstance(e, AnomalyEvent)]
    assert all(0.0 <= s <= 1.0 for s in scores) and max(scores) < 0.5
    assert proc.irregular["bad_score"] == 0


def test_a_new_series_is_learned_before_it_is_judged() -> None:
    def quiet_first(metric: str):
        return Above(), SeriesPolicy("above", threshold=0.5, fire_after=1, learn_first_s=600)

    proc = AnomalyProcessor(quiet_first)
    early = run(proc, [50.0] * 10)  # minutes 0-9: above the limit, but the first 10 minutes
    assert [e for e in early if isinstance(e, (AnomalyEvent, AlertEvent))] == []
    late = run(proc, [50.0] * 3, start=10)
    assert any(isinstance(e, AlertEvent) for e in late)
    assert proc.series[next(iter(proc.series))].detector.n == 13  # learned all along


def test_state_of_an_older_release_without_the_new_fields_restores() -> None:
    import pickle

    proc = AnomalyProcessor(make)
    run(proc, [1.0] * 4)
    key, st = next(iter(proc.series.items()))
    for name in ("last_ts", "last_value", "first_ts"):  # what an older release pickled
        delattr(st, name)
    blob = pickle.dumps(st)
    fresh = AnomalyProcessor(make)
    fresh.restore(key, blob, 0)
    assert fresh.series[key].last_ts is None
    assert run(fresh, [50.0] * 3, start=4)  # judged and alerting as before, no AttributeError
