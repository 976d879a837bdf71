"""`aiops bench anomaly`: the default detector's speed and memory, and the anomaly stage's.

- detector alone: samples/s of ``score_one`` + ``learn_one`` on one core (best of 3);
- memory: bytes per active series, pickled (what the changelog stores) and in memory
  (``tracemalloc``), for 100,000 series restored from 1,000 trained ones;
- demo: on the demo generator's metrics (``demo_quality.py``), false alarms per 5,000 healthy
  samples and whether the injected faults are found and ranked on top;
- pipeline: samples/s from first produce to the anomaly stage's last commit, and p50/p99 of the
  delay from a sample's produce time to its anomaly row in ClickHouse (anomalous samples only,
  as in production: ``emit_all`` off).
"""

from __future__ import annotations

import json
import math
import pickle
import random
import shutil
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import orjson

from benchmarks.common import delay_stats
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
from models.base import Sample
from models.registry import DEFAULT_DETECTOR, make_detector
from pipelines.runner import WorkerProcess, targets_for, wait_caught_up
from pipelines.stages import stage_env
from processors.anomaly import SeriesPolicy, SeriesState
from schemas.registry import sink_topics
from schemas.topics import TOPICS

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _series(n: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    level = rng.uniform(10, 100)
    out = []
    for i in range(n):
        v = level * (1 + 0.3 * math.sin(2 * math.pi * i / 288)) + rng.gauss(0, level * 0.03)
        if rng.random() < 0.002:
            v *= 3
        out.append(Sample(v, T0 + timedelta(minutes=5 * i)))
    return out


def detector_speed(detector: str, n: int = 200_000) -> float:
    samples = _series(n, 1)
    best = 0.0
    for _ in range(3):
        det = make_detector(detector)
        step = det.score_learn_one
        t0 = time.perf_counter()
        for x in samples:
            step(x)
        best = max(best, n / (time.perf_counter() - t0))
    return best


def memory_per_series(detector: str, series: int = 100_000, trained: int = 1_000,
                      samples: int = 400) -> dict[str, float]:
    blobs = []
    policy = SeriesPolicy(detector)
    for s in range(trained):
        det = make_detector(detector)
        for x in _series(samples, s):
            det.score_learn_one(x)
        st = SeriesState(det, policy, partition=0, last_seen=time.time())
        blobs.append(pickle.dumps(st, protocol=5))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = {f"t|m|host={i}": pickle.loads(blobs[i % trained]) for i in range(series)}
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(held) == series
    return {"series": series, "pickled_bytes_per_series": sum(map(len, blobs)) / trained,
            "memory_bytes_per_series": (after - before) / series}


def pipeline_run(settings: Settings, events: int, series: int, timeout_s: float,
                 split: bool = True, rate: int = 0, web_port: int = 16095) -> dict[str, Any]:
    """``split``: the anomaly and ingest stages in two worker processes (two cores), as a
    deployment would run them; otherwise one worker runs both and they share one GIL."""
    k = settings.kafka
    check_broker(k.bootstrap)
    run_id = uuid.uuid4().hex[:8]
    prefix = f"anom-{run_id}."
    workdir = Path("var/bench") / f"anomaly-{run_id}"
    env = {"AIOPS_KAFKA_TOPIC_PREFIX": prefix, "AIOPS_INGEST_GROUP_ID": f"anom-{run_id}",
           **stage_env(f"anom-{run_id}", enabled={"anomaly"}),
           "AIOPS_CLICKHOUSE_CHDB_PATH": str(workdir / "chdb")}
    ensure_topics(k.bootstrap, prefix)
    topic = prefix + "telemetry.metrics"
    per_series = max(1, events // series)
    data = [_series(per_series, s) for s in range(series)]
    if split:
        workers = [WorkerProcess(env, workdir / "anomaly.log", web_port,
                                 args=("worker", "--stages", "anomaly")).start(),
                   WorkerProcess(env, workdir / "ingest.log", web_port + 1,
                                 args=("worker", "--stages", "ingest")).start()]
    else:
        workers = [WorkerProcess(env, workdir / "worker.log", web_port).start()]
    worker = workers[0]
    try:
        producer = make_producer(k.bootstrap)
        first = time.time()
        n = 0
        for i in range(per_series):
            for s in range(series):
                x = data[s][i]
                now = datetime.now(UTC).isoformat()
                body = orjson.dumps({
                    "specversion": "1.0", "id": f"{run_id}-{s}-{i}", "source": "bench",
                    "type": "metric.sample", "time": now, "tenant_id": f"t{s % 10}",
                    "data": {"name": "system.cpu.utilization", "value": x.value,
                             "timestamp": x.timestamp.isoformat(),
                             "resource": {"host.name": f"host-{s}"}}})
                produce_retrying(producer, topic, body, f"t{s % 10}|host-{s}".encode())
                n += 1
                if n % 1_000 == 0:
                    producer.poll(0)
                    if rate and (ahead := first + n / rate - time.time()) > 0:
                        time.sleep(ahead)
        producer.flush(60)
        scored = wait_caught_up(k.bootstrap, f"anom-{run_id}-anomaly",
                                targets_for(k.bootstrap, [topic]), timeout_s=timeout_s,
                                worker=worker, poll_s=0.1)
        wait_caught_up(k.bootstrap, f"anom-{run_id}",
                       targets_for(k.bootstrap, [prefix + t for t in sink_topics()]),
                       timeout_s=timeout_s, worker=worker)
    finally:
        code = max(abs(w.stop()) for w in workers)
    if code != 0:
        raise click.ClickException(f"a worker exited with {code}; see the logs in {workdir}")
    sink = open_clickhouse(ClickHouseSettings(chdb_path=workdir / "chdb"), owner="bench")
    try:
        row = delay_stats(sink, "anomalies")
    finally:
        sink.close()
    shutil.rmtree(workdir, ignore_errors=True)
    delete_topics(k.bootstrap, [prefix + t.name for t in TOPICS])
    delete_groups(k.bootstrap, [v for n, v in env.items() if n.endswith("_GROUP_ID")])
    return {"samples": n, "series": series, "workers": len(workers), "rate_limit": rate,
            "samples_per_s": round(n / (scored - first)),
            "anomaly_rows": row["rows"], "delay_p50_ms": int(row["p50"]),
            "delay_p99_ms": int(row["p99"])}


def run(settings: Settings, *, detector: str | None, events: int, series: int,
        pipeline: bool, as_json: bool, split: bool = True, rate: int = 0,
        timeout_s: float = 900, demo_days: float = 7) -> dict[str, Any]:
    name = detector or DEFAULT_DETECTOR
    click.echo(f"detector {name}: timing one core ...", err=True)
    speed = detector_speed(name)
    click.echo(f"detector alone   {speed:,.0f} samples/s (one core, best of 3)")
    click.echo("memory: 100,000 series ...", err=True)
    mem = memory_per_series(name)
    click.echo(f"state per series {mem['pickled_bytes_per_series']:,.0f} B pickled, "
               f"{mem['memory_bytes_per_series']:,.0f} B in memory "
               f"({mem['series']:,} series)")
    result: dict[str, Any] = {"benchmark": "anomaly", "detector": name,
                              "detector_samples_per_s": round(speed), **mem}
    if demo_days > 0:
        from benchmarks.demo_quality import run as demo_quality

        click.echo(f"demo generator: {demo_days:g} days through the anomaly processor ...",
                   err=True)
        q = demo_quality(detector=detector, days=demo_days)
        click.echo(f"demo, healthy    {q['healthy_anomalies_per_5000']} anomalies per 5,000 "
                   f"healthy samples after warm-up ({q['healthy_anomalies']} of "
                   f"{q['healthy_samples']:,}; target <= 1)")
        click.echo(f"demo, faults     {q['fault_detected']}/{q['faults']} detected, delays "
                   f"{q['detection_delay_min']} min; hosts' rank by anomalous samples "
                   f"{q['fault_rank']} ({q['faults_on_top']} of {q['faults']} on top)")
        result["demo"] = q
    if pipeline:
        click.echo(f"pipeline: {events:,} samples over {series:,} series ...", err=True)
        p = pipeline_run(settings, events, series, timeout_s, split, rate)
        click.echo(f"pipeline         {p['samples_per_s']:,} samples/s through the anomaly stage "
                   f"({p['samples']:,} samples, {p['series']:,} series, "
                   f"{p['workers']} worker process(es))")
        click.echo(f"delay            p50 {p['delay_p50_ms']} ms, p99 {p['delay_p99_ms']} ms "
                   f"(produce -> anomaly row, {p['anomaly_rows']:,} anomalous samples)")
        result["pipeline"] = p
    if as_json:
        click.echo(json.dumps(result))
    return result
