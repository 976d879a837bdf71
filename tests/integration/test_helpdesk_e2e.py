"""One scenario through every help-desk stage on real Kafka: alerts, tickets and help traffic in;
clustering, tickets, help and correlation stages; the correlated incidents in ClickHouse.

The scenario is the demo's stream (three tenants, one fault each, with the people at the
fault's site searching the help center and opening tickets, and the ordinary day everywhere).
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime

import orjson

from config.settings import Settings, section_of
from connectors.demo_source import DemoStream
from pipelines.stages import STAGES
from schemas.validation import parse_event

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NAMES = ("clustering", "tickets", "help", "correlation")
ENV = {f"AIOPS_{s.upper()}_ENABLED": "true" for s in NAMES} | {
    "AIOPS_INGEST_BATCH_MAX_EVENTS": "2000"}


def _fault_tickets(stream: DemoStream) -> dict[str, set[str]]:
    """tenant -> ids of the tickets opened at its fault's site while the fault lasted."""
    out: dict[str, set[str]] = {}
    for p in stream.tickets():
        ev = orjson.loads(p.value)
        d = ev["data"]
        t = datetime.fromisoformat(d["timestamp"].replace("Z", "+00:00"))
        for f in stream.faults:
            if (ev["tenant_id"] == f.tenant and d["action"] == "created"
                    and d.get("site") == f.site and f.start <= t <= f.end):
                out.setdefault(f.tenant, set()).add(d["ticket_id"])
    return out


def _in_process(events) -> set[tuple[str, frozenset[str], bool]]:
    """The same events through the four processors in one process, derived events next (as
    the stages pass them on): (tenant, tickets, joined an alert incident) per correlation."""
    settings = Settings()
    procs = [(st, st.build(section_of(settings, st.name))) for st in STAGES if st.name in NAMES]
    queue = deque(parse_event(e.value) for e in events)
    last = {}
    while queue:
        ev = queue.popleft()
        out = []
        for st, proc in procs:
            if ev.type in st.inputs:
                out += proc.on_event(ev, partition=0, now=ev.time.timestamp())
        for o in out:
            if o.type == "aiops.correlated-incident":
                last[o.tenant_id, o.data.correlation_id] = o.data
        queue.extendleft(reversed(out))
    return {(t, frozenset(c.ticket_ids), bool(c.incident_ids)) for (t, _), c in last.items()}


def test_every_fault_becomes_one_correlated_incident_in_clickhouse(pipeline) -> None:
    stream = DemoStream(7, hours=6, end=END)
    events = [e for e in stream.all(invalid_ratio=0) if e.topic != "telemetry.metrics"]
    expected = _fault_tickets(stream)
    assert all(expected.get(f.tenant) for f in stream.faults), "the scenario has no fault tickets"

    worker = pipeline.start_worker(**ENV)
    pipeline.produce(events)
    for stage, topic in (("clustering", "telemetry.alerts"), ("tickets", "tickets.events"),
                         ("help", "help.interactions"), ("help", "aiops.ticket-insights"),
                         ("correlation", "aiops.incidents"),
                         ("correlation", "aiops.ticket-insights"),
                         ("correlation", "aiops.help-signals")):
        pipeline.wait_stage_then_ingest(worker, stage, topic)
    assert worker.stop() == 0

    sink = pipeline.clickhouse()
    try:
        rows = sink.query(
            "SELECT tenant_id, correlation_id, argMax(incident_ids, version) AS incidents, "
            "argMax(ticket_ids, version) AS tickets, argMax(sites, version) AS sites, "
            "argMax(evidence, version) AS evidence FROM aiops.correlated_incidents FINAL "
            "GROUP BY tenant_id, correlation_id")
        incident_of = {(r["tenant_id"], r["fingerprint"]): r["incident_id"] for r in sink.query(
            "SELECT tenant_id, fingerprint, any(incident_id) AS incident_id FROM "
            "aiops.alert_assignments FINAL WHERE notEmpty(alert_assignments.incident_id) "
            "GROUP BY tenant_id, fingerprint")}
        insights = sink.query("SELECT tenant_id, count() AS n, countIf(urgent) AS urgent "
                              "FROM aiops.ticket_insights FINAL GROUP BY tenant_id")
        sessions = sink.query("SELECT count() AS n FROM aiops.help_sessions FINAL")[0]["n"]
    finally:
        sink.close()

    assert sum(r["n"] for r in insights) > 0 and sessions > 0
    tickets_of_tenant = {}
    for e in events:
        ev = orjson.loads(e.value)
        if ev["type"] == "ticket.event":
            tickets_of_tenant.setdefault(ev["tenant_id"], set()).add(ev["data"]["ticket_id"])
    for r in rows:  # never across tenants
        assert set(r["tickets"]) <= tickets_of_tenant.get(r["tenant_id"], set()), r
        assert orjson.loads(r["evidence"]), r
    for f in stream.faults:  # each fault: one correlated incident, with its alerts and people
        fault_incidents = {iid for (tenant, _fp), iid in incident_of.items() if tenant == f.tenant}
        joined = [r for r in rows if r["tenant_id"] == f.tenant
                  and set(r["incidents"]) & fault_incidents]
        assert len(joined) == 1, (f, joined)
        assert f.site in joined[0]["sites"]
        assert set(joined[0]["tickets"]) & expected[f.tenant], (f, joined, expected[f.tenant])
    # and exactly what the processors decide in one process: Kafka, co-partitioning, state and
    # the transactions change nothing (how good the links are is `aiops bench correlation`)
    stored = {(r["tenant_id"], frozenset(r["tickets"]), bool(r["incidents"])) for r in rows}
    assert stored == _in_process(events)
