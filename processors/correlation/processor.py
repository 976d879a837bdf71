"""The correlation processor as a stage sees it: incidents, ticket insights and help spikes of
one tenant in, correlated incident versions out; one event-time clock and one snapshot per
tenant.

**Time.** The three input topics are co-partitioned by tenant but not merged in time: the
tickets topic may run minutes ahead of the incidents topic. So nothing is decided on arrival.
Every item goes into its tenant's buffer, ordered by the event time it could first be known
at (an incident version by its ``last_seen``, a ticket text by its ``timestamp``, a spike by
its window's end plus ``spike_delay_s``, the help stage's own wait before it writes one), and
is taken (``tenant.py``) once the newest event time seen on any input of that tenant is
``reorder_s`` past it. Within that tolerance the items are taken in the same order whatever
the interleaving or replay speed, so the correlations, their ids and versions are the same.
An item later than that is taken at once with its own time (``late`` counts them): joins
compare the item's time with the scope's time span, and held items wait ``window_s``, so late
evidence still joins; only decisions that depend on order (which of two scopes opens first)
may then differ.

The wall clock (``now``) is used only when a tenant goes quiet: after ``reorder_s`` of wall
time with nothing new its buffer is taken whole, and a tenant whose clock is within an hour of
the wall clock is live: its clock follows the wall clock (less ``reorder_s``), so its
correlations close on time when nothing arrives. A replay far behind the wall clock runs on
event time alone; ``on_idle`` takes every buffer and sends pending updates.

**State**: one snapshot per tenant (its buffer, clock, open correlations and held items),
written to the partition the tenant's inputs came from.
"""

from __future__ import annotations

import heapq
import logging
import pickle
from datetime import UTC, datetime
from typing import Any

from processors.correlation.records import INCIDENT, SPIKE, TICKET
from processors.correlation.tenant import Params, Tenant, TenantState
from schemas.envelope import Envelope
from schemas.insights import CorrelatedIncidentEvent

log = logging.getLogger(__name__)
SOURCE = "aiops/correlation"
LIVE_S = 3600.0
STATE_VERSION = 3
_KINDS = {"aiops.incident": INCIDENT, "aiops.ticket-insight": TICKET,
          "aiops.help-spike": SPIKE}


def order_key(ev: Any, spike_delay_s: float = 0.0) -> tuple[float, int, str, int] | None:
    """(event time, kind, ref, sequence) of an input event; None for other types. The time is
    when the item could first be known: an incident version's ``last_seen``, a ticket text's
    ``timestamp``, a spike's window end plus the help stage's wait (``spike_delay_s``)."""
    kind = _KINDS.get(ev.type)
    d = ev.data
    if kind == INCIDENT:
        return max(d.first_seen, d.last_seen).timestamp(), kind, d.incident_id, d.version
    if kind == TICKET:
        return d.timestamp.timestamp(), kind, d.ticket_id, d.seq
    if kind == SPIKE:
        known = d.window_start.timestamp() + d.window_s + spike_delay_s
        return known, kind, d.spike_id, int(d.state == "resolved")
    return None


