"""The shape every high-rate stage shares: consume a batch, process it, commit its offsets.

A stage subclasses ``BatchLoop`` and implements ``process(records)``, which must return only
once everything the batch produced is durable (Kafka acknowledged, ClickHouse written); the
loop then commits. Subclasses document their own numbered steps inside ``process``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable

from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition

from connectors.kafka_io import make_consumer
from pipelines.metrics import WorkerMetrics
from processors.router import Record

log = logging.getLogger(__name__)
_LAG_INTERVAL_S = 1.0


class DeliveryError(RuntimeError):
    """Records could not be made durable in Kafka, so the batch must not commit."""


def produce_durably(producer: Producer, items: Iterable[tuple[str, bytes | None, bytes | None,
                                                                 int | None, list | None]],
                    timeout_s: float, what: str) -> int:
    """Produce (topic, key, value, partition, headers) items and wait for every ack."""
    failures: list[str] = []

    def delivered(err, _msg) -> None:
        if err is not None:
            failures.append(str(err))

    n = 0
    for topic, key, value, partition, headers in items:
        kwargs = {} if partition is None else {"partition": partition}
        while True:
            try:
                producer.produce(topic, value, key=key, headers=headers, on_delivery=delivered,
                                 **kwargs)
                break
            except BufferError:
                producer.poll(0.05)
        n += 1
    if n == 0:
        return 0
    left = producer.flush(timeout_s)
    if left or failures:
        raise DeliveryError(f"{len(failures) + left} of {n} {what} were not acknowledged by "
                            f"Kafka ({(failures or ['timed out'])[0]})")
    return n


class BatchLoop:
    name = "batch"
    timer_interval_s = 0.0
    """``on_timer`` runs this often (wall clock) whether batches bring records or not."""

    def __init__(self, *, bootstrap: str, group_id: str, topics: list[str],
                 batch_max_events: int, batch_max_wait_s: float, session_timeout_s: float,
                 metrics: WorkerMetrics, max_poll_interval_s: float = 300.0,
                 assignment_strategy: str = "cooperative-sticky") -> None:
        self.group_id = group_id
        self.topics = topics
        self.batch_max_events = batch_max_events
        self.batch_max_wait_s = batch_max_wait_s
        self.metrics = metrics
        self.consumer = make_consumer(bootstrap, group_id, **{
            "session.timeout.ms": int(session_timeout_s * 1000),
            "max.poll.interval.ms": int(max_poll_interval_s * 1000),
            "partition.assignment.strategy": assignment_strategy})
        self.stop_event = threading.Event()
        self.assigned: set[tuple[str, int]] = set()
        self.committed: dict[tuple[str, int], int] = {}
        self.batches = 0
        self._last_lag = 0.0
        self._last_timer = time.monotonic()

    # -- hooks ---------------------------------------------------------------------------------
    def process(self, records: list[Record]) -> None:
        raise NotImplementedError

    def on_assigned(self, partitions: list[tuple[str, int]]) -> None:
        """Called inside the consumer's callback: keep it cheap (mark work, do it later)."""

    def on_revoked(self, partitions: list[tuple[str, int]]) -> None:
        """Called inside the consumer's callback: keep it cheap."""

    def on_idle(self) -> None:
        """Called after a batch window that brought no records."""

    def on_timer(self) -> None:
        """Called every ``timer_interval_s``, busy or idle: TTLs and wall-clock timers."""

    def close(self) -> None:
        """Release what the subclass holds (producers); called once the loop ends."""

    # -- lifecycle -----------------------------------------------------------------------------
    def _on_assign(self, _consumer, partitions) -> None:
        tps = [(p.topic, p.partition) for p in partitions]
        self.assigned |= set(tps)
        log.info("%s: assigned %d partition(s)", self.name, len(tps))
        self.on_assigned(tps)

    def _on_revoke(self, _consumer, partitions) -> None:
        tps = [(p.topic, p.partition) for p in partitions]
        self.assigned -= set(tps)
        self.on_revoked(tps)

    def run(self) -> None:
        """Loop until ``stop()``; exceptions propagate so the host can crash loudly."""
        self.consumer.subscribe(self.topics, on_assign=self._on_assign,
                                on_revoke=self._on_revoke, on_lost=self._on_revoke)
        try:
            while not self.stop_event.is_set():
                self.step()
        finally:
            self.consumer.close()
            self.close()

    def stop(self) -> None:
        self.stop_event.set()

    def step(self) -> int:
        records = self.consume_batch()
        if records:
            started = time.perf_counter()
            self.process(records)
            self.commit(records)
            self.metrics.batch_seconds.observe(time.perf_counter() - started)
            self.batches += 1
        else:
            self.commit_idle_positions()
            self.on_idle()
        if self.timer_interval_s and (
                time.monotonic() - self._last_timer >= self.timer_interval_s):
            self._last_timer = time.monotonic()
            self.on_timer()
        self.update_lag()
        return len(records)

    # -- Kafka ---------------------------------------------------------------------------------
    def consume_batch(self) -> list[Record]:
        deadline = time.monotonic() + self.batch_max_wait_s
        records: list[Record] = []
        while len(records) < self.batch_max_events and not self.stop_event.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            msgs = self.consumer.consume(min(self.batch_max_events - len(records), 10_000),
                                         timeout=remaining)
            for m in msgs:
                err = m.error()
                if err is not None:
                    if err.fatal():
                        raise KafkaException(err)
                    if err.code() != KafkaError._PARTITION_EOF:
                        log.warning("%s: consumer error: %s", self.name, err)
                    continue
                records.append(Record(m.topic(), m.partition(), m.offset(),
                                      m.timestamp()[1], m.key(), m.value()))
        # A rebalance inside the window may have taken partitions away: their records now
        # belong to the new owner (and this stage's state for them is gone).
        return [r for r in records if (r.topic, r.partition) in self.assigned]

    def offsets_after(self, records: list[Record]) -> list[TopicPartition]:
        """Where the group resumes after ``records``: past the last record of each partition,
        or past the transaction markers that follow it (the consumer's position), so lag reaches
        zero on topics written in transactions."""
        last: dict[tuple[str, int], int] = {}
        for r in records:
            key = (r.topic, r.partition)
            if r.offset >= last.get(key, -1):
                last[key] = r.offset
        tps = [TopicPartition(t, p) for t, p in last]
        try:
            positions = {(tp.topic, tp.partition): tp.offset
                         for tp in self.consumer.position(tps) if tp.offset >= 0}
        except KafkaException:
            positions = {}
        return [TopicPartition(t, p, max(o + 1, positions.get((t, p), -1)))
                for (t, p), o in last.items()]

    def commit(self, records: list[Record]) -> None:
        self.commit_offsets(self.offsets_after(records))

    def commit_offsets(self, offsets: list[TopicPartition]) -> None:
        if not offsets:
            return
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # Typically a rebalance took the partition away: the output is durable, and the
            # new owner re-delivers from the last commit, which the sinks deduplicate.
            log.warning("%s: offset commit failed (%s); the batch will be re-delivered",
                        self.name, exc)
            return
        self.committed_now(offsets)

    def committed_now(self, offsets: list[TopicPartition]) -> None:
        for tp in offsets:
            self.committed[(tp.topic, tp.partition)] = tp.offset
        self.metrics.last_commit.labels(self.group_id).set(time.time())

    def commit_idle_positions(self) -> None:
        """After a window with no records, move the commit past what the consumer skipped
        (transaction markers): nothing before its position is left unprocessed."""
        tps = [TopicPartition(t, p) for t, p in self.assigned]
        if not tps:
            return
        try:
            positions = self.consumer.position(tps)
        except KafkaException:
            return
        ahead = [tp for tp in positions if tp.offset >= 0
                 and tp.offset > self.committed.get((tp.topic, tp.partition), -1)]
        self.commit_offsets(ahead)

    def update_lag(self) -> None:
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
            done = self.committed.get((topic, partition))
            if hi < 0 or done is None:
                continue
            per_topic[topic] += max(0, hi - done)
        for topic, lag in per_topic.items():
            self.metrics.lag.labels(self.group_id, topic).set(lag)
