"""The generic stage: hosts any registered processor (``processors.protocol.Stage``).

Per batch (``BatchLoop`` consumes first):

1. Restore the state of newly assigned partitions from the stage's state topic (read to its
   end, committed transactions only) before any event or timer of those partitions.
2. Parse every record as one of the stage's input types (invalid ones are the ingest stage's
   to dead-letter) and hand it to the processor. One record that makes the processor raise is
   logged, counted and skipped: it must not stop the stage for every other key.
3. In one Kafka transaction: the outputs, keyed as the event registry says; the processor's
   changed state, to the partition its input came from; and the input offsets. Either all of
   it becomes visible or none does, so state and offsets never disagree: a crash anywhere
   re-delivers exactly what the restored state has not seen. (The ingest stage writes the
   outputs to ClickHouse: one process owns the embedded database; it reads committed only.)

If a transaction fails in a way Kafka lets us abort (a rebalance fenced the group generation,
a broker timed out), it is aborted and the stage rewinds: state dropped, restored again from
the state topic, input re-read from the committed offsets. Anything else stops the worker.
``StageCore`` holds the bookkeeping without Kafka, so it is unit-tested directly.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

import orjson
from confluent_kafka import OFFSET_BEGINNING, KafkaException, TopicPartition

from config.settings import Settings
from connectors.kafka_io import TopicFollower, make_producer, read_to_end
from pipelines.align import Aligner
from pipelines.batch_loop import BatchLoop
from pipelines.metrics import WorkerMetrics
from processors.protocol import Processor, Stage
from processors.router import Record
from schemas.envelope import Envelope
from schemas.registry import EVENTS, record_key
from schemas.validation import parse_event

log = logging.getLogger(__name__)
TXN_TIMEOUT_S = 30
"""How long a transactional call (init, send offsets, commit, abort) may take."""
TXN_BROKER_TIMEOUT_MS = 15_000
"""transaction.timeout.ms: a worker that dies mid-transaction holds readers of its outputs
and state this long (plus the broker's check interval) unless it is restarted in its slot.
A transaction spans only the produce and commit of one batch, far less."""
HELD_MAX = 50_000
"""Records held for event-time order per input partition before it is paused."""
StateRecord = tuple[bytes, bytes | None, int]
"""(key, value or None for deleted, partition) for the state topic."""


class UndeclaredOutput(RuntimeError):
    """A processor emitted an event type its ``Stage`` does not list in ``outputs``."""


class StageCore:
    """The stage's bookkeeping around a processor, with no Kafka in it."""

    def __init__(self, stage: Stage, processor: Processor) -> None:
        self.stage = stage
        self.processor = processor
        self.inputs = stage.inputs
        self.outputs = frozenset(stage.outputs)
        self.last_offset: dict[tuple[str, int], int] = {}
        """Last offset applied per input (topic, partition) since its state was restored: a
        record at or below it (fetched again after a rebalance) is not applied twice."""
        self.errors = 0
        self.skipped = 0
        self.unreadable = 0

    # -- state ---------------------------------------------------------------------------------
    def restore(self, key: bytes, value: bytes | None, partition: int) -> None:
        try:
            self.processor.restore(key.decode(), value, partition)
        except Exception as exc:  # e.g. state written by an older release: start that key anew
            self.unreadable += 1
            if self.unreadable <= 3:
                log.warning("%s: cannot restore state record %r (partition %d): %r; the key "
                            "starts with fresh state", self.stage.name, key[:80], partition, exc)
            try:
                self.processor.restore(key.decode(), None, partition)
            except Exception:
                log.exception("%s: cannot drop state key %r", self.stage.name, key[:80])

    def state_records(self) -> list[StateRecord]:
        out: list[StateRecord] = []
        for key, (partition, blob) in self.processor.snapshot().items():
            if partition < 0:
                raise ValueError(f"stage {self.stage.name!r}: state key {key!r} has no "
                                 "partition; snapshot() must name the input partition")
            out.append((key.encode(), blob, partition))
        return out

    def drop(self, partitions: set[int]) -> None:
        self.processor.drop_partitions(partitions)
        for tp in [tp for tp in self.last_offset if tp[1] in partitions]:
            del self.last_offset[tp]

    # -- records ---------------------------------------------------------------------------------
    def handle(self, records: list[Record], now: float,
               parsed: dict[tuple[str, int, int], Any] | None = None) -> list[Envelope]:
        out: list[Envelope] = []
        for r in records:
            tp = (r.topic, r.partition)
            if r.offset <= self.last_offset.get(tp, -1):
                self.skipped += 1
                continue  # fetched twice (the partition came back within one batch window)
            self.last_offset[tp] = r.offset
            ev = (parsed.pop((r.topic, r.partition, r.offset), None) if parsed is not None
                  else parse_event(r.value, allowed_types=self.inputs))
            if not isinstance(ev, Envelope):
                continue  # the ingest stage dead-letters it
            try:
                out += self.processor.on_event(ev, partition=r.partition, now=now)
            except Exception:
                self.errors += 1
                log.exception("%s: skipped %s/%d/%d", self.stage.name, r.topic, r.partition,
                              r.offset)
        return self.check(out)

    def check(self, out: list[Envelope]) -> list[Envelope]:
        for ev in out:
            if ev.type not in self.outputs:
                raise UndeclaredOutput(
                    f"stage {self.stage.name!r} emitted {ev.type!r}, which its registration "
                    f"does not list in outputs {sorted(self.outputs)}")
        return out

    def on_timer(self, now: float) -> list[Envelope]:
        return self.check(self.processor.on_timer(now))

    def side(self, values: list[bytes | None], now: float) -> None:
        """Side-input records (``Stage.side_inputs``); unreadable ones are logged, skipped."""
        for value in values:
            if value is None:
                continue
            ev = parse_event(value, allowed_types=self.stage.side_inputs)
            if not isinstance(ev, Envelope):
                log.warning("%s: skipped an unreadable side-input record: %s", self.stage.name,
                            getattr(ev, "error", ev))
                continue
            try:
                self.processor.on_side(ev, now=now)  # type: ignore[attr-defined]
            except Exception:
                self.errors += 1
                log.exception("%s: side-input record %s failed", self.stage.name, ev.id)

    def on_idle(self, now: float) -> list[Envelope]:
        hook = getattr(self.processor, "on_idle", None)
        return self.check(hook(now)) if hook is not None else []


class StageLoop(BatchLoop):
    """A ``StageCore`` on Kafka: consume, process, then outputs + state + offsets in one
    transaction."""

    def __init__(self, stage: Stage, section: Any, settings: Settings,
                 metrics: WorkerMetrics) -> None:
        from schemas.topics import topic_for_type

        prefix = settings.kafka.topic_prefix
        topics = sorted({prefix + topic_for_type(t).name for t in stage.inputs})
        super().__init__(bootstrap=settings.kafka.bootstrap, group_id=section.group_id,
                         topics=topics, batch_max_events=section.batch_max_events,
                         batch_max_wait_s=section.batch_max_wait_s,
                         session_timeout_s=settings.ingest.session_timeout_s, metrics=metrics,
                         # several co-partitioned inputs: the range assignor gives one worker
                         # the same partition number of each, so their state meets
                         assignment_strategy="range" if len(topics) > 1 else
                         "cooperative-sticky")
        self.name = stage.name
        self.timer_interval_s = stage.timer_interval_s
        self.stage = stage
        self.settings = settings
        self.prefix = prefix
        self.state_topic = prefix + stage.state_topic if stage.state_topic else None
        self.core = StageCore(stage, stage.build(section))
        # A stable id per worker slot: a restarted worker fences its crashed predecessor's
        # open transaction at once instead of leaving readers waiting for it to time out.
        slot = settings.web.port or os.getpid()
        self.producer = make_producer(settings.kafka.bootstrap, **{
            "transactional.id": f"{section.group_id}.{stage.name}.{socket.gethostname()}.{slot}",
            "transaction.timeout.ms": TXN_BROKER_TIMEOUT_MS})
        self.producer.init_transactions(TXN_TIMEOUT_S)
        self.followers = [
            TopicFollower(settings.kafka.bootstrap, prefix + topic_for_type(t).name,
                          f"{section.group_id}-side")
            for t in sorted(set(stage.side_inputs), key=lambda t: topic_for_type(t).name)]
        for f in self.followers:
            self.core.side([v for _k, v in f.catch_up()], time.time())
        self.aligner = Aligner(topics, stage.align_idle_s) if (
            len(topics) > 1 and stage.align_idle_s > 0) else None
        self._parsed: dict[tuple[str, int, int], Any] = {}
        self._paused: set[tuple[str, int]] = set()
        self.pending_restore: set[int] = set()
        self.rewinds = 0
        self._errors_seen = 0
        self._offsets: list[TopicPartition] = []

    @property
    def processor(self) -> Processor:
        return self.core.processor

    # -- partitions and state --------------------------------------------------------------------
    def on_assigned(self, partitions: list[tuple[str, int]]) -> None:
        if self.state_topic:
            self.pending_restore |= {p for _t, p in partitions}
        if self.aligner is not None:
            self.aligner.assigned({p for _t, p in partitions}, time.time())

    def on_revoked(self, partitions: list[tuple[str, int]]) -> None:
        gone = {p for _t, p in partitions}
        self.pending_restore -= gone
        self.core.drop(gone)
        if self.aligner is not None:
            self._drop_held(gone)

    def _drop_held(self, partitions: set[int]) -> None:
        assert self.aligner is not None
        self.aligner.drop(partitions)
        self._parsed = {k: v for k, v in self._parsed.items() if k[1] not in partitions}
        self._paused = {tp for tp in self._paused if tp[1] not in partitions}

    # -- several inputs: event-time order ----------------------------------------------------------
    def consume_batch(self) -> list[Record]:
        records = super().consume_batch()
        if self.aligner is None:
            return records
        items = []
        for r in records:
            ev = parse_event(r.value, allowed_types=self.core.inputs)
            ev = ev if isinstance(ev, Envelope) else None
            self._parsed[(r.topic, r.partition, r.offset)] = ev
            items.append((r, ev))
        self.aligner.add(items, time.time())
        released = [r for r, _ev in self.aligner.release(time.time(), self._backlog)]
        self._backpressure()
        return released

    def _backlog(self, topic: str, partition: int) -> bool:
        tp = TopicPartition(topic, partition)
        try:
            _lo, hi = self.consumer.get_watermark_offsets(tp, cached=True)
            pos = self.consumer.position([tp])[0].offset
        except KafkaException:
            return False
        return hi >= 0 and pos >= 0 and pos < hi

    def _backpressure(self) -> None:
        """An input far ahead of the others stops being fetched until they catch up."""
        assert self.aligner is not None
        for key, q in self.aligner.held.items():
            if len(q) > HELD_MAX and key not in self._paused:
                self.consumer.pause([TopicPartition(*key)])
                self._paused.add(key)
            elif len(q) < HELD_MAX // 4 and key in self._paused:
                self.consumer.resume([TopicPartition(*key)])
                self._paused.discard(key)

    def offsets_after(self, records: list[Record]) -> list[TopicPartition]:
        if self.aligner is None:
            return super().offsets_after(records)
        # held records of a partition are not applied: commit only past what was
        out = super().offsets_after(records)
        last = {(r.topic, r.partition): r.offset for r in records}
        return [TopicPartition(tp.topic, tp.partition, last[(tp.topic, tp.partition)] + 1)
                if self.aligner.holds(tp.topic, tp.partition) else tp for tp in out]

    def commit_idle_positions(self) -> None:
        if self.aligner is None or not len(self.aligner):
            super().commit_idle_positions()

    def restore_pending(self) -> None:  # step 1
        if not self.pending_restore:
            return
        todo, self.pending_restore = self.pending_restore, set()
        assert self.state_topic is not None
        started = time.perf_counter()
        n = 0
        for key, value, partition in read_to_end(self.settings.kafka.bootstrap,
                                                 self.state_topic, todo,
                                                 f"{self.group_id}-restore"):
            self.core.restore(key, value, partition)
            n += 1
        log.info("%s: restored %d state records for partitions %s in %.2fs", self.name, n,
                 sorted(todo), time.perf_counter() - started)

    # -- a batch, timers -------------------------------------------------------------------------
    def follow(self) -> None:
        for f in self.followers:
            if got := f.poll():
                self.core.side([v for _k, v in got], time.time())

    def process(self, records: list[Record]) -> None:
        self.follow()
        self.restore_pending()
        out = self.core.handle(records, time.time(),  # step 2
                               self._parsed if self.aligner is not None else None)
        self._transact(out, self.offsets_after(records))  # step 3

    def commit(self, records: list[Record]) -> None:
        """The offsets went with the transaction; only the bookkeeping is left."""
        if self._offsets:
            self.committed_now(self._offsets)
            self._offsets = []

    def on_timer(self) -> None:
        self.follow()
        self.restore_pending()
        self._transact(self.core.on_timer(time.time()), [])

    def on_idle(self) -> None:
        self.restore_pending()
        if self.aligner is not None and len(self.aligner):
            return  # not idle: records wait for another input
        self._transact(self.core.on_idle(time.time()), [])

    def _transact(self, out: list[Envelope], offsets: list[TopicPartition]) -> None:
        state = self.core.state_records()
        if state and self.state_topic is None:
            raise RuntimeError(f"stage {self.name!r} returned state but has no state_topic")
        if not (out or state or offsets):
            return
        p = self.producer
        t0 = time.perf_counter()
        try:
            p.begin_transaction()
            for ev in out:
                self._produce(self.prefix + EVENTS[ev.type].topic, record_key(ev),
                              orjson.dumps(ev.model_dump(mode="json", by_alias=True)))
            for key, value, partition in state:
                self._produce(self.state_topic, key, value, partition)
            t1 = time.perf_counter()
            if offsets:
                p.send_offsets_to_transaction(offsets, self.consumer.consumer_group_metadata(),
                                              TXN_TIMEOUT_S)
            started = time.perf_counter()
            p.commit_transaction(TXN_TIMEOUT_S)
            took = time.perf_counter() - started
            if took + (started - t0) > 1.0:  # a stalled broker shows here first
                log.warning("%s: transaction slow: produce %.3f s, offsets %.3f s, commit "
                            "%.3f s", self.name, t1 - t0, started - t1, took)
        except KafkaException as exc:
            err = exc.args[0]
            if not err.txn_requires_abort():
                raise
            log.warning("%s: transaction aborted (%s); rewinding to the committed offsets",
                        self.name, err)
            p.abort_transaction(TXN_TIMEOUT_S)
            self._rewind()
            return
        self._offsets = offsets
        self._observe(out)

    def _produce(self, topic: str, key: bytes, value: bytes | None,
                 partition: int | None = None) -> None:
        kwargs = {} if partition is None else {"partition": partition}
        while True:
            try:
                self.producer.produce(topic, value, key=key, **kwargs)
                return
            except BufferError:
                self.producer.poll(0.05)

    def _rewind(self) -> None:
        """Forget what the aborted transaction held: state again from the state topic, input
        again from the committed offsets."""
        self.rewinds += 1
        partitions = {p for _t, p in self.assigned}
        self.core.drop(partitions | {p for _t, p in self.core.last_offset})
        if self.aligner is not None:
            self._drop_held(partitions | {p for _t, p in self.aligner.held})
            for tp in list(self._paused):
                self.consumer.resume([TopicPartition(*tp)])
            self._paused.clear()
        if self.state_topic:
            self.pending_restore |= partitions
        tps = [TopicPartition(t, p) for t, p in self.assigned]
        if tps:
            for tp in self._committed(tps):
                self.consumer.seek(TopicPartition(
                    tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
        self._offsets = []

    def _committed(self, tps: list[TopicPartition]) -> list[TopicPartition]:
        """Committed offsets; stable ones wait for another worker's open transaction on these
        partitions, which the broker aborts within its transaction timeout."""
        deadline = time.monotonic() + 3 * TXN_TIMEOUT_S
        while True:
            try:
                return self.consumer.committed(tps, timeout=TXN_TIMEOUT_S)
            except KafkaException as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("%s: committed offsets not available yet (%s); retrying",
                            self.name, exc)

    def _observe(self, out: list[Envelope]) -> None:
        m = self.metrics
        if out:
            m.stage_outputs.labels(self.name).inc(len(out))
        m.stage_state_keys.labels(self.name).set(len(self.processor))
        if self.core.errors != self._errors_seen:
            m.stage_errors.labels(self.name).inc(self.core.errors - self._errors_seen)
            self._errors_seen = self.core.errors
        for reason, n in getattr(self.processor, "dropped", {}).items():
            m.stage_dropped.labels(self.name, reason).set(n)
        for kind, n in getattr(self.processor, "irregular", {}).items():
            m.stage_irregular.labels(self.name, kind).set(n)
        if self.stage.observe is not None:
            self.stage.observe(self.processor, m)

    def close(self) -> None:
        for f in self.followers:
            f.close()
        self.producer.flush(10)
