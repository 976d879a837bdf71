"""Batch ingest: consume input topics, validate and route, make durable, then commit.

Faust streams cost tens of microseconds of Python per event (measured here: ~6,400 events/s
through one agent with default settings, ~12,000/s at best after tuning), so the hot path
uses a confluent-kafka consumer in batches (``BatchLoop``) and the processor in
``processors.router``; the Faust worker hosts this loop and serves the web endpoints.

Commit order, for every batch (the code below follows these numbers):

1. Consume up to ``batch_max_events`` records or until ``batch_max_wait_s`` has passed.
2. Validate and route them (pure): rows per table, dead letters with reasons.
3. Produce the dead letters to ``aiops.dlq`` (raw bytes as value, reason in headers) and
   wait until Kafka acknowledged them all.
4. Write all rows, DLQ rows included, to ClickHouse; this returns only once they are durable,
   retrying with backoff, and raises ``SinkError`` if it cannot (offsets stay uncommitted).
5. Commit the batch's offsets synchronously.

A crash anywhere before 5 re-delivers the batch; the tables' ReplacingMergeTree keys make the
re-delivery invisible in ``FINAL`` results.
"""

from __future__ import annotations

import time

from config.settings import Settings
from connectors.clickhouse.sink import ClickHouseSink, SinkError, WriteStats
from connectors.kafka_io import make_producer
from pipelines.batch_loop import BatchLoop, DeliveryError, produce_durably
from pipelines.metrics import WorkerMetrics
from processors.router import Record, Routed, route
from schemas.registry import sink_topics
from schemas.topics import DLQ_TOPIC


class DeadLetterError(DeliveryError):
    """Invalid records could not be parked in the DLQ topic, so the batch must not commit."""


class IngestLoop(BatchLoop):
    name = "ingest"

    def __init__(self, settings: Settings, sink: ClickHouseSink, metrics: WorkerMetrics) -> None:
        cfg = settings.ingest
        prefix = settings.kafka.topic_prefix
        super().__init__(bootstrap=settings.kafka.bootstrap, group_id=cfg.group_id,
                         topics=[prefix + t for t in sink_topics()],
                         batch_max_events=cfg.batch_max_events,
                         batch_max_wait_s=cfg.batch_max_wait_s,
                         session_timeout_s=cfg.session_timeout_s, metrics=metrics)
        self.settings = settings
        self.sink = sink
        self.dlq_topic = prefix + DLQ_TOPIC
        self.producer = make_producer(
            settings.kafka.bootstrap,
            **{"message.timeout.ms": int(cfg.dlq_timeout_s * 1000),
               # a missing DLQ topic is an outage to stop for, not something to paper over
               "allow.auto.create.topics": False})

    def process(self, records: list[Record]) -> None:  # steps 2-4; BatchLoop does 1 and 5
        routed = route(records, max_event_bytes=self.settings.ingest.max_event_bytes,
                       topic_prefix=self.settings.kafka.topic_prefix)  # step 2
        if routed.dead:  # step 3
            try:
                produce_durably(
                    self.producer,
                    ((self.dlq_topic, d.record.key, d.record.value, None, d.headers())
                     for d in routed.dead),
                    self.settings.ingest.dlq_timeout_s, f"dead letters for {self.dlq_topic}")
            except DeliveryError as exc:
                raise DeadLetterError(str(exc)) from None
        try:
            stats = self.sink.write(routed.sink_batch())  # step 4
        except SinkError:
            self.metrics.sink_failures.inc(self.sink.retries + 1)
            raise
        self._record_metrics(records, routed, stats)

    def close(self) -> None:
        self.producer.flush(10)

    def _record_metrics(self, records: list[Record], routed: Routed, stats: WriteStats) -> None:
        m = self.metrics
        now_ms = time.time() * 1000
        for topic, n in (routed.valid_per_topic + routed.invalid_per_topic).items():
            m.events_in.labels(topic).inc(n)
        for topic, n in routed.valid_per_topic.items():
            m.events_valid.labels(topic).inc(n)
        for dead in routed.dead:
            m.dlq.labels(dead.record.topic, dead.reason_code).inc()
        for table, rows in routed.rows.items():
            m.sink_rows.labels(table).inc(len(rows))
        if routed.dead:
            m.sink_rows.labels("dlq").inc(len(routed.dead))
        m.sink_batches.inc()
        if stats.retries:
            m.sink_failures.inc(stats.retries)
        observe = m.latency.observe
        step = max(1, len(records) // 1000)  # a sample keeps the histogram cheap on big batches
        for r in records[::step]:
            if r.timestamp_ms > 0:
                observe(max(0.0, (now_ms - r.timestamp_ms) / 1000))


__all__ = ["DeadLetterError", "IngestLoop", "SinkError"]
