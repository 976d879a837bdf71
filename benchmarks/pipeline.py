"""`aiops bench pipeline`: produce -> ingest stage (validate, route) -> durable ClickHouse rows.

Measures, on the local broker and the embedded ClickHouse, with a worker child process exactly
as `aiops worker` runs it:

- events/s from the first produce call to the last row being durable (its ``ingested_at``);
- p50/p99 of the delay from produce (the envelope ``time`` stamped just before ``produce``)
  to the row's ``ingested_at`` (set by ClickHouse when the insert runs).

Each run uses a fresh topic prefix, consumer group and ClickHouse directory, so runs do not
disturb each other or the demo's data.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

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
from pipelines.runner import WorkerProcess, targets_for, wait_caught_up
from pipelines.stages import stage_env
from schemas.topics import TOPICS

SERIES = 1_000


def _sample(i: int, now: float, run: str) -> bytes:
    s = i % SERIES
    ts = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
    return orjson.dumps({
        "specversion": "1.0", "id": f"{run}-{i}", "source": "bench", "type": "metric.sample",
        "time": ts, "tenant_id": f"t{s % 10}", "schema_version": 1,
        "data": {"name": "system.cpu.utilization", "value": (i % 97) / 97, "unit": "1",
                 "timestamp": ts, "resource": {"host.name": f"host-{s}", "site": f"s{s % 7}",
                                               "service.name": "api"}},
    })


def run(settings: Settings, *, events: int, as_json: bool, timeout_s: float, rate: int = 0,
        web_port: int = 16080) -> dict:
    """``rate`` > 0 paces the producer, to measure delay below saturation (0 = flat out)."""
    k = settings.kafka
    check_broker(k.bootstrap)
    run_id = uuid.uuid4().hex[:8]
    prefix = f"bench-{run_id}."
    workdir = Path("var/bench") / run_id
    env = {"AIOPS_KAFKA_TOPIC_PREFIX": prefix, "AIOPS_INGEST_GROUP_ID": f"bench-{run_id}",
           "AIOPS_CLICKHOUSE_CHDB_PATH": str(workdir / "chdb"),
           # the ingest stage alone: the other stages have benchmarks of their own and would
           # share this worker's GIL (run them in their own workers in production)
           **stage_env(f"bench-{run_id}", enabled=set())}
    ensure_topics(k.bootstrap, prefix)
    topic = prefix + "telemetry.metrics"
    worker = WorkerProcess(env, workdir / "worker.log", web_port).start()
    try:
        producer = make_producer(k.bootstrap)
        click.echo(f"producing {events:,} metric samples to {topic} ...", err=True)
        first = time.time()
        for i in range(events):
            produce_retrying(producer, topic, _sample(i, time.time(), run_id),
                             b"%d" % (i % SERIES))
            if i % 1000 == 0:
                producer.poll(0)
                if rate:
                    ahead = first + i / rate - time.time()
                    if ahead > 0:
                        time.sleep(ahead)
        producer.flush(60)
        produced = time.time()
        targets = targets_for(k.bootstrap, [topic])
        wait_caught_up(k.bootstrap, f"bench-{run_id}", targets, timeout_s=timeout_s,
                       worker=worker, poll_s=0.1)
    finally:
        code = worker.stop()
    if code != 0:
        raise click.ClickException(f"worker exited with {code}; see {workdir / 'worker.log'}")
    sink = open_clickhouse(ClickHouseSettings(chdb_path=workdir / "chdb"), owner="bench")
    try:
        row = delay_stats(sink, "metrics")
    finally:
        sink.close()
    shutil.rmtree(workdir, ignore_errors=True)
    delete_topics(k.bootstrap, [prefix + t.name for t in TOPICS])
    delete_groups(k.bootstrap, [v for n, v in env.items() if n.endswith("_GROUP_ID")])
    elapsed = int(row["last_ms"]) / 1000 - first
    result = {
        "benchmark": "pipeline", "events": events, "rows": int(row["rows"]),
        "seconds": round(elapsed, 3), "events_per_s": round(events / elapsed),
        "produce_events_per_s": round(events / (produced - first)),
        "delay_p50_ms": int(row["p50"]), "delay_p99_ms": int(row["p99"]),
        "rate_limit": rate, "batch_max_events": settings.ingest.batch_max_events,
        "batch_max_wait_s": settings.ingest.batch_max_wait_s,
    }
    click.echo(f"events          {events:,} produced, {result['rows']:,} rows durable")
    click.echo(f"throughput      {result['events_per_s']:,} events/s first produce -> last "
               f"durable row ({elapsed:.2f}s)")
    click.echo(f"producer        {result['produce_events_per_s']:,} events/s "
               f"({'unthrottled' if not rate else f'throttled to {rate:,}/s'})")
    click.echo(f"delay           p50 {result['delay_p50_ms']} ms, p99 {result['delay_p99_ms']} ms "
               "(produce -> durable row)")
    if result["rows"] != events:
        raise click.ClickException(f"expected {events} rows, found {result['rows']}")
    if as_json:
        click.echo(json.dumps(result))
    return result
