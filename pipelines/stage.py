"""The generic stage: hosts any registered processor (``processors.protocol.Stage``).

Per batch (``BatchLoop`` consumes first and commits last):

1. Restore the state of newly assigned partitions from the stage's state topic (read to its
   end), before any event of those partitions reaches the processor.
2. Parse every record as one of the stage's input types (invalid ones are the ingest stage's
   to dead-letter) and hand it to the processor; skip records the restored state already
   holds (see below). One record that makes the processor raise is logged, counted and
   skipped: it must not stop the stage for every other key.
3. Produce the outputs to their topics, keyed as the event registry says; wait for acks.
   (The ingest stage writes them to ClickHouse: one process owns the embedded database.)
4. Produce the processor's changed state to the state topic, to the partition its input came
   from, with the last input offset applied per topic in a header; wait for acks.
5. Commit offsets.

After a crash between 4 and 5, the records up to the offsets in the restored state are skipped
instead of being applied twice, so a restart gives exactly what an uninterrupted run gives.
``StageCore`` holds all of that bookkeeping without Kafka, so it is unit-tested directly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import orjson

from config.settings import Settings
from connectors.kafka_io import make_producer, read_to_end
from pipelines.batch_loop import BatchLoop, produce_durably
from pipelines.metrics import WorkerMetrics
from processors.protocol import Processor, Stage
from processors.router import Record
from schemas.envelope import Envelope
from schemas.registry import EVENTS, record_key
from schemas.validation import parse_event

log = logging.getLogger(__name__)
OFFSETS_HEADER = "aiops.offsets"

StateRecord = tuple[bytes, bytes | None, int | None, list[tuple[str, bytes]] | None]
"""(key, value or None for deleted, partition, headers) for the state topic."""


class UndeclaredOutput(RuntimeError):
    """A processor emitted an event type its ``Stage`` does not list in ``outputs``."""


class StageCore:
    """The stage's bookkeeping around a processor, with no Kafka in it."""

    def __init__(self, stage: Stage, processor: Processor) -> None:
        self.stage = stage
        self.processor = processor
        self.inputs = stage.inputs
        self.outputs = frozenset(stage.outputs)
        self.applied: dict[tuple[str, int], int] = {}
        """Last offset per input (topic, partition) that the restored state holds."""
        self.last_offset: dict[tuple[str, int], int] = {}
        self.errors = 0
        self.skipped = 0

    # -- state ---------------------------------------------------------------------------------
    def restore(self, key: bytes, value: bytes | None, partition: int,
                headers: Iterable[tuple[str, bytes]] | None) -> None:
        for name, raw in headers or ():
            if name == OFFSETS_HEADER:
                for topic, offset in orjson.loads(raw).items():
                    tp = (topic, partition)
                    self.applied[tp] = max(self.applied.get(tp, -1), int(offset))
                    self.last_offset[tp] = max(self.last_offset.get(tp, -1), int(offset))
        self.processor.restore(key.decode(), value, partition)

    def state_records(self) -> list[StateRecord]:
        out: list[StateRecord] = []
        for key, (partition, blob) in self.processor.snapshot().items():
            offsets = {t: o for (t, p), o in self.last_offset.items() if p == partition}
            headers = [(OFFSETS_HEADER, orjson.dumps(offsets))] if offsets else None
            out.append((key.encode(), blob, partition if partition >= 0 else None, headers))
        return out

    def drop(self, partitions: set[int]) -> None:
        self.processor.drop_partitions(partitions)
        for tp in [tp for tp in self.last_offset if tp[1] in partitions]:
            self.last_offset.pop(tp, None)
            self.applied.pop(tp, None)

    # -- records ---------------------------------------------------------------------------------
    def handle(self, records: list[Record], now: float) -> list[Envelope]:
        out: list[Envelope] = []
        for r in records:
            tp = (r.topic, r.partition)
            if r.offset <= self.applied.get(tp, -1):
                self.skipped += 1
                continue  # already in the restored state
            self.last_offset[tp] = r.offset
            ev = parse_event(r.value, allowed_types=self.inputs)
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

    def on_idle(self, now: float) -> list[Envelope]:
        hook = getattr(self.processor, "on_idle", None)
        return self.check(hook(now)) if hook is not None else []


