"""Per-series online anomaly detection, and alerts for anomalies that last.

Keyed by series (tenant + metric name + resource attributes), so no state is shared across
tenants. For each sample: score it with the series' detector (then learn it), emit an
``Anomaly`` when it is anomalous (or always, if asked), and run a small hysteresis machine
that turns sustained anomalies into ``Alert`` events (firing, later resolved) which join the
alert stream. Every series has a TTL: one that goes quiet is forgotten (its open alert is
resolved first), so memory stays bounded.

Real streams are not tidy; the policy, per series, in arrival order (as NAB's runner does):

- a sample older than the series' newest (a clock stepped back, a late retry) is scored and
  learned where it arrives, never refused; counted ``out_of_order``;
- a sample with the newest one's timestamp and value (a duplicate delivery) is skipped;
  counted ``duplicate`` (dropped); one with the same timestamp and another value is scored
  and learned, counted ``repeated_timestamp``;
- gaps are not filled: detectors keep their state, seasonal ones index by time of day, and a
  series silent longer than its TTL starts over (with its warm-up);
- a value of magnitude ``EXTREME`` or more (a broken sensor, 1e308) is reported as an
  anomaly with score 1 and not learned, so it cannot poison the detector's state; counted
  ``extreme`` (dropped). Constant stretches need nothing: detectors score them 0;
- a detector that returns a non-finite score is treated as score 0 and counted
  ``bad_score``, never propagated.

Counts are exported per reason: ``aiops_stage_dropped_events`` (duplicate, extreme) and
``aiops_stage_irregular_events`` (out_of_order, repeated_timestamp, bad_score).

Implements the stage protocol (``processors/protocol.py``): ``on_event`` per sample,
``on_timer`` expires quiet series, ``snapshot``/``restore`` carry per-series state across
restarts and rebalances (the stage skips samples already learned, so none is learned twice).
"""

from __future__ import annotations

import hashlib
import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from models.base import Detector, Sample
from schemas.derived import Anomaly, AnomalyEvent
from schemas.envelope import Envelope
from schemas.events import Alert, AlertEvent, MetricSampleEvent, label_fingerprint
from schemas.keys import series_id

SOURCE = "aiops/anomaly"
EXTREME = 1e100
"""Values this large are broken input: squares overflow and a detector's state would be lost."""


@dataclass(frozen=True, slots=True)
class SeriesPolicy:
    detector_name: str
    threshold: float = 0.5
    fire_after: int = 2
    clear_below: float = 0.3
    resolve_after: int = 5
    learn_first_s: float = 0.0
    """Event time a new series is learned before it is judged (no anomaly, no alert)."""


@dataclass(slots=True)
class SeriesState:
    detector: Detector
    policy: SeriesPolicy
    key: str = ""
    partition: int = -1
    last_seen: float = 0.0
    hot: int = 0
    cold: int = 0
    firing_since: datetime | None = None
    labels: dict[str, str] | None = None
    """Only while an alert is open: most series never alert, and memory is per series."""
    last_ts: float | None = None
    last_value: float | None = None
    first_ts: float | None = None


