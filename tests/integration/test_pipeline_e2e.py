"""10,000 mixed events through real Kafka, a real worker process and embedded ClickHouse."""

from __future__ import annotations

import time
from collections import Counter

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client.parser import text_string_to_metric_families

from connectors.demo_source import mixed_events
from processors.router import Record, route
from schemas.topics import INPUT_TOPICS


def _metric_totals(text: str) -> dict[str, float]:
    totals: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] += sample.value
    return totals


def _expected(events) -> tuple[dict[str, int], Counter]:
    """What the router says should land: rows per table and DLQ reasons."""
    routed = route([Record(e.topic, 0, i, 0, e.key, e.value) for i, e in enumerate(events)])
    rows = {table: len(r) for table, r in routed.rows.items()}
    return rows, Counter(d.reason_code for d in routed.dead)


def _table_counts(run) -> tuple[dict[str, int], Counter]:
    sink = run.clickhouse()
    try:
        final = sink.counts(final=True)
        reasons = Counter({r["reason_code"]: int(r["n"]) for r in sink.query(
            "SELECT reason_code, count() AS n FROM aiops.dlq FINAL GROUP BY reason_code")})
    finally:
        sink.close()
    return final, reasons


def _dlq_topic_records(run) -> list[tuple[bytes, dict]]:
    c = Consumer({"bootstrap.servers": run.bootstrap, "group.id": f"{run.group}-dlq-reader",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(run.prefix + "aiops.dlq", 0, 0)])
        out: list[tuple[bytes, dict]] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for m in c.consume(1000, timeout=1.0):
                if m.error() is None:
                    out.append((m.value(), {k: v for k, v in m.headers() or []}))
            _lo, hi = c.get_watermark_offsets(TopicPartition(run.prefix + "aiops.dlq", 0))
            if len(out) >= hi:
                break
        return out
    finally:
        c.close()


def test_mixed_events_land_exactly_once_and_invalid_ones_in_the_dlq(pipeline) -> None:
    events = mixed_events(10_000, invalid_ratio=0.02)
    n_bad = sum(not e.valid for e in events)
    assert n_bad == 200
    want_rows, want_reasons = _expected(events)
    assert sum(want_rows.values()) == 9_800

    started = time.monotonic()
    worker = pipeline.start_worker()
    pipeline.produce(events)
    pipeline.wait_caught_up(worker)
    wall = time.monotonic() - started

    # /metrics over HTTP while the worker runs
    totals = _metric_totals(worker.get("/metrics"))
    assert totals["aiops_events_in_total"] == 10_000
    assert totals["aiops_events_valid_total"] == 9_800
    assert totals["aiops_dlq_events_total"] == 200
    assert totals["aiops_sink_rows_total"] == 10_000
    assert totals["aiops_sink_batches_total"] >= 1
    assert totals["aiops_event_latency_seconds_count"] > 0
    assert totals["aiops_last_commit_timestamp_seconds"] > 0
    assert worker.stop() == 0, "a worker stopped with SIGTERM must exit 0"

    final, reasons = _table_counts(pipeline)
    for table, n in want_rows.items():
        assert final[table] == n, (table, final)
    assert final["dlq"] == 200
    assert reasons == want_reasons
    print(f"\n10,000 events in -> {sum(final.values()) - final['dlq']:,} rows, "
          f"{final['dlq']} DLQ rows, {wall:.1f}s wall (worker start to last commit)")

    # the DLQ topic holds the raw bytes and the reason of every invalid record
    dlq = _dlq_topic_records(pipeline)
    assert len(dlq) == 200
    assert Counter(v for v, _ in dlq) == Counter(e.value for e in events if not e.valid)
    for _value, headers in dlq:
        assert headers["aiops.error.code"].decode() in want_reasons
        assert headers["aiops.source.topic"].decode().startswith(pipeline.prefix)
        assert int(headers["aiops.source.offset"]) >= 0

    # 1) replay: the same events produced again (same ids) add no rows to any event table;
    #    the DLQ records each delivery of bad input once (it is keyed by topic/partition/offset)
    worker = pipeline.start_worker()
    pipeline.produce(events)
    pipeline.wait_caught_up(worker)
    assert worker.stop() == 0
    final2, reasons2 = _table_counts(pipeline)
    for table in want_rows:
        assert final2[table] == final[table], table
    assert final2["dlq"] == 400
    assert reasons2 == Counter({k: 2 * v for k, v in want_reasons.items()})

    # 2) lost commits: rewind the group to the start, as if the worker had died before every
    #    commit; everything is re-delivered and nothing shows twice, the DLQ included
    admin = AdminClient({"bootstrap.servers": pipeline.bootstrap})
    parts = []
    meta = admin.list_topics(timeout=10).topics
    for t in INPUT_TOPICS:
        name = pipeline.prefix + t
        parts += [TopicPartition(name, p, 0) for p in meta[name].partitions]
    fut = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(pipeline.group, parts)])
    for f in fut.values():
        f.result()
    worker = pipeline.start_worker()
    pipeline.wait_caught_up(worker)
    totals = _metric_totals(worker.get("/metrics"))
    assert totals["aiops_events_in_total"] == 20_000, "everything must have been re-delivered"
    assert worker.stop() == 0
    final3, _ = _table_counts(pipeline)
    assert final3 == final2