class StageLoop(BatchLoop):
    """A ``StageCore`` on Kafka: consume, process, produce outputs and state, commit."""

    def __init__(self, stage: Stage, section: Any, settings: Settings,
                 metrics: WorkerMetrics) -> None:
        from schemas.topics import topic_for_type

        prefix = settings.kafka.topic_prefix
        topics = sorted({prefix + topic_for_type(t).name for t in stage.inputs})
        super().__init__(bootstrap=settings.kafka.bootstrap, group_id=section.group_id,
                         topics=topics, batch_max_events=section.batch_max_events,
                         batch_max_wait_s=section.batch_max_wait_s,
                         session_timeout_s=settings.ingest.session_timeout_s, metrics=metrics)
        self.name = stage.name
        self.timer_interval_s = stage.timer_interval_s
        self.stage = stage
        self.settings = settings
        self.prefix = prefix
        self.state_topic = prefix + stage.state_topic if stage.state_topic else None
        self.core = StageCore(stage, stage.build(section))
        self.producer = make_producer(settings.kafka.bootstrap)
        self.pending_restore: set[int] = set()
        self._errors_seen = 0

    @property
    def processor(self) -> Processor:
        return self.core.processor

    def on_assigned(self, partitions: list[tuple[str, int]]) -> None:
        if self.state_topic:
            self.pending_restore |= {p for _t, p in partitions}

    def on_revoked(self, partitions: list[tuple[str, int]]) -> None:
        gone = {p for _t, p in partitions}
        # a partition number shared by several input topics stays while any of them stays
        gone -= {p for _t, p in self.assigned}
        self.pending_restore -= gone
        if gone:
            self.core.drop(gone)

    def restore(self, partitions: set[int]) -> int:  # step 1
        assert self.state_topic is not None
        started = time.perf_counter()
        n = 0
        for key, value, partition, headers in read_to_end(
                self.settings.kafka.bootstrap, self.state_topic, partitions,
                f"{self.group_id}-restore", with_headers=True):
            self.core.restore(key, value, partition, headers)
            n += 1
        log.info("%s: restored %d state records for partitions %s in %.2fs", self.name, n,
                 sorted(partitions), time.perf_counter() - started)
        return n

    def process(self, records: list[Record]) -> None:
        if self.pending_restore:
            todo, self.pending_restore = self.pending_restore, set()
            self.restore(todo)
        self._emit(self.core.handle(records, time.time()))  # steps 2-4

    def on_timer(self) -> None:
        self._emit(self.core.on_timer(time.time()))

    def on_idle(self) -> None:
        self._emit(self.core.on_idle(time.time()))

    def _emit(self, out: list[Envelope]) -> None:
        produce_durably(self.producer, (  # step 3
            (self.prefix + EVENTS[ev.type].topic, record_key(ev),
             orjson.dumps(ev.model_dump(mode="json", by_alias=True)), None, None)
            for ev in out), 30.0, f"{self.name} stage outputs")
        state = self.core.state_records()
        if state and self.state_topic is None:
            raise RuntimeError(f"stage {self.name!r} returned state but has no state_topic")
        if state:
            produce_durably(self.producer, (  # step 4
                (self.state_topic, key, value, partition, headers)
                for key, value, partition, headers in state), 30.0,
                f"{self.name} state snapshots")
        m = self.metrics
        if out:
            m.stage_outputs.labels(self.name).inc(len(out))
        m.stage_state_keys.labels(self.name).set(len(self.processor))
        if self.core.errors != self._errors_seen:
            m.stage_errors.labels(self.name).inc(self.core.errors - self._errors_seen)
            self._errors_seen = self.core.errors
        if self.stage.observe is not None:
            self.stage.observe(self.processor, m)

    def close(self) -> None:
        self.producer.flush(10)
