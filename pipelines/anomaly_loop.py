"""The anomaly stage: metric samples in, anomalies and alerts out, state in a changelog.

Per batch (``BatchLoop`` consumes first and commits last):

1. Restore the state of newly assigned partitions from ``aiops.anomaly-state`` (read to its
   end), before any sample of those partitions is scored.
2. Score and learn every valid sample (invalid ones are the ingest stage's to dead-letter).
3. Produce anomalies to ``aiops.anomalies`` and alerts to ``telemetry.alerts``; wait for acks.
   (The ingest stage writes both to ClickHouse: one process owns the embedded database.)
4. Produce the state of every series changed in this batch to ``aiops.anomaly-state``, to the
   partition its samples come from; wait for acks.
5. Commit offsets.

State is snapshot once per batch for dirty series only, never per sample. Each snapshot
records the offset of the last sample learned, so after a crash between 4 and 5 the
re-delivered samples are skipped instead of learned twice: a restart scores exactly as an
uninterrupted run.
"""

from __future__ import annotations

import logging
import time

import orjson

from config.anomaly import AnomalyConfig, load_anomaly_config
from config.settings import Settings
from connectors.kafka_io import make_producer, read_to_end
from models.base import Detector
from pipelines.batch_loop import BatchLoop, produce_durably
from pipelines.metrics import WorkerMetrics
from processors.anomaly import AnomalyProcessor, SeriesPolicy
from processors.router import Record
from schemas.events import MetricSampleEvent
from schemas.keys import record_key
from schemas.topics import topic_for_type
from schemas.validation import parse_event

log = logging.getLogger(__name__)
STATE_TOPIC = "aiops.anomaly-state"


def detector_factory(cfg: AnomalyConfig):
    from models.registry import DEFAULT_DETECTOR, make_detector

    def make(metric: str) -> tuple[Detector, SeriesPolicy]:
        p = cfg.policy_for(metric)
        name = DEFAULT_DETECTOR if p.detector == "default" else p.detector
        return make_detector(name, **p.params), SeriesPolicy(
            name, p.threshold, p.fire_after, p.clear_below, p.resolve_after)

    return make


class AnomalyLoop(BatchLoop):
    name = "anomaly"
    timer_interval_s = 30.0

    def __init__(self, settings: Settings, metrics: WorkerMetrics) -> None:
        a = settings.anomaly
        prefix = settings.kafka.topic_prefix
        super().__init__(bootstrap=settings.kafka.bootstrap, group_id=a.group_id,
                         topics=[prefix + "telemetry.metrics"],
                         batch_max_events=a.batch_max_events, batch_max_wait_s=a.batch_max_wait_s,
                         session_timeout_s=settings.ingest.session_timeout_s, metrics=metrics)
        self.settings = settings
        self.prefix = prefix
        self.state_topic = prefix + STATE_TOPIC
        cfg = load_anomaly_config(a.config_path)
        self.processor = AnomalyProcessor(detector_factory(cfg), ttl_s=a.series_ttl_s,
                                          emit_all=a.emit_all)
        self.producer = make_producer(settings.kafka.bootstrap)
        self.pending_restore: set[int] = set()

    def on_assigned(self, partitions: list[tuple[str, int]]) -> None:
        self.pending_restore |= {p for _t, p in partitions}

    def on_revoked(self, partitions: list[tuple[str, int]]) -> None:
        gone = {p for _t, p in partitions}
        self.pending_restore -= gone
        self.processor.drop_partitions(gone)

    def restore(self, partitions: set[int]) -> int:  # step 1
        started = time.perf_counter()
        n = 0
        for key, value, _partition in read_to_end(self.settings.kafka.bootstrap,
                                                  self.state_topic, partitions,
                                                  f"{self.group_id}-restore"):
            self.processor.restore(key.decode(), value)
            n += 1
        log.info("anomaly: restored %d state records for partitions %s in %.2fs", n,
                 sorted(partitions), time.perf_counter() - started)
        return n

    def process(self, records: list[Record]) -> None:
        if self.pending_restore:
            todo, self.pending_restore = self.pending_restore, set()
            self.restore(todo)
        now = time.time()
        out = []
        for r in records:  # step 2
            ev = parse_event(r.value, allowed_types=("metric.sample",))
            if not isinstance(ev, MetricSampleEvent):
                continue  # the ingest stage dead-letters it
            try:
                out += self.processor.on_sample(ev, now=now, partition=r.partition,
                                                offset=r.offset)
            except Exception:  # one record must not stop the stage for every series
                self.metrics.stage_errors.labels(self.name).inc()
                log.exception("anomaly: skipped %s/%d/%d", r.topic, r.partition, r.offset)
        self._emit(out)
        self.metrics.anomaly_series.set(len(self.processor.series))

    def on_timer(self) -> None:
        """Series quiet past their TTL go, busy or idle stream alike (open alerts resolved)."""
        self._emit(self.processor.expire(time.time()))

    def _emit(self, out: list) -> None:
        produce_durably(self.producer, (  # step 3
            (self.prefix + topic_for_type(ev.type).name, record_key(ev),
             orjson.dumps(ev.model_dump(mode="json", by_alias=True)), None, None)
            for ev in out), 30.0, "anomaly stage outputs")
        snapshots = self.processor.snapshot_dirty()
        produce_durably(self.producer, (  # step 4
            (self.state_topic, key.encode(), blob, partition if partition >= 0 else None, None)
            for key, (partition, blob) in snapshots.items()), 30.0, "state snapshots")
        self.metrics.anomaly_outputs.inc(len(out))

    def close(self) -> None:
        self.producer.flush(10)
