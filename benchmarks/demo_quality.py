"""What a NOC sees in the demo: are the injected faults the top anomalies, and do healthy
series stay quiet? Runs the anomaly processor (the stage's code, without Kafka) over the
demo generator's metric samples, in stream order.

- ``healthy_anomalies_per_5000``: anomalous verdicts on samples outside any fault window, per
  5,000 such samples after each series' warm-up (target: at most 1);
- ``fault_rank``: for each injected fault, the rank of its host among all (tenant, host)
  pairs by anomalous samples (1 = top); ``faults_on_top``: how many faults are in the top
  ``len(faults)`` hosts;
- ``fault_detected``: faults with at least one anomalous sample inside their window, and the
  delay from the fault's start to the first one.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson

from connectors.demo_source import DemoStream
from processors.anomaly import AnomalyProcessor
from schemas.events import MetricSampleEvent


def _processor(detector: str | None) -> AnomalyProcessor:
    from config.anomaly import load_anomaly_config
    from models.registry import DEFAULT_DETECTOR, make_detector
    from processors.anomaly import SeriesPolicy

    cfg = load_anomaly_config(None)

    def make(metric: str):
        p = cfg.policy_for(metric)
        name = detector or (DEFAULT_DETECTOR if p.detector == "default" else p.detector)
        params = p.params if detector is None else {}
        return make_detector(name, **params), SeriesPolicy(
            name, p.threshold, p.fire_after, p.clear_below, p.resolve_after, p.learn_first_s)

    return AnomalyProcessor(make, ttl_s=30 * 86_400)


def run(*, detector: str | None = None, days: float = 7, seed: int = 7,
        warmup: int = 288) -> dict[str, Any]:
    """``warmup``: samples per series not counted (the detectors' own warm-up and the first
    day a seasonal baseline needs)."""
    stream = DemoStream(seed, hours=24 * days, end=datetime(2026, 11, 23, tzinfo=UTC))
    proc = _processor(detector)
    seen: Counter[str] = Counter()
    healthy = healthy_hits = 0
    per_host: Counter[tuple[str, str]] = Counter()
    first_hit: dict[int, datetime] = {}
    for produced in stream.metrics():
        ev = MetricSampleEvent.model_validate(orjson.loads(produced.value))
        key = f"{ev.tenant_id}|{ev.data.name}|{ev.data.resource.host_name}"
        seen[key] += 1
        out = proc.on_event(ev, partition=0, now=ev.data.timestamp.timestamp())
        hit = any(e.type == "aiops.anomaly" and e.data.is_anomaly for e in out)
        host = ev.data.resource.host_name or ""
        fault = next((i for i, f in enumerate(stream.faults)
                      if f.tenant == ev.tenant_id and f.host == host
                      and f.start <= ev.data.timestamp < f.end), None)
        if hit:
            per_host[(ev.tenant_id, host)] += 1
            if fault is not None and fault not in first_hit:
                first_hit[fault] = ev.data.timestamp
        if fault is None and seen[key] > warmup:
            healthy += 1
            healthy_hits += hit
    ranking = [h for h, _n in per_host.most_common()]
    ranks = []
    for f in stream.faults:
        pair = (f.tenant, f.host)
        ranks.append(ranking.index(pair) + 1 if pair in ranking else None)
    n = len(stream.faults)
    return {
        "benchmark": "demo-quality", "detector": detector or "default (config/anomaly.yaml)",
        "days": days, "seed": seed, "series": len(seen), "healthy_samples": healthy,
        "healthy_anomalies": healthy_hits,
        "healthy_anomalies_per_5000": round(healthy_hits / max(healthy, 1) * 5000, 2),
        "faults": n, "fault_rank": ranks,
        "faults_on_top": sum(1 for r in ranks if r is not None and r <= n),
        "fault_detected": len(first_hit),
        "detection_delay_min": [round((first_hit[i] - f.start).total_seconds() / 60, 1)
                                if i in first_hit else None
                                for i, f in enumerate(stream.faults)],
        "top_hosts": [{"tenant": t, "host": h, "anomalous_samples": c}
                      for (t, h), c in per_host.most_common(6)],
    }