class AnomalyProcessor:
    def __init__(self, make: Callable[[str], tuple[Detector, SeriesPolicy]], *,
                 ttl_s: float = 6 * 3600, emit_all: bool = False) -> None:
        """``make(metric_name)`` gives a fresh detector and the policy for that metric."""
        self.make = make
        self.ttl_s = ttl_s
        self.emit_all = emit_all
        self.series: dict[str, SeriesState] = {}
        self.dirty: set[str] = set()
        self.deleted: dict[str, int] = {}  # key -> partition, for the changelog tombstone
        self.dropped: dict[str, int] = {"duplicate": 0, "extreme": 0}
        self.irregular: dict[str, int] = {"out_of_order": 0, "repeated_timestamp": 0,
                                          "bad_score": 0}

    # -- items ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.series)

    def on_event(self, ev: MetricSampleEvent, *, partition: int = -1, now: float
                 ) -> list[Envelope]:
        key = series_id(ev)
        st = self.series.get(key)
        if st is None:
            detector, policy = self.make(ev.data.name)
            st = self.series[key] = SeriesState(detector, policy, key)
            self.deleted.pop(key, None)
        st.partition, st.last_seen = partition, now
        self.dirty.add(key)
        d = ev.data
        ts = d.timestamp.timestamp()
        last_ts = st.last_ts
        if last_ts is not None:
            if ts == last_ts and d.value == st.last_value:
                self.dropped["duplicate"] += 1
                return []
            if ts < last_ts:
                self.irregular["out_of_order"] += 1
            elif ts == last_ts:
                self.irregular["repeated_timestamp"] += 1
        st.last_ts = max(ts, last_ts) if last_ts is not None else ts
        st.last_value = d.value
        first_ts = st.first_ts
        if first_ts is None:
            st.first_ts = first_ts = ts
        learning = ts - first_ts < st.policy.learn_first_s
        x = Sample(d.value, d.timestamp)
        expected = lower = upper = None
        if abs(d.value) >= EXTREME:
            self.dropped["extreme"] += 1
            score = 1.0  # reported, not learned
        else:
            raw = float(st.detector.score_one(x))
            if not math.isfinite(raw):
                self.irregular["bad_score"] += 1
                raw = 0.0
            score = min(1.0, max(0.0, raw))
            band = getattr(st.detector, "band", None)
            expected, lower, upper = band() if callable(band) else (None, None, None)
            st.detector.learn_one(x)
        policy = st.policy
        if learning:
            score = 0.0  # learned, not judged yet
        is_anomaly = score >= policy.threshold
        out: list[Envelope] = []
        if is_anomaly or self.emit_all:
            out.append(AnomalyEvent(
                id=f"{ev.id}:anomaly", source=SOURCE, time=ev.time, tenant_id=ev.tenant_id,
                data=Anomaly(series_id=key, name=d.name, timestamp=d.timestamp, value=d.value,
                             score=score, expected=expected, lower=lower, upper=upper,
                             detector=policy.detector_name, is_anomaly=is_anomaly,
                             resource=d.resource)))
        alert = self._hysteresis(st, ev, score)
        if alert is not None:
            out.append(alert)
        return out

    def _hysteresis(self, st: SeriesState, ev: MetricSampleEvent, score: float
                    ) -> AlertEvent | None:
        p = st.policy
        st.hot = st.hot + 1 if score >= p.threshold else 0
        st.cold = st.cold + 1 if score < p.clear_below else 0
        if st.firing_since is None and st.hot >= p.fire_after:
            st.firing_since = ev.data.timestamp
            st.labels = _labels(ev, p)
            return self._alert(st, ev.tenant_id, "firing", ev, score)
        if st.firing_since is not None and st.cold >= p.resolve_after:
            alert = self._alert(st, ev.tenant_id, "resolved", ev, score)
            st.firing_since = None
            st.labels = None
            return alert
        return None

    def _alert(self, st: SeriesState, tenant: str, status: str, ev: MetricSampleEvent | None,
               score: float, ended: datetime | None = None) -> AlertEvent:
        assert st.firing_since is not None and st.labels is not None
        when = ev.data.timestamp if ev is not None else (ended or datetime.now(UTC))
        name = st.labels["metric"]
        where = st.labels.get("host") or st.labels.get("service") or st.labels.get("site", "")
        summary = (f"{name} on {where} is anomalous (score {score:.2f})" if status == "firing"
                   else f"{name} on {where} is back to normal")
        eid = ev.id if ev is not None else (
            f"{tenant}:expired:{hashlib.blake2b(st.key.encode(), digest_size=8).hexdigest()}:"
            f"{when.isoformat()}")
        return AlertEvent(
            id=f"{eid}:alert:{status}", source=SOURCE, time=when, tenant_id=tenant,
            data=Alert(status=status, labels=st.labels, annotations={"summary": summary},
                       starts_at=st.firing_since,
                       ends_at=when if status == "resolved" else None,
                       fingerprint=label_fingerprint(st.labels)))

    # -- timers --------------------------------------------------------------------------------
    def on_timer(self, now: float) -> list[Envelope]:
        """Forget series quiet for longer than the TTL; resolve their open alerts first."""
        out: list[Envelope] = []
        for key in [k for k, st in self.series.items() if now - st.last_seen > self.ttl_s]:
            st = self.series.pop(key)
            if st.firing_since is not None:
                tenant = key.split("|", 1)[0]
                out.append(self._alert(st, tenant, "resolved", None, 0.0,
                                       ended=datetime.fromtimestamp(st.last_seen, UTC)))
            self.dirty.discard(key)
            self.deleted[key] = st.partition
        return out

    # -- state ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, tuple[int, bytes | None]]:
        """(partition, blob) of every series changed since the last call; None = deleted."""
        out: dict[str, tuple[int, bytes | None]] = {
            key: (self.series[key].partition, pickle.dumps(self.series[key], protocol=5))
            for key in self.dirty}
        for key, partition in self.deleted.items():
            out[key] = (partition, None)
        self.dirty.clear()
        self.deleted.clear()
        return out

    def restore(self, key: str, blob: bytes | None, partition: int = -1) -> None:
        if blob is None:
            self.series.pop(key, None)
            return
        st: SeriesState = pickle.loads(blob)  # our own changelog topic: trusted
        for name in ("last_ts", "last_value", "first_ts"):  # absent in older releases' state
            if not hasattr(st, name):
                setattr(st, name, None)
        # the alerting policy comes from today's config, not the one the snapshot was made
        # under (a changed detector name keeps the learned detector until the series expires)
        metric = key.split("|", 2)[1] if key.count("|") >= 1 else ""
        _detector, policy = self.make(metric)
        if policy.detector_name == st.policy.detector_name:
            st.policy = policy
        if partition >= 0:
            st.partition = partition
        self.series[key] = st

    def drop_partitions(self, partitions: set[int]) -> None:
        """After a revoke: another worker owns these series now."""
        for key in [k for k, st in self.series.items() if st.partition in partitions]:
            del self.series[key]
            self.dirty.discard(key)


def _labels(ev: MetricSampleEvent, policy: SeriesPolicy) -> dict[str, str]:
    r = ev.data.resource
    labels = {"alertname": "MetricAnomaly", "severity": "warning", "metric": ev.data.name,
              "detector": policy.detector_name}
    for label, value in (("site", r.site), ("service", r.service_name), ("host", r.host_name)):
        if value:
            labels[label] = value
    return labels
