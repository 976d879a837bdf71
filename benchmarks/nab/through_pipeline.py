"""NAB through the running pipeline: Kafka in -> anomaly stage -> ClickHouse rows out.

Every NAB file becomes one metric series (tenant ``nab``, ``host.name`` = the file's stem),
produced to a fresh ``telemetry.metrics`` topic and scored by a real worker with
``AIOPS_ANOMALY_EMIT_ALL`` on. The scores are read back from the ``anomalies`` table and put
through the same NAB scorer as the direct run, so the two can be compared number for number.
It also gives the pipeline's figures: samples/s from first produce to last anomaly row, and
the delay from produce to anomaly row (p50/p99).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from benchmarks.common import delay_stats
from benchmarks.nab.data import Corpus
from config.settings import ClickHouseSettings, Settings
from connectors.clickhouse import open_clickhouse
from connectors.kafka_io import (
    check_broker,
    delete_groups,
    delete_topics,
    ensure_topics,
    make_producer,
    produce_retrying,
)
from pipelines.runner import WorkerProcess, targets_for, wait_caught_up
from pipelines.stages import stage_env
from schemas.registry import sink_topics
from schemas.topics import TOPICS


def _events(corpus: Corpus, run_id: str):
    """Interleave the files round-robin, as a live feed of 44 series would arrive."""
    iters = [(s.stem, s.values.tolist(), s.datetimes()) for s in corpus.series]
    longest = max(len(v) for _, v, _ in iters)
    for i in range(longest):
        for stem, values, times in iters:
            if i < len(values):
                ts = times[i].isoformat()
                yield stem, orjson.dumps({
                    "specversion": "1.0", "id": f"{run_id}-{stem}-{i}", "source": "nab",
                    "type": "metric.sample", "time": "@NOW@", "tenant_id": "nab",
                    "data": {"name": "nab.value", "value": values[i], "unit": "1",
                             "timestamp": ts, "resource": {"host.name": stem}}})


def run_through_pipeline(settings: Settings, corpus: Corpus, detector: str,
                         timeout_s: float = 1800, web_port: int = 16090) -> dict[str, Any]:
    k = settings.kafka
    check_broker(k.bootstrap)
    run_id = uuid.uuid4().hex[:8]
    prefix = f"nab-{run_id}."
    workdir = Path("var/bench") / f"nab-{run_id}"
    cfg = workdir / "anomaly.yaml"
    workdir.mkdir(parents=True, exist_ok=True)
    # judged from the first sample, as NAB's runner judges (the scorer has its probation)
    cfg.write_text(f"default:\n  detector: {detector}\n  learn_first_s: 0\nrules: []\n")
    env = {"AIOPS_KAFKA_TOPIC_PREFIX": prefix, "AIOPS_INGEST_GROUP_ID": f"nab-{run_id}",
           **stage_env(f"nab-{run_id}", enabled={"anomaly"}), "AIOPS_ANOMALY_EMIT_ALL": "true",
           "AIOPS_ANOMALY_CONFIG_PATH": str(cfg),
           "AIOPS_CLICKHOUSE_CHDB_PATH": str(workdir / "chdb")}
    ensure_topics(k.bootstrap, prefix)
    topic = prefix + "telemetry.metrics"
    worker = WorkerProcess(env, workdir / "worker.log", web_port).start()
    n = 0
    try:
        producer = make_producer(k.bootstrap)
        first = time.time()
        for stem, body in _events(corpus, run_id):
            value = body.replace(b"@NOW@", datetime.now(UTC).isoformat().encode())
            produce_retrying(producer, topic, value, f"nab|{stem}".encode())
            n += 1
            if n % 20_000 == 0:
                producer.poll(0)
                print(f"[pipeline] produced {n:,}", file=sys.stderr, flush=True)
        producer.flush(60)
        wait_caught_up(k.bootstrap, f"nab-{run_id}-anomaly", targets_for(k.bootstrap, [topic]),
                       timeout_s=timeout_s, worker=worker)
        wait_caught_up(k.bootstrap, f"nab-{run_id}",
                       targets_for(k.bootstrap, [prefix + t for t in sink_topics()]),
                       timeout_s=timeout_s, worker=worker)
    finally:
        code = worker.stop()
    if code != 0:
        raise RuntimeError(f"worker exited with {code}; see {workdir / 'worker.log'}")
    sink = open_clickhouse(ClickHouseSettings(chdb_path=workdir / "chdb"), owner="bench nab")
    try:
        rows = sink.query(
            "SELECT host, groupArray(score) AS scores FROM "
            "(SELECT host, ts, score FROM aiops.anomalies FINAL ORDER BY host, ts) GROUP BY host")
        stats = delay_stats(sink, "anomalies")
    finally:
        sink.close()
    shutil.rmtree(workdir, ignore_errors=True)
    delete_topics(k.bootstrap, [prefix + t.name for t in TOPICS])
    delete_groups(k.bootstrap, [v for n, v in env.items() if n.endswith("_GROUP_ID")])
    scores = {r["host"]: np.asarray(r["scores"], dtype=np.float64) for r in rows}
    elapsed = int(stats["last_ms"]) / 1000 - first
    return {"scores": scores, "rows": stats["rows"], "samples": n,
            "samples_per_s": round(n / elapsed), "seconds": round(elapsed, 2),
            "delay_p50_ms": int(stats["p50"]), "delay_p99_ms": int(stats["p99"])}


def compare(settings: Settings, corpus: Corpus, detector: str, as_json: bool) -> dict[str, Any]:
    """Direct scores vs pipeline scores of one detector, and both NAB results."""
    from benchmarks.nab.runner import make, stream
    from benchmarks.nab.scorer import score_corpus

    proto = make(detector)
    direct = {s.stem: stream(proto, s)[0] for s in corpus.series}
    piped = run_through_pipeline(settings, corpus, detector)
    missing = [stem for stem in direct if len(piped["scores"].get(stem, ())) != len(direct[stem])]
    if missing:
        raise RuntimeError(f"pipeline scores missing or incomplete for {missing[:5]}")
    diff = max(float(np.max(np.abs(direct[k] - piped["scores"][k]))) for k in direct)
    out: dict[str, Any] = {"benchmark": "nab-through-pipeline", "detector": detector,
                           "max_abs_score_diff": diff,
                           **{k: v for k, v in piped.items() if k != "scores"}, "profiles": {}}
    labelled = corpus.labelled
    if labelled:
        prep = corpus.prepare()
        for name, scores in (("direct", direct), ("pipeline", piped["scores"])):
            res = score_corpus(prep, [scores[s.stem] for s in labelled], corpus.profiles)
            for profile, r in res.items():
                out["profiles"].setdefault(profile, {})[name] = round(r.score, 2)
    print(f"\n{detector} through the pipeline (Kafka -> anomaly stage -> ClickHouse):")
    print(f"  {piped['samples']:,} samples, {piped['rows']:,} anomaly rows, "
          f"{piped['samples_per_s']:,} samples/s first produce -> last row")
    print(f"  delay produce -> anomaly row: p50 {piped['delay_p50_ms']} ms, "
          f"p99 {piped['delay_p99_ms']} ms")
    print(f"  largest |direct - pipeline| score difference: {diff:.2e} (rows store Float32)")
    for profile, both in out["profiles"].items():
        print(f"  {profile:<20} direct {both['direct']:6.2f}   pipeline {both['pipeline']:6.2f}")
    if as_json:
        print(json.dumps(out))
    return out