class CorrelationProcessor:
    def __init__(self, params: Params | None = None, *, reorder_s: float = 120.0,
                 spike_delay_s: float = 600.0) -> None:
        self.params = params or Params()
        self.reorder_s = reorder_s
        self.spike_delay_s = spike_delay_s
        self.tenants: dict[str, Tenant] = {}
        self.heard: dict[str, float] = {}
        """Wall time each tenant last brought an item (not state: a restart starts it anew)."""
        self.dirty: set[str] = set()
        self.written: dict[str, int] = {}
        """Tenant -> partition of its last snapshot, for its tombstone."""
        self.late = 0
        self.stale_restored = 0

    @classmethod
    def from_settings(cls, section: Any) -> CorrelationProcessor:
        s = section
        return cls(Params.of(s), reorder_s=s.reorder_s, spike_delay_s=s.spike_delay_s)

    def __len__(self) -> int:
        return len(self.tenants)

    def sizes(self) -> dict[str, int]:
        """What the state holds, over every tenant (for gauges and benchmarks)."""
        out = {"correlations": 0, "incidents": 0, "tickets": 0, "spikes": 0, "buffered": 0}
        for ten in self.tenants.values():
            s = ten.s
            for name, n in (("correlations", len(s.correlations)),
                            ("incidents", len(s.incidents)), ("tickets", len(s.tickets)),
                            ("spikes", len(s.spikes)), ("buffered", len(s.buffer))):
                out[name] += n
        return out

    @property
    def irregular(self) -> dict[str, int]:
        """Exported as ``aiops_stage_irregular_events``: items taken after the tenant's clock
        had passed them (taken all the same, with their own times)."""
        return {"out_of_order": self.late}

    # -- input and timers --------------------------------------------------------------------
    def on_event(self, ev: Any, *, partition: int = -1, now: float = 0.0) -> list[Envelope]:
        key = order_key(ev, self.spike_delay_s)
        if key is None:
            return []
        tid = ev.tenant_id
        ten = self.tenants.get(tid)
        if ten is None:
            ten = self.tenants[tid] = Tenant(TenantState(tid), self.params)
        s = ten.s
        s.partition = partition
        s.arrivals += 1
        heapq.heappush(s.buffer, (*key, s.arrivals, ev.data))
        s.seen = max(s.seen, key[0])
        self.heard[tid] = now
        self.dirty.add(tid)
        self._take(ten, s.seen - self.reorder_s)
        return self._envelopes(ten, now)

    def _take(self, ten: Tenant, upto: float) -> None:
        buf = ten.s.buffer
        while buf and buf[0][0] <= upto:
            t, kind, *_, data = heapq.heappop(buf)
            if t < ten.s.clock:
                self.late += 1
            ten.advance(t)
            ten.take(kind, data)

    def on_timer(self, now: float) -> list[Envelope]:
        out: list[Envelope] = []
        for tid, ten in list(self.tenants.items()):
            s = ten.s
            if s.buffer and now - self.heard.setdefault(tid, now) >= self.reorder_s:
                self._take(ten, float("inf"))
                self.dirty.add(tid)
            if not s.buffer and 0 <= now - s.clock < LIVE_S + self.reorder_s:
                clock, n = s.clock, len(ten.outbox)
                ten.advance(now - self.reorder_s)
                if s.clock != clock or len(ten.outbox) != n:
                    self.dirty.add(tid)
            out += self._envelopes(ten, now)
            if s.empty():
                del self.tenants[tid]
                self.heard.pop(tid, None)
                self.dirty.add(tid)
        return out

    def on_idle(self, now: float) -> list[Envelope]:
        out: list[Envelope] = []
        for tid, ten in self.tenants.items():
            if ten.s.buffer:
                self._take(ten, float("inf"))
                self.dirty.add(tid)
            if now - ten.s.clock >= LIVE_S and any(
                    c.pending for c in ten.s.correlations.values()):
                ten.flush()
                self.dirty.add(tid)
            out += self._envelopes(ten, now)
        return out

    def _envelopes(self, ten: Tenant, now: float) -> list[Envelope]:
        if not ten.outbox:
            return []
        tid = ten.s.tenant
        out: list[Envelope] = [CorrelatedIncidentEvent(
            id=f"{tid}|{ci.correlation_id}:{ci.version}", source=SOURCE,
            time=datetime.fromtimestamp(now, UTC) if now else ci.last_seen, tenant_id=tid,
            data=ci) for ci in ten.outbox]
        ten.outbox.clear()
        return out

    # -- state ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, tuple[int, bytes | None]]:
        out: dict[str, tuple[int, bytes | None]] = {}
        for tid in self.dirty:
            ten = self.tenants.get(tid)
            if ten is not None:
                self.written[tid] = ten.s.partition
                out[tid] = (ten.s.partition, pickle.dumps((STATE_VERSION, ten.s), protocol=5))
            elif tid in self.written:
                out[tid] = (self.written.pop(tid), None)
        self.dirty.clear()
        return out

    def restore(self, key: str, blob: bytes | None, partition: int) -> None:
        self.tenants.pop(key, None)
        self.heard.pop(key, None)
        self.dirty.discard(key)
        if blob is None:
            self.written.pop(key, None)
            return
        self.written[key] = partition
        version, state = pickle.loads(blob)  # our own changelog topic: trusted
        if version != STATE_VERSION:
            self.stale_restored += 1
            log.warning("correlation: tenant %s was snapshot by another release; it starts "
                        "with fresh state", key)
            self.dirty.add(key)  # its tombstone
            return
        state.partition = partition
        self.tenants[key] = Tenant(state, self.params)

    def drop_partitions(self, partitions: set[int]) -> None:
        for tid in [t for t, ten in self.tenants.items() if ten.s.partition in partitions]:
            del self.tenants[tid]
            self.heard.pop(tid, None)
            self.dirty.discard(tid)
        for tid in [t for t, p in self.written.items() if p in partitions]:
            del self.written[tid]
