"""A scenario through the stages' processors in-process, as a worker runs them.

Events go in event-time order (the wall clock is simulated as equal to event time): alerts to
the clustering processor (``config/alert_rules.yaml``, built as ``pipelines/stages.py`` builds
it), ticket events to the tickets processor, help interactions and ticket insights to the help
processor, and their incidents, insights and spikes to the correlation processor at once, each
on its tenant's partition. Every processor's ``on_timer`` runs on its stage's interval; after
the last event the clock runs on for ``TAIL_S`` so that open correlations close.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from processors.correlation.processor import CorrelationProcessor
from processors.correlation.stage import CorrelationSettings
from schemas.envelope import Envelope
from schemas.validation import Invalid, parse_event

TAIL_S = 6 * 3600.0
CORRELATION_INPUTS = ("aiops.incident", "aiops.ticket-insight", "aiops.help-spike")


@dataclass
class Replay:
    inputs: list[tuple[float, int, Envelope]] = field(default_factory=list)
    """What the correlation processor was given: (now, partition, event)."""
    outputs: list[tuple[float, Any]] = field(default_factory=list)
    """Its correlated incident versions, with the (simulated) time they were emitted."""
    assigned: dict[str, str] = field(default_factory=dict)
    """Alert event id -> incident id (clustering assignments)."""
    merged: dict[str, str] = field(default_factory=dict)
    incident_tenant: dict[str, str] = field(default_factory=dict)
    spikes: dict[tuple[str, str], Any] = field(default_factory=dict)
    """(tenant, spike id) -> its last version."""
    ticket_tenant: dict[str, set[str]] = field(default_factory=dict)
    first_text: dict[tuple[str, str], float] = field(default_factory=dict)
    invalid: int = 0

    def resolve(self, iid: str) -> str:
        """The incident an incident was folded into, transitively (itself if none)."""
        seen = set()
        while iid in self.merged and iid not in seen:
            seen.add(iid)
            iid = self.merged[iid]
        return iid


def partition_of(tenant: str, partitions: int = 2) -> int:
    return zlib.crc32(tenant.encode()) % partitions


def build_clustering() -> Any:
    """As the worker builds it (``pipelines/stages.py``), on ``config/alert_rules.yaml``."""
    from config.settings import ClusteringSettings
    from pipelines.stages import CLUSTERING

    return CLUSTERING.build(ClusteringSettings(rules_path=None))


def build_tickets() -> Any:
    from processors.tickets.stage import STAGE, TicketsSettings

    return STAGE.build(TicketsSettings())


def build_help() -> Any:
    from processors.help.stage import STAGE, HelpSettings

    return STAGE.build(HelpSettings())


def build_correlation() -> CorrelationProcessor:
    return CorrelationProcessor.from_settings(CorrelationSettings())


def _now_of(ev: Envelope) -> float:
    data = getattr(ev, "data", None)
    t = getattr(data, "timestamp", None)
    return (t or ev.time).timestamp()


def replay(events: list[dict]) -> Replay:
    rp = Replay()
    clustering = build_clustering()
    tickets = build_tickets()
    helpdesk = build_help()
    corr = build_correlation()
    timers = [(10.0, clustering), (30.0, tickets), (10.0, helpdesk), (10.0, corr)]
    due = [0.0] * len(timers)
    now = 0.0

    def route(out: list[Envelope], now: float, source: str) -> None:
        for ev in out:
            if ev.type == "aiops.alert-assignment":
                if ev.data.incident_id:
                    rp.assigned[ev.data.alert_event_id] = ev.data.incident_id
                continue
            if ev.type == "aiops.incident":
                rp.incident_tenant[ev.data.incident_id] = ev.tenant_id
                if ev.data.merged_into:
                    rp.merged[ev.data.incident_id] = ev.data.merged_into
            elif ev.type == "aiops.help-spike":
                rp.spikes[(ev.tenant_id, ev.data.spike_id)] = ev.data
            elif ev.type == "aiops.ticket-insight" and source == "tickets":
                route(helpdesk.on_event(ev, partition=partition_of(ev.tenant_id), now=now),
                      now, "help")
            if ev.type in CORRELATION_INPUTS:
                p = partition_of(ev.tenant_id)
                rp.inputs.append((now, p, ev))
                rp.outputs += [(now, o) for o in corr.on_event(ev, partition=p, now=now)]

    def tick(upto: float) -> None:
        for i, (interval, proc) in enumerate(timers):
            if due[i] == 0.0:
                due[i] = upto
            while due[i] <= upto:
                out = proc.on_timer(due[i])
                if proc is corr:
                    rp.outputs += [(due[i], o) for o in out]
                else:
                    route(out, due[i], "tickets" if proc is tickets else "timer")
                due[i] += interval

    for raw in events:
        ev = parse_event(orjson.dumps(raw))
        if isinstance(ev, Invalid):
            rp.invalid += 1
            continue
        now = max(now, _now_of(ev))
        tick(now)
        p = partition_of(ev.tenant_id)
        if ev.type == "alert":
            route(clustering.on_event(ev, partition=p, now=now), now, "clustering")
        elif ev.type == "ticket.event":
            rp.ticket_tenant.setdefault(ev.data.ticket_id, set()).add(ev.tenant_id)
            rp.first_text.setdefault((ev.tenant_id, ev.data.ticket_id), now)
            route(tickets.on_event(ev, partition=p, now=now), now, "tickets")
        elif ev.type == "help.interaction":
            route(helpdesk.on_event(ev, partition=p, now=now), now, "help")
    tick(now + TAIL_S)
    return rp


def replay_skewed(inputs: list[tuple[float, int, Envelope]], lags: dict[str, float]
                  ) -> list[tuple[float, Any]]:
    """The same correlation inputs, each topic arriving ``lags[type]`` seconds late (the
    topics not merged in time, as a worker reads them), through a fresh processor."""
    arrivals = sorted(((now + lags.get(ev.type, 0.0), i, p, ev)
                       for i, (now, p, ev) in enumerate(inputs)), key=lambda x: (x[0], x[1]))
    corr = build_correlation()
    out: list[tuple[float, Any]] = []
    next_tick = arrivals[0][0] if arrivals else 0.0
    for at, _, p, ev in arrivals:
        while next_tick <= at:
            out += [(next_tick, o) for o in corr.on_timer(next_tick)]
            next_tick += 10.0
        out += [(at, o) for o in corr.on_event(ev, partition=p, now=at)]
    end = next_tick + TAIL_S
    while next_tick <= end:
        out += [(next_tick, o) for o in corr.on_timer(next_tick)]
        next_tick += 10.0
    return out
