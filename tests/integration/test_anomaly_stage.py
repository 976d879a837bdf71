"""The anomaly stage on real Kafka: a restart restores state instead of re-learning."""

from __future__ import annotations

import itertools
import re
from datetime import datetime

import orjson

from benchmarks.nab.data import load_corpus
from connectors.demo_source import Produced
from models.base import Sample
from models.registry import DEFAULT_DETECTOR, make_detector


def _series_events(n: int) -> list[Produced]:
    """A real NAB series (with an anomaly) as metric samples of one series."""
    corpus = load_corpus()
    s = next(x for x in corpus.series if x.name.endswith("ec2_cpu_utilization_825cc2.csv"))
    out = []
    for i, (t, v) in enumerate(itertools.islice(zip(s.datetimes(), s.values, strict=True), n)):
        body = {"specversion": "1.0", "id": f"nab-{i}", "source": "nab", "type": "metric.sample",
                "time": t.isoformat(), "tenant_id": "acme",
                "data": {"name": "system.cpu.utilization", "value": float(v), "unit": "1",
                         "timestamp": t.isoformat(), "resource": {"host.name": "ec2-825cc2"}}}
        out.append(Produced("telemetry.metrics", b"acme|ec2-825cc2", orjson.dumps(body), True))
    return out


def _scores(pipeline) -> list[tuple[str, float]]:
    sink = pipeline.clickhouse()
    try:
        rows = sink.query("SELECT id, score FROM aiops.anomalies FINAL ORDER BY ts")
    finally:
        sink.close()
    return [(r["id"], float(r["score"])) for r in rows]


def test_restart_mid_stream_scores_exactly_like_an_uninterrupted_run(pipeline, tmp_path) -> None:
    events = _series_events(2_400)
    cfg = tmp_path / "anomaly.yaml"  # judged from the first sample, like the bare detector
    cfg.write_text("default:\n  learn_first_s: 0\nrules: []\n")
    env = {"AIOPS_ANOMALY_ENABLED": "true", "AIOPS_ANOMALY_EMIT_ALL": "true",
           "AIOPS_ANOMALY_BATCH_MAX_EVENTS": "500", "AIOPS_ANOMALY_CONFIG_PATH": str(cfg)}
    worker = pipeline.start_worker(**env)
    pipeline.produce(events[:1_300])
    pipeline.wait_stage_then_ingest(worker, "anomaly", "telemetry.metrics")
    assert worker.stop() == 0  # the state of the first part lives only in the changelog now
    worker = pipeline.start_worker(**env)
    pipeline.produce(events[1_300:])
    pipeline.wait_stage_then_ingest(worker, "anomaly", "telemetry.metrics")
    log = worker.log_path.read_text()
    restored = re.search(r"anomaly: restored (\d+) state records", log)
    assert restored and int(restored.group(1)) >= 1, "the second worker must restore its state"
    assert worker.stop() == 0

    got = _scores(pipeline)
    assert len(got) == len(events)
    # the same detector, uninterrupted, in this process
    det = make_detector(DEFAULT_DETECTOR)
    want = []
    for i, e in enumerate(events):
        d = orjson.loads(e.value)["data"]
        x = Sample(d["value"], datetime.fromisoformat(d["timestamp"]))
        want.append((f"nab-{i}:anomaly", min(1.0, max(0.0, det.score_one(x)))))
        det.learn_one(x)
    assert [i for i, _ in got] == [i for i, _ in want]
    # the table stores Float32: equal to float32 precision
    diffs = [abs(g - w) for (_, g), (_, w) in zip(got, want, strict=True)]
    assert max(diffs) < 1e-6, max(diffs)
    assert sum(w > 0 for _, w in want) > 100, "the series must exercise the detector"
