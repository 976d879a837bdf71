"""`aiops bench soak`: sustained load with every stage on, to see memory and lag over time.

Two worker processes, as docs/operations.md suggests for one machine: ``ingest,deliver``
(it owns the embedded ClickHouse) and ``anomaly,clustering,notify,help-activity``. A producer
in this process sends ``--rate`` events/s for ``--minutes``: metric samples of 1,000 series
(a daily-cycle shape plus noise, stamped now), with alerts (a storm every few minutes) and
help-center interactions mixed in. Every ``--every`` seconds it samples each worker's resident
memory (``/proc/<pid>/status``) and the consumer lag of every group (their ``/metrics``).

At the end it waits for the workers to catch up and reports: the rate actually produced,
memory at the start and end of the second half and its slope (MiB/min: flat means bounded),
the largest lag seen, and p50/p99 of the delay from produce to durable row per table.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson
from prometheus_client.parser import text_string_to_metric_families

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
from pipelines.deliver import drop_redis_keys
from pipelines.runner import WorkerProcess, targets_for, wait_caught_up
from pipelines.stages import stage_env
from schemas.registry import sink_topics
from schemas.topics import TOPICS

SERIES = 1_000
TENANTS = ("acme", "globex", "initech")
GROUPS = ("ingest", "deliver", "anomaly", "clustering", "notify", "help-activity")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _metric(i: int, now: float, run: str, rng: random.Random) -> tuple[str, bytes, bytes]:
    s = i % SERIES
    tenant = TENANTS[s % 3]
    day = math.sin(2 * math.pi * (now % 86_400) / 86_400)
    value = 0.4 + 0.2 * day + rng.gauss(0, 0.03)
    body = {"specversion": "1.0", "id": f"{run}-m{i}", "source": "soak", "type": "metric.sample",
            "time": _iso(now), "tenant_id": tenant,
            "data": {"name": "system.cpu.utilization", "value": round(value, 5), "unit": "1",
                     "timestamp": _iso(now), "resource": {"host.name": f"host-{s}",
                                                          "site": f"s{s % 7}",
                                                          "service.name": "api"}}}
    return "telemetry.metrics", f"{tenant}|cpu|host-{s}".encode(), orjson.dumps(body)


def _alert(i: int, now: float, run: str) -> tuple[str, bytes, bytes]:
    tenant = TENANTS[i % 3]
    host = f"host-{(i // 3) % 40}"
    body = {"specversion": "1.0", "id": f"{run}-a{i}", "source": "soak", "type": "alert",
            "time": _iso(now), "tenant_id": tenant,
            "data": {"status": "firing" if (i // 60) % 2 == 0 else "resolved",
                     "startsAt": _iso(now - 60), "labels": {
                         "alertname": "HighLatency", "severity": "warning", "host": host,
                         "site": f"s{(i // 3) % 7}", "service": "api"},
                     "annotations": {"summary": f"latency high on {host}"}}}
    return "telemetry.alerts", tenant.encode(), orjson.dumps(body)


def _help(i: int, now: float, run: str) -> tuple[str, bytes, bytes]:
    tenant = TENANTS[i % 3]
    body = {"specversion": "1.0", "id": f"{run}-h{i}", "source": "soak",
            "type": "help.interaction", "time": _iso(now), "tenant_id": tenant,
            "data": {"kind": "article_view", "timestamp": _iso(now), "session_id": f"s{i % 500}",
                     "article_id": f"kb-{i % 20}", "site": f"s{i % 7}"}}
    return "help.interactions", f"{tenant}|s{i % 500}".encode(), orjson.dumps(body)


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _lag(worker: WorkerProcess) -> dict[str, float]:
    try:
        with urllib.request.urlopen(worker.url("/metrics"), timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return {}
    out: dict[str, float] = {}
    for fam in text_string_to_metric_families(text):
        if fam.name == "aiops_consumer_lag_records":
            for s in fam.samples:
                group = s.labels["group"]
                out[group] = out.get(group, 0.0) + s.value
    return out


def run(settings: Settings, *, minutes: float, rate: int, every_s: float, as_json: bool,
        timeout_s: float = 900) -> dict[str, Any]:
    k = settings.kafka
    check_broker(k.bootstrap)
    run_id = uuid.uuid4().hex[:8]
    prefix = f"soak-{run_id}."
    group = f"soak-{run_id}"
    workdir = Path("var/bench") / f"soak-{run_id}"
    env = {"AIOPS_KAFKA_TOPIC_PREFIX": prefix, "AIOPS_INGEST_GROUP_ID": f"{group}-ingest",
           "AIOPS_CLICKHOUSE_CHDB_PATH": str(workdir / "chdb"),
           "AIOPS_REDIS_KEY_PREFIX": f"soak-{run_id}:", **stage_env(group)}
    ensure_topics(k.bootstrap, prefix)
    workers = [
        WorkerProcess(env, workdir / "worker-ingest.log", 16090,
                      args=("worker", "--stages", "ingest,deliver")).start(),
        WorkerProcess(env, workdir / "worker-stages.log", 16091,
                      args=("worker", "--stages", "anomaly,clustering,notify,help-activity")
                      ).start()]
    samples: list[dict[str, Any]] = []
    producer = make_producer(k.bootstrap)
    rng = random.Random(7)
    total = int(minutes * 60 * rate)
    first = time.time()
    next_sample = first
    n = counts = 0
    try:
        with click.progressbar(length=total, label=f"soak at {rate:,}/s for {minutes:g} min",
                               file=None if not as_json else open("/dev/null", "w")) as bar:
            while n < total:
                now = time.time()
                due = int((now - first) * rate)
                for _ in range(max(0, min(due, total) - n)):
                    if n % 1000 == 0:
                        item = _alert(n // 1000, now, run_id)
                    elif n % 100 == 0:
                        item = _help(n // 100, now, run_id)
                    else:
                        item = _metric(n, now, run_id, rng)
                    produce_retrying(producer, prefix + item[0], item[2], item[1])
                    n += 1
                    counts += 1
                producer.poll(0)
                bar.update(counts)
                counts = 0
                if now >= next_sample:
                    for w in workers:
                        w.check_alive()
                    lag: dict[str, float] = {}
                    for w in workers:
                        lag.update(_lag(w))
                    samples.append({"t_s": round(now - first, 1), "produced": n,
                                    "rss_mib": [round(_rss_mib(w.proc.pid), 1)
                                                for w in workers if w.proc],
                                    "lag": sum(lag.values()), "lag_by_group": lag})
                    next_sample = now + every_s
                time.sleep(0.005)
        producer.flush(60)
        produced_s = time.time() - first
        click.echo("waiting for the workers to catch up ...", err=True)
        for stage, topic in (("anomaly", "telemetry.metrics"),
                             ("clustering", "telemetry.alerts"),
                             ("help-activity", "help.interactions"),
                             ("notify", "aiops.incidents")):
            wait_caught_up(k.bootstrap, f"{group}-{stage}",
                           targets_for(k.bootstrap, [prefix + topic]), timeout_s=timeout_s,
                           worker=workers[1])
        wait_caught_up(k.bootstrap, f"{group}-ingest",
                       targets_for(k.bootstrap, [prefix + t for t in sink_topics()]),
                       timeout_s=timeout_s, worker=workers[0])
        caught_up_s = time.time() - first
    finally:
        codes = [w.stop(timeout_s=60) for w in workers]
    sink = open_clickhouse(ClickHouseSettings(chdb_path=workdir / "chdb"), owner="bench")
    try:
        delays = {t: delay_stats(sink, t) for t in ("metrics", "alerts", "anomalies",
                                                     "incidents", "help_interactions")}
    finally:
        sink.close()
    delete_topics(k.bootstrap, [prefix + t.name for t in TOPICS])
    delete_groups(k.bootstrap, [v for name, v in env.items() if name.endswith("_GROUP_ID")]
                  + [f"{group}-deliver.noc"])
    drop_redis_keys(settings, f"soak-{run_id}:")
    half = [s for s in samples if s["t_s"] >= minutes * 30]
    slope = []
    for i in range(len(workers)):
        if len(half) >= 2 and half[-1]["t_s"] > half[0]["t_s"]:
            slope.append(round((half[-1]["rss_mib"][i] - half[0]["rss_mib"][i])
                               / ((half[-1]["t_s"] - half[0]["t_s"]) / 60), 2))
    result = {"benchmark": "soak", "minutes": minutes, "rate": rate, "events": n,
              "produced_per_s": round(n / produced_s), "caught_up_after_s":
              round(caught_up_s - produced_s, 1), "worker_exit_codes": codes,
              "rss_mib_second_half": [[h["rss_mib"][i] for h in (half[0], half[-1])]
                                      for i in range(len(workers))] if len(half) >= 2 else [],
              "rss_slope_mib_per_min": slope,
              "max_lag": max((s["lag"] for s in samples), default=0),
              "delays_ms": {t: {"rows": d["rows"], "p50": d["p50"], "p99": d["p99"]}
                            for t, d in delays.items()},
              "samples": samples}
    click.echo(f"produced        {n:,} events at {result['produced_per_s']:,}/s "
               f"(target {rate:,}/s); caught up {result['caught_up_after_s']} s after the last")
    for i, name in enumerate(("ingest,deliver", "anomaly,clustering,notify,help")):
        if result["rss_mib_second_half"]:
            a, b = result["rss_mib_second_half"][i]
            click.echo(f"memory {name:<30} {a} -> {b} MiB over the second half "
                       f"({slope[i]:+} MiB/min)")
    click.echo(f"lag             at most {result['max_lag']:,.0f} records (all groups)")
    for t, d in result["delays_ms"].items():
        click.echo(f"delay {t:<18} p50 {d['p50']} ms, p99 {d['p99']} ms ({d['rows']:,} rows)")
    shutil.rmtree(workdir, ignore_errors=True)
    if as_json:
        click.echo(json.dumps(result))
    return result

