"""Batch ingest: consume input topics, validate and route, make durable, then commit.

Faust streams cost tens of microseconds of Python per event (measured here: ~6,400 events/s
through one agent with default settings, ~12,000/s at best after tuning), so the hot path
uses a confluent-kafka consumer in batches and the processor in ``processors.router``; the
Faust worker hosts this loop and serves the web endpoints.

Commit order, for every batch (the code below follows these numbers):

1. Consume up to ``batch_max_events`` records or until ``batch_max_wait_s`` has passed.
2. Validate and route them (pure): rows per table, dead letters with reasons.
3. Produce the dead letters to ``aiops.dlq`` (raw bytes as value, reason in headers) and
   flush the producer, so the DLQ topic has them durably.
4. Write all rows, DLQ rows included, to ClickHouse; this returns only once they are durable,
   retrying with backoff, and raises ``SinkError`` if it cannot (offsets stay uncommitted).
5. Commit the batch's offsets synchronously.

A crash anywhere before 5 re-delivers the batch; the tables' ReplacingMergeTree keys make the
re-delivery invisible in ``FINAL`` results.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from config.settings import Settings
from connectors.clickhouse.sink import ClickHouseSink, SinkError
from connectors.kafka_io import make_consumer, make_producer
from pipelines.metrics import WorkerMetrics
from processors.router import Record, route
from schemas.topics import DLQ_TOPIC, INPUT_TOPICS

log = logging.getLogger(__name__)


class DeadLetterError(RuntimeError):
    """Invalid records could not be parked in the DLQ topic, so the batch must not commit."""

_LAG_INTERVAL_S = 1.0


class IngestLoop:
    def __init__(self, settings: Settings, sink: ClickHouseSink, metrics: WorkerMetrics) -> None:
        self.settings = settings
        self.sink = sink
        self.metrics = metrics
        prefix = settings.kafka.topic_prefix
        self.topics = [prefix + t for t in INPUT_TOPICS]
        self.dlq_topic = prefix + DLQ_TOPIC
        self.consumer = make_consumer(
            settings.kafka.bootstrap, settings.ingest.group_id,
            **{"session.timeout.ms": int(settings.ingest.session_timeout_s * 1000)})
        self.producer = make_producer(
            settings.kafka.bootstrap,
            **{"message.timeout.ms": int(settings.ingest.dlq_timeout_s * 1000),
               # a missing DLQ topic is an outage to stop for, not something to paper over
               "allow.auto.create.topics": False})
        self.stop_event = threading.Event()
        self.assigned: set[tuple[str, int]] = set()
        self.committed: dict[tuple[str, int], int] = {}
        self.batches = 0
        self._last_lag = 0.0

    # -- lifecycle -------------------------------------------------------------------------
    def _on_assign(self, consumer, partitions) -> None:
        self.assigned |= {(p.topic, p.partition) for p in partitions}
        log.info("assigned %d partition(s)", len(partitions))

    def _on_revoke(self, consumer, partitions) -> None:
        self.assigned -= {(p.topic, p.partition) for p in partitions}

    def run(self) -> None:
        """Loop until ``stop()``; exceptions propagate so the host can crash loudly."""
        self.consumer.subscribe(self.topics, on_assign=self._on_assign,
                                on_revoke=self._on_revoke, on_lost=self._on_revoke)
        try:
            while not self.stop_event.is_set():
                self.step()
        finally:
            self.consumer.close()
            self.producer.flush(10)

    def stop(self) -> None:
        self.stop_event.set()

    # -- one batch ---------------------------------------------------------------------------
    def _consume_batch(self) -> list[Record]:  # step 1
        cfg = self.settings.ingest
        deadline = time.monotonic() + cfg.batch_max_wait_s
        records: list[Record] = []
        while len(records) < cfg.batch_max_events and not self.stop_event.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            msgs = self.consumer.consume(min(cfg.batch_max_events - len(records), 10_000),
                                         timeout=remaining)
            for m in msgs:
                err = m.error()
                if err is not None:
                    if err.fatal():
                        raise KafkaException(err)
                    if err.code() != KafkaError._PARTITION_EOF:
                        log.warning("consumer error: %s", err)
                    continue
                records.append(Record(m.topic(), m.partition(), m.offset(),
                                      m.timestamp()[1], m.key(), m.value()))
        return records

    def step(self) -> int:
        records = self._consume_batch()
        if not records:
            self._update_lag()
            return 0
        started = time.perf_counter()
        routed = route(records, max_event_bytes=self.settings.ingest.max_event_bytes,
                       topic_prefix=self.settings.kafka.topic_prefix)  # step 2
        if routed.dead:  # step 3
            self._send_dead_letters(routed.dead)
        try:
            stats = self.sink.write(routed.sink_batch())  # step 4
        except SinkError:
            self.metrics.sink_failures.inc(self.sink.retries + 1)
            raise
        self._commit(records)  # step 5
        self._record_metrics(records, routed, stats, started)
        self.batches += 1
        return len(records)

    def _send_dead_letters(self, dead: list) -> None:
        failures: list[str] = []

        def delivered(err, _msg) -> None:
            if err is not None:
                failures.append(str(err))

        for d in dead:
            while True:
                try:
                    self.producer.produce(self.dlq_topic, d.record.value, key=d.record.key,
                                          headers=d.headers(), on_delivery=delivered)
                    break
                except BufferError:
                    self.producer.poll(0.1)
        left = self.producer.flush(self.settings.ingest.dlq_timeout_s)
        if left or failures:
            # Committing now would lose these records: stop instead, the batch is re-delivered.
            raise DeadLetterError(
                f"{len(failures) + left} of {len(dead)} dead letters were not acknowledged by "
                f"Kafka topic {self.dlq_topic} ({(failures or ['timed out'])[0]})")

    def _commit(self, records: list[Record]) -> None:
        last: dict[tuple[str, int], int] = {}
        for r in records:
            key = (r.topic, r.partition)
            if r.offset >= last.get(key, -1):
                last[key] = r.offset
        offsets = [TopicPartition(t, p, o + 1) for (t, p), o in last.items()]
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # Typically a rebalance took the partition away: the rows are durable, and the
            # new owner re-delivers from the last commit, which the sink deduplicates.
            log.warning("offset commit failed (%s); the batch will be re-delivered", exc)
            return
        for (t, p), o in last.items():
            self.committed[(t, p)] = o + 1
        self.metrics.last_commit.set(time.time())

    def _record_metrics(self, records, routed, stats, started: float) -> None:
        m = self.metrics
        now_ms = time.time() * 1000
        for topic, n in (routed.valid_per_topic + routed.invalid_per_topic).items():
            m.events_in.labels(topic).inc(n)
        for topic, n in routed.valid_per_topic.items():
            m.events_valid.labels(topic).inc(n)
        for dead in routed.dead:
            m.dlq.labels(dead.record.topic, dead.reason_code).inc()
        for table, rows in routed.sink_batch().items():
            m.sink_rows.labels(table).inc(len(rows))
        m.sink_batches.inc()
        if stats.retries:
            m.sink_failures.inc(stats.retries)
        observe = m.latency.observe
        step = max(1, len(records) // 1000)  # a sample keeps the histogram cheap on big batches
        for r in records[::step]:
            if r.timestamp_ms > 0:
                observe(max(0.0, (now_ms - r.timestamp_ms) / 1000))
        m.batch_seconds.observe(time.perf_counter() - started)
        self._update_lag()

    def _update_lag(self) -> None:
        now = time.monotonic()
        if now - self._last_lag < _LAG_INTERVAL_S or not self.assigned:
            return
        self._last_lag = now
        per_topic: dict[str, int] = defaultdict(int)
        for topic, partition in list(self.assigned):
            try:
                _lo, hi = self.consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=1, cached=True)
            except KafkaException:
                continue
            if hi < 0:
                continue
            done = self.committed.get((topic, partition))
            if done is None:
                continue
            per_topic[topic] += max(0, hi - done)
        for topic, lag in per_topic.items():
            self.metrics.lag.labels(topic).set(lag)


__all__ = ["DeadLetterError", "IngestLoop", "SinkError"]
