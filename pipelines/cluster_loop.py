"""The clustering stage: alert notifications in, incident versions and assignments out.

Per batch (``BatchLoop`` consumes first and commits last):

1. Restore the state of tenants on newly assigned partitions from ``aiops.clustering-state``.
2. Feed every valid alert to the ``AlertClusterer`` in order. Each tenant keeps its own clock:
   the event time of its own alerts (a watermark that never goes back; one tenant's alerts
   all sit in one partition, in order), and its timers run on that clock. A replay therefore
   groups as the live stream did, whatever order Kafka interleaves the partitions in.
3. Produce incident versions to ``aiops.incidents`` and assignments to
   ``aiops.alert-assignments``; wait for acks. (The ingest stage writes both to ClickHouse.)
4. Produce the state of every tenant touched in this batch to ``aiops.clustering-state``, to
   the partition its alerts come from; wait for acks.
5. Commit offsets.

Each tenant snapshot records the last offset of its partition it has seen, so after a crash
between 4 and 5 the re-delivered alerts are skipped instead of being applied twice (which
would turn a 'new' into a 'repeat'). Snapshots made under other rules are not reused.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from config.alert_rules import load_alert_rules
from config.settings import Settings
from connectors.kafka_io import make_producer, read_to_end
from pipelines.batch_loop import BatchLoop, produce_durably
from pipelines.metrics import WorkerMetrics
from processors.alerts.clustering import AlertClusterer
from processors.alerts.incident import ClusterOutput
from processors.alerts.noise import NoiseMeter
from processors.alerts.rules import RuleSet
from processors.router import Record
from schemas.derived import AlertAssignment, AlertAssignmentEvent, IncidentEvent
from schemas.events import AlertEvent
from schemas.validation import parse_event

log = logging.getLogger(__name__)
STATE_TOPIC = "aiops.clustering-state"
TICK_S = 10.0
"""Timers run whenever event time has moved this far: batch boundaries do not change results."""
SOURCE = "aiops/clustering"


class ClusterLoop(BatchLoop):
    name = "clustering"
    timer_interval_s = TICK_S

    def __init__(self, settings: Settings, metrics: WorkerMetrics) -> None:
        c = settings.clustering
        prefix = settings.kafka.topic_prefix
        super().__init__(bootstrap=settings.kafka.bootstrap, group_id=c.group_id,
                         topics=[prefix + "telemetry.alerts"], batch_max_events=5_000,
                         batch_max_wait_s=c.batch_max_wait_s,
                         session_timeout_s=settings.ingest.session_timeout_s, metrics=metrics)
        self.settings = settings
        self.prefix = prefix
        self.state_topic = prefix + STATE_TOPIC
        rules_mapping = load_alert_rules(c.rules_path or _default_rules()).to_mapping()
        rules = RuleSet.from_mapping(rules_mapping)
        self.clusterer = AlertClusterer(rules, source=SOURCE)
        # state made under other rules (e.g. another number of inhibit rules) is not reused
        self.rules_digest = hashlib.blake2b(
            orjson.dumps(rules_mapping, option=orjson.OPT_SORT_KEYS, default=str),
            digest_size=8).hexdigest()
        self.done_offset: dict[int, int] = {}
        self.last_offset: dict[int, int] = {}
        self.noise = NoiseMeter()
        self.noise_day = datetime.now(UTC).date()
        self.producer = make_producer(settings.kafka.bootstrap)
        self.pending_restore: set[int] = set()
        self.partition_of: dict[str, int] = {}
        self.clocks: dict[str, TenantClock] = {}

    # -- partitions and state -------------------------------------------------------------------
    def on_assigned(self, partitions: list[tuple[str, int]]) -> None:
        self.pending_restore |= {p for _t, p in partitions}

    def on_revoked(self, partitions: list[tuple[str, int]]) -> None:
        gone = {p for _t, p in partitions}
        self.pending_restore -= gone
        tenants = self.clusterer._tenants  # the processor's per-tenant state, by design
        for tid in [t for t, p in self.partition_of.items() if p in gone]:
            tenants.pop(tid, None)
            del self.partition_of[tid]

    def restore(self, partitions: set[int]) -> int:
        n = stale = 0
        for key, value, partition in read_to_end(self.settings.kafka.bootstrap,
                                                  self.state_topic, partitions,
                                                  f"{self.group_id}-restore", batch=1_000):
            tid = key.decode()
            if value is None:
                self.clusterer._tenants.pop(tid, None)
                self.clocks.pop(tid, None)
            else:
                state = pickle.loads(value)  # our own changelog: trusted
                self.partition_of[tid] = partition
                # alerts up to this offset are in the state: after a crash between the
                # snapshot and the commit, they are skipped, not counted twice
                self.done_offset[partition] = max(self.done_offset.get(partition, -1),
                                                  state.get("offset", -1))
                if state.get("rules") != self.rules_digest:
                    self.clusterer._tenants.pop(tid, None)
                    stale += 1
                else:
                    self.clusterer._tenants[tid] = state["tenant"]
                    self.clocks[tid] = state["clock"]
            n += 1
        if stale:
            log.warning("clustering: the rules changed since %d tenant snapshot(s); those "
                        "tenants start with fresh state", stale)
        log.info("clustering: restored %d state records for partitions %s", n,
                 sorted(partitions))
        return n

    # -- a batch --------------------------------------------------------------------------------
    def process(self, records: list[Record]) -> None:
        if self.pending_restore:  # step 1
            todo, self.pending_restore = self.pending_restore, set()
            self.restore(todo)
        out = ClusterOutput()
        touched: set[str] = set()
        for r in records:  # step 2
            if r.offset <= self.done_offset.get(r.partition, -1):
                continue  # already in the restored state
            self.last_offset[r.partition] = r.offset
            ev = parse_event(r.value, allowed_types=("alert",))
            if not isinstance(ev, AlertEvent):
                continue  # the ingest stage dead-letters it
            try:
                step = step_clusterer(self.clusterer, ev, self.clocks)
            except Exception:  # one record must not stop clustering for every tenant
                self.metrics.stage_errors.labels(self.name).inc()
                log.exception("clustering: skipped %s/%d/%d", r.topic, r.partition, r.offset)
                continue
            out.extend(step)
            touched.add(ev.tenant_id)
            touched |= {v.tenant_id for v in step.incidents}
            self.partition_of[ev.tenant_id] = r.partition
        self._produce(out)  # step 3
        self._snapshot(touched)  # step 4
        self._observe(out)

    def on_timer(self) -> None:
        """Live tenants (clock within the hour) get their timers on the wall clock, busy
        stream or not, so a quiet tenant's incidents resolve on time."""
        wall = time.time()
        self._timer_outputs(
            self.clusterer.on_tick(datetime.fromtimestamp(wall, UTC), tid)
            for tid, clock in self.clocks.items() if wall - clock.watermark < 3600)

    def on_idle(self) -> None:
        """No input: a replay that has paused gets its pending updates (and incidents whose
        alerts all resolved) out once, instead of holding them until its next alert."""
        wall = time.time()
        outs = []
        for tid, clock in self.clocks.items():
            if wall - clock.watermark >= 3600 and clock.flushed_at != clock.watermark:
                clock.flushed_at = clock.watermark
                outs.append(self.clusterer.flush(
                    datetime.fromtimestamp(clock.watermark, UTC), tid))
        self._timer_outputs(outs)

    def _timer_outputs(self, outs) -> None:
        out = ClusterOutput()
        for o in outs:
            out.extend(o)
        if out.incidents or out.assignments:
            self._produce(out)
            self._snapshot({v.tenant_id for v in out.incidents})
            self._observe(out)

    def _produce(self, out: ClusterOutput) -> None:
        items = []
        for v in out.incidents:
            inc = v.incident
            if v.suppressed and not inc.suppressed:
                inc = inc.model_copy(update={"suppressed": True})
            ev = IncidentEvent(id=f"{inc.incident_id}:v{inc.version}", source=SOURCE,
                               time=inc.last_seen, tenant_id=v.tenant_id, data=inc)
            items.append((self.prefix + "aiops.incidents", inc.incident_id.encode(),
                          orjson.dumps(ev.model_dump(mode="json")), None, None))
        for a in out.assignments:
            clock = self.clocks.get(a.tenant_id)
            now = datetime.fromtimestamp(clock.watermark if clock else time.time(), UTC)
            ev = AlertAssignmentEvent(
                id=f"{a.event_id}:assign:{a.kind}", source=SOURCE, time=now,
                tenant_id=a.tenant_id,
                data=AlertAssignment(alert_event_id=a.event_id, fingerprint=a.fingerprint,
                                     kind=a.kind, status=a.status, incident_id=a.incident_id,
                                     template_id=a.template_id,
                                     suppressed_by=list(a.suppressed_by), timestamp=now))
            items.append((self.prefix + "aiops.alert-assignments", a.tenant_id.encode(),
                          orjson.dumps(ev.model_dump(mode="json")), None, None))
        produce_durably(self.producer, items, 30.0, "clustering outputs")

    def _snapshot(self, tenants: set[str]) -> None:
        state = self.clusterer._tenants
        produce_durably(self.producer, (
            (self.state_topic, tid.encode(),
             pickle.dumps({"tenant": state[tid], "clock": self.clocks.get(tid, TenantClock()),
                           "rules": self.rules_digest,
                           "offset": self.last_offset.get(self.partition_of.get(tid, -1), -1)},
                          protocol=5)
             if tid in state else None, self.partition_of.get(tid), None)
            for tid in tenants), 30.0, "clustering state snapshots")

    def _observe(self, out: ClusterOutput) -> None:
        today = datetime.now(UTC).date()
        if today != self.noise_day:  # a day's worth at most: the meter's sets stay bounded
            self.noise.reset()
            self.noise_day = today
        self.noise.observe([out])
        for tid, r in self.noise.report().items():
            self.metrics.compression.labels(tid, "notifications").set(
                r["notification_compression"])
            self.metrics.compression.labels(tid, "fingerprints").set(
                r["fingerprint_compression"])
        self.metrics.incident_versions.inc(len(out.incidents))

    def close(self) -> None:
        self.producer.flush(10)


@dataclass(slots=True)
class TenantClock:
    watermark: float = 0.0
    last_tick: float = 0.0
    flushed_at: float = 0.0


def step_clusterer(clusterer: AlertClusterer, ev: AlertEvent,
                   clocks: dict[str, TenantClock]) -> ClusterOutput:
    """One alert on its tenant's clock: that tenant's timers first whenever its event time
    moved ``TICK_S``, then the alert at its watermark. Shared with tests, so a replay of the
    processor alone matches the stage."""
    tid = ev.tenant_id
    clock = clocks.get(tid)
    if clock is None:
        clock = clocks[tid] = TenantClock()
    clock.watermark = max(clock.watermark, ev.time.timestamp())
    now = datetime.fromtimestamp(clock.watermark, UTC)
    out = ClusterOutput()
    if clock.watermark - clock.last_tick >= TICK_S:
        clock.last_tick = clock.watermark
        out.extend(clusterer.on_tick(now, tid))
    out.extend(clusterer.on_alert(ev, now))
    return out


def _default_rules():
    from config.alert_rules import DEFAULT_PATH

    return DEFAULT_PATH
