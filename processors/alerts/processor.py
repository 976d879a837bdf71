"""The clustering processor as a stage sees it: alert events in, incident versions and
assignments out, one clock per tenant, one state snapshot per tenant.

Each tenant keeps its own clock: the event time of its own alerts (a watermark that never goes
back; one tenant's alerts all sit in one partition, in order), and its timers run on that
clock whenever it moved ``TICK_S``. A replay therefore groups as the live stream did, whatever
order Kafka interleaves partitions in. Tenants whose clock is within the hour of the wall clock
are live: their timers also run on the wall clock (``on_timer``), so a quiet tenant's
incidents resolve on time; a replay that paused gets its pending updates out once
(``on_idle``). State made under other rules (a changed rules file) is not reused.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime

from processors.alerts.clustering import AlertClusterer
from processors.alerts.incident import ClusterOutput
from processors.alerts.noise import NoiseMeter
from schemas.derived import AlertAssignment, AlertAssignmentEvent, IncidentEvent
from schemas.envelope import Envelope
from schemas.events import AlertEvent
from schemas.notify import SilenceEvent

log = logging.getLogger(__name__)
TICK_S = 10.0
"""Timers run whenever a tenant's event time has moved this far: batch boundaries do not
change results."""
LIVE_S = 3600.0
SOURCE = "aiops/clustering"


@dataclass(slots=True)
class TenantClock:
    watermark: float = 0.0
    last_tick: float = 0.0
    flushed_at: float = 0.0


class ClusteringProcessor:
    def __init__(self, clusterer: AlertClusterer, *, rules_digest: str = "") -> None:
        self.clusterer = clusterer
        self.rules_digest = rules_digest
        self.clocks: dict[str, TenantClock] = {}
        self.partition_of: dict[str, int] = {}
        self.dirty: set[str] = set()
        self.noise = NoiseMeter()
        self.noise_day = None
        self.stale_restored = 0

    def __len__(self) -> int:
        return self.clusterer.tenant_count()

    # -- items and timers --------------------------------------------------------------------
    def on_side(self, ev: SilenceEvent, *, now: float) -> list[Envelope]:
        """A run-time silence (``aiops.silences``): alerts it matches from now on are marked
        ``suppressed_by: silence:<id>`` as the rule file's silences are."""
        self.clusterer.runtime_silences.put(ev.tenant_id, ev.data)
        return []

    def on_event(self, ev: AlertEvent, *, partition: int = -1, now: float = 0.0
                 ) -> list[Envelope]:
        self.partition_of[ev.tenant_id] = partition
        out = self.step(ev)
        self.dirty.add(ev.tenant_id)
        self.dirty |= {v.tenant_id for v in out.incidents}
        return self._envelopes(out, now)

    def step(self, ev: AlertEvent) -> ClusterOutput:
        """One alert on its tenant's clock: that tenant's timers first whenever its event time
        moved ``TICK_S``, then the alert at its watermark."""
        tid = ev.tenant_id
        clock = self.clocks.get(tid)
        if clock is None:
            clock = self.clocks[tid] = TenantClock()
        clock.watermark = max(clock.watermark, ev.time.timestamp())
        at = datetime.fromtimestamp(clock.watermark, UTC)
        out = ClusterOutput()
        if clock.watermark - clock.last_tick >= TICK_S:
            clock.last_tick = clock.watermark
            out.extend(self.clusterer.on_tick(at, tid))
        out.extend(self.clusterer.on_alert(ev, at))
        return out

    def on_timer(self, now: float) -> list[Envelope]:
        out = ClusterOutput()
        for tid, clock in self.clocks.items():
            if now - clock.watermark < LIVE_S:
                out.extend(self.clusterer.on_tick(datetime.fromtimestamp(now, UTC), tid))
        return self._timer_outputs(out, now)

    def on_idle(self, now: float) -> list[Envelope]:
        out = ClusterOutput()
        for tid, clock in self.clocks.items():
            if now - clock.watermark >= LIVE_S and clock.flushed_at != clock.watermark:
                clock.flushed_at = clock.watermark
                out.extend(self.clusterer.flush(datetime.fromtimestamp(clock.watermark, UTC),
                                                tid))
        return self._timer_outputs(out, now)

    def flush(self, tenant: str) -> ClusterOutput:
        """Every pending update of a tenant at its own clock (tests, a paused replay)."""
        clock = self.clocks.get(tenant, TenantClock())
        return self.clusterer.flush(datetime.fromtimestamp(clock.watermark, UTC), tenant)

    def _timer_outputs(self, out: ClusterOutput, now: float) -> list[Envelope]:
        self.dirty |= {v.tenant_id for v in out.incidents}
        return self._envelopes(out, now) if out.incidents or out.assignments else []

    # -- outputs -----------------------------------------------------------------------------
    def _envelopes(self, out: ClusterOutput, now: float) -> list[Envelope]:
        self._observe(out, now)
        items: list[Envelope] = []
        for v in out.incidents:
            inc = v.incident
            if v.suppressed and not inc.suppressed:
                inc = inc.model_copy(update={"suppressed": True})
            # CloudEvents time = when this version was emitted (wall clock; the incident's own
            # times are in its data): what notification delays count from
            emitted = datetime.fromtimestamp(now, UTC) if now else inc.last_seen
            items.append(IncidentEvent(id=f"{inc.incident_id}:v{inc.version}", source=SOURCE,
                                       time=emitted, tenant_id=v.tenant_id, data=inc))
        for a in out.assignments:
            clock = self.clocks.get(a.tenant_id)
            at = datetime.fromtimestamp(clock.watermark if clock else now, UTC)
            items.append(AlertAssignmentEvent(
                id=f"{a.event_id}:assign:{a.kind}", source=SOURCE, time=at,
                tenant_id=a.tenant_id,
                data=AlertAssignment(alert_event_id=a.event_id, fingerprint=a.fingerprint,
                                     kind=a.kind, status=a.status, incident_id=a.incident_id,
                                     template_id=a.template_id,
                                     suppressed_by=list(a.suppressed_by), timestamp=at)))
        return items

    def _observe(self, out: ClusterOutput, now: float) -> None:
        """Compression since UTC midnight (wall clock): the meter's sets stay bounded."""
        day = datetime.fromtimestamp(now, UTC).date() if now else None
        if day != self.noise_day:
            self.noise.reset()
            self.noise_day = day
        self.noise.observe([out])

    # -- state -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, tuple[int, bytes | None]]:
        snaps: dict[str, tuple[int, bytes | None]] = {}
        for tid in self.dirty:
            state = self.clusterer.export_tenant(tid)
            blob = None if state is None else pickle.dumps(
                {"tenant": state, "clock": self.clocks.get(tid, TenantClock()),
                 "rules": self.rules_digest}, protocol=5)
            snaps[tid] = (self.partition_of.get(tid, -1), blob)
        self.dirty.clear()
        return snaps

    def restore(self, key: str, blob: bytes | None, partition: int) -> None:
        if blob is None:
            self.clusterer.drop_tenant(key)
            self.clocks.pop(key, None)
            return
        state = pickle.loads(blob)  # our own changelog topic: trusted
        self.partition_of[key] = partition
        if state.get("rules") != self.rules_digest:
            self.clusterer.drop_tenant(key)
            self.stale_restored += 1
            log.warning("clustering: tenant %s was snapshot under other rules; it starts with "
                        "fresh state", key)
            return
        self.clusterer.import_tenant(key, state["tenant"])
        self.clocks[key] = state["clock"]

    def drop_partitions(self, partitions: set[int]) -> None:
        for tid in [t for t, p in self.partition_of.items() if p in partitions]:
            self.clusterer.drop_tenant(tid)
            self.clocks.pop(tid, None)
            self.dirty.discard(tid)
            del self.partition_of[tid]
