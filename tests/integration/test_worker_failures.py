"""A worker survives poison input, recovers from SIGKILL, and dies loudly when it must."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from confluent_kafka.admin import AdminClient

from connectors.demo_source import Produced, mixed_events
from pipelines.runner import WorkerFailed


def _sink_batches(worker) -> float:
    for line in worker.get("/metrics").splitlines():
        if line.startswith("aiops_sink_batches_total "):
            return float(line.split()[1])
    return 0.0


def test_sigkill_mid_stream_then_restart_loses_and_duplicates_nothing(pipeline) -> None:
    events = mixed_events(30_000, invalid_ratio=0.02, seed=5)
    pipeline.produce(events)
    worker = pipeline.start_worker(AIOPS_INGEST_BATCH_MAX_EVENTS="1500")
    deadline = time.monotonic() + 60
    while _sink_batches(worker) < 3:
        assert time.monotonic() < deadline, "worker made no progress"
        time.sleep(0.05)
    worker.kill()  # SIGKILL: no graceful stop, a batch may be written but not committed
    assert worker.proc.returncode == -9

    worker = pipeline.start_worker(AIOPS_INGEST_BATCH_MAX_EVENTS="1500")
    pipeline.wait_caught_up(worker)
    assert worker.stop() == 0
    sink = pipeline.clickhouse()
    try:
        counts = sink.counts(final=True)
    finally:
        sink.close()
    assert counts["dlq"] == 600
    assert sum(counts.values()) - counts["dlq"] == 29_400


def test_poison_messages_never_stop_the_worker(pipeline) -> None:
    poison = [Produced("telemetry.metrics", b"k", v, False) for v in (
        b"", b"\x00" * 10, b"{" * 100_000, b'{"type": "metric.sample", "data": ' + b"[" * 5000,
        b'{"type":"metric.sample","id":"x","source":"s","tenant_id":"a","data":{"value":1e999}}',
    )]
    good = [e for e in mixed_events(200, invalid_ratio=0) if e.valid]
    worker = pipeline.start_worker()
    pipeline.produce(poison + good)
    pipeline.wait_caught_up(worker)
    assert worker.get("/healthz")
    assert worker.stop() == 0
    sink = pipeline.clickhouse()
    try:
        counts = sink.counts()
    finally:
        sink.close()
    assert counts["dlq"] == len(poison)
    assert sum(counts.values()) - counts["dlq"] == len(good)


def test_worker_stops_loudly_when_the_dlq_topic_is_gone(pipeline) -> None:
    """Committing without a durable dead letter would lose input: the worker must stop."""
    worker = pipeline.start_worker(AIOPS_INGEST_DLQ_TIMEOUT_S="3")
    admin = AdminClient({"bootstrap.servers": pipeline.bootstrap})
    for f in admin.delete_topics([pipeline.prefix + "aiops.dlq"]).values():
        f.result()
    time.sleep(1)
    pipeline.produce([Produced("telemetry.metrics", b"k", b"not json", False)])
    deadline = time.monotonic() + 90
    while worker.proc.poll() is None:
        assert time.monotonic() < deadline, "worker kept running without a DLQ"
        time.sleep(0.2)
    assert worker.proc.returncode != 0
    log = worker.log_path.read_text()
    assert "dead letters" in log and "were not acknowledged by Kafka" in log
    with pytest.raises(WorkerFailed):
        worker.check_alive()


def test_worker_refuses_to_start_when_clickhouse_is_unreachable(pipeline) -> None:
    worker_env = {"AIOPS_CLICKHOUSE_URL": "http://127.0.0.1:9/"}
    with pytest.raises(WorkerFailed) as info:
        pipeline.start_worker(**worker_env)
    assert "exited with code" in str(info.value)
    assert pipeline.workers[-1].proc.returncode != 0


def test_second_process_gets_a_clear_error_on_the_embedded_database(pipeline) -> None:
    sink = pipeline.clickhouse()  # this test process now owns the directory
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "query", "SELECT 1"],
            env={**pipeline.env(), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
            timeout=60)
    finally:
        sink.close()
    assert proc.returncode != 0
    assert "already open in another process" in proc.stderr
    assert "AIOPS_CLICKHOUSE_CHDB_PATH" in proc.stderr
