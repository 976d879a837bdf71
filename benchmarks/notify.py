"""`aiops bench notify`: delay from an incident event on Kafka to the webhook request.

A worker child process runs the notify stage and the delivery loops (``--stages
notify,deliver``) on the local broker, with a routing file of one webhook receiver (JSON
format, signed, ``group_wait: 0``) pointed at a local HTTP server in this process. Incident
events are produced to ``aiops.incidents`` at ``--rate`` per second, each a new incident;
the delay of each is the server's arrival time minus the incident event's envelope ``time``
(stamped just before ``produce``). Prints p50/p99 (``delay_p99_ms``), and ``expected`` and
``delivered`` (distinct dedup keys) with ``duplicates`` (requests beyond one per key).
A warm-up second of incidents goes first and is not counted (its worst delay is printed as
``warmup_delay_max_ms``): a fresh worker's first transactions pay for lookups once. The
worker runs no ingest stage unless ``--ingest``, so the figure is the notification path alone.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import click
import orjson

from config.settings import Settings
from connectors.kafka_io import (
    check_broker,
    delete_groups,
    delete_topics,
    ensure_topics,
    make_producer,
    produce_retrying,
)
from connectors.webhook.target import WebhookTarget
from pipelines.deliver import drop_redis_keys
from pipelines.runner import WorkerProcess
from pipelines.stages import stage_env
from schemas.topics import TOPICS

ROUTES = """receivers:
  - name: bench-hook
    type: webhook
    url: {url}
    format: json
    secret_env: BENCH_NOTIFY_WEBHOOK_SECRET
    timeout: 5s
route:
  receiver: bench-hook
  group_by: [incident]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 24h
"""


def incident(i: int, run: str, now: float) -> bytes:
    ts = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
    return orjson.dumps({
        "specversion": "1.0", "id": f"{run}-{i}/1", "source": "bench", "type": "aiops.incident",
        "time": ts, "tenant_id": f"t{i % 5}",
        "data": {"incident_id": f"{run}-{i}", "version": 1, "state": "open",
                 "title": f"HostDown on web-{i}", "severity": "critical",
                 "sites": [f"s{i % 7}"], "services": ["api"], "hosts": [f"web-{i}"],
                 "first_seen": ts, "last_seen": ts, "alert_count": 1,
                 "alert_fingerprints": [f"fp-{i}"]}})


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def run(settings: Settings, *, rate: int, seconds: float, as_json: bool, timeout_s: float,
        web_port: int = 16081, ingest: bool = False) -> dict:
    """``ingest``: the worker also runs the ingest stage (writing notifications and attempts
    to ClickHouse), as a single all-in-one worker does."""
    k = settings.kafka
    check_broker(k.bootstrap)
    run_id = uuid.uuid4().hex[:8]
    prefix = f"bench-notify-{run_id}."
    group = f"bench-notify-{run_id}"
    secret = secrets.token_hex(16)
    workdir = Path(tempfile.mkdtemp(prefix="aiops-bench-notify-"))
    routes = workdir / "notify.yaml"
    env = {"AIOPS_KAFKA_BOOTSTRAP": k.bootstrap, "AIOPS_KAFKA_TOPIC_PREFIX": prefix,
           "AIOPS_CLICKHOUSE_CHDB_PATH": str(workdir / "chdb"),
           "AIOPS_INGEST_GROUP_ID": f"{group}-ingest", "AIOPS_INGEST_ENABLED": str(ingest).lower(),
           "AIOPS_REDIS_KEY_PREFIX": f"bench-{run_id}:",
           "AIOPS_NOTIFY_ROUTES_PATH": str(routes), "BENCH_NOTIFY_WEBHOOK_SECRET": secret,
           **stage_env(group, enabled={"notify", "deliver"})}
    expected = int(rate * seconds)
    ensure_topics(k.bootstrap, prefix)
    target = WebhookTarget(secret=secret.encode()).start()
    routes.write_text(ROUTES.format(url=target.url))
    worker = None
    try:
        worker = WorkerProcess(env, workdir / "worker.log", web_port).start()
        time.sleep(3.0)  # the stage and delivery consumers join their groups
        producer = make_producer(k.bootstrap, **{"linger.ms": 1})
        topic = prefix + "aiops.incidents"
        # warm-up, not counted: the first transactions and fetches of each topic partition
        # pay for metadata and coordinator lookups (about a second once, after a start)
        warm = max(1, rate)
        for i in range(warm):
            produce_retrying(producer, topic, incident(i, run_id + "w", time.time()),
                             f"t{i % 5}".encode())
            time.sleep(1 / rate)
        producer.flush(30)
        deadline = time.monotonic() + timeout_s
        while len(target.keys()) < warm and time.monotonic() < deadline:
            worker.check_alive()
            time.sleep(0.1)
        warm_max = max(((r.at - datetime.fromisoformat(r.json()["source_time"]).timestamp())
                        * 1000 for r in target.received), default=float("nan"))
        target.received.clear()
        started = time.time()
        with click.progressbar(range(expected), label=f"producing {expected} incidents",
                               file=None if not as_json else open(os.devnull, "w")) as bar:
            for i in bar:
                due = started + i / rate
                while (now := time.time()) < due:
                    time.sleep(min(0.002, due - now))
                produce_retrying(producer, topic, incident(i, run_id, time.time()),
                                 f"t{i % 5}".encode())
                producer.poll(0)
        producer.flush(30)
        deadline = time.monotonic() + timeout_s
        while len(target.keys()) < expected and time.monotonic() < deadline:
            worker.check_alive()
            time.sleep(0.2)
        time.sleep(1.0)  # anything late (a duplicate) shows up now
        delays, stage = [], []
        for r in target.received:
            doc = r.json()
            source = datetime.fromisoformat(doc["source_time"]).timestamp()
            created = datetime.fromisoformat(doc["created_at"]).timestamp()
            delays.append((r.at - source) * 1000)
            stage.append((created - source) * 1000)
        keys = target.keys()
        out = {"benchmark": "notify", "rate": rate, "seconds": seconds, "ingest": ingest,
               "expected": expected,
               "delivered": len(keys), "duplicates": sum(keys.values()) - len(keys),
               "bad_signatures": sum(1 for r in target.received if r.signature_ok is False),
               "delay_p50_ms": round(_quantile(delays, 0.5), 1),
               "delay_p99_ms": round(_quantile(delays, 0.99), 1),
               "delay_max_ms": round(max(delays), 1) if delays else None,
               "notify_stage_p50_ms": round(_quantile(stage, 0.5), 1),
               "notify_stage_p99_ms": round(_quantile(stage, 0.99), 1),
               "warmup_incidents": warm, "warmup_delay_max_ms": round(warm_max, 1)}
    finally:
        if worker is not None:
            worker.stop(timeout_s=20)
        target.stop()
        delete_topics(k.bootstrap, [prefix + t.name for t in TOPICS])
        delete_groups(k.bootstrap, [v for n, v in env.items() if n.endswith("_GROUP_ID")]
                      + [f"{group}-deliver.bench-hook"])
        drop_redis_keys(settings, f"bench-{run_id}:")
    shutil.rmtree(workdir, ignore_errors=True)  # kept (with worker.log) when the run failed
    if as_json:
        click.echo(json.dumps(out))
    else:
        click.echo(f"{out['delivered']}/{expected} delivered, {out['duplicates']} duplicates; "
                   f"delay p50 {out['delay_p50_ms']} ms, p99 {out['delay_p99_ms']} ms "
                   f"(max {out['delay_max_ms']} ms) at {rate} incidents/s")
    return out

