"""The clustering stage on real Kafka: same incidents as the processor, across a restart."""

from __future__ import annotations

import orjson
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.clustering.scenario import generate
from config.alert_rules import load_alert_rules
from connectors.demo_source import Produced
from processors.alerts.clustering import AlertClusterer
from processors.alerts.processor import ClusteringProcessor

ENV = {"AIOPS_CLUSTERING_ENABLED": "true", "AIOPS_INGEST_BATCH_MAX_EVENTS": "300"}


def _produced(notes) -> list[Produced]:
    return [Produced("telemetry.alerts", n.event.tenant_id.encode(),
                     orjson.dumps(n.event.model_dump(mode="json", by_alias=True)), True)
            for n in notes]


def _expected(notes, pause_after: int) -> dict[str, str | None]:
    """The processor alone, on the stage's clock, flushed where the stream paused (as the
    stage does when a replay goes idle)."""
    proc = ClusteringProcessor(AlertClusterer(load_alert_rules()))
    assigned: dict[str, str | None] = {}
    for i, n in enumerate(notes):
        if i == pause_after:
            for tid in list(proc.clocks):
                proc.flush(tid)
        for a in proc.step(n.event).assignments:
            if a.kind != "remark":
                assigned[a.event_id] = a.incident_id
    return assigned


def test_incidents_match_the_processor_across_a_restart(pipeline) -> None:
    notes = generate(seed=3, tenants=2, sites=2, hours=3).notifications
    events = _produced(notes)
    half = len(events) // 2
    worker = pipeline.start_worker(**ENV)
    pipeline.produce(events[:half])
    pipeline.wait_stage_then_ingest(worker, "clustering", "telemetry.alerts")
    assert worker.stop() == 0
    worker = pipeline.start_worker(**ENV)
    pipeline.produce(events[half:])
    pipeline.wait_stage_then_ingest(worker, "clustering", "telemetry.alerts")
    families = {f.name: f for f in text_string_to_metric_families(worker.get("/metrics"))}
    ratios = {(s.labels["tenant"], s.labels["basis"]): s.value
              for s in families["aiops_alert_compression_ratio"].samples}
    assert worker.stop() == 0
    assert "clustering: restored" in worker.log_path.read_text()

    sink = pipeline.clickhouse()
    try:
        rows = sink.query("SELECT alert_event_id, incident_id, tenant_id FROM "
                          "aiops.alert_assignments FINAL WHERE kind != 'remark'")
        incidents = sink.query("SELECT incident_id, tenant_id, state, alert_count "
                               "FROM aiops.incidents_current")
        noise = sink.query("SELECT tenant_id, sum(notifications) AS n FROM aiops.alert_noise "
                           "GROUP BY tenant_id")
        alerts = sink.counts()["alerts"]
    finally:
        sink.close()
    got = {r["alert_event_id"]: (r["incident_id"] or None) for r in rows}
    want = _expected(notes, half)
    assert alerts == len(notes)
    assert got == want, "the stage, stopped and restarted halfway, must group as the processor"
    ids = {i for i in want.values() if i}
    assert {r["incident_id"] for r in incidents} == ids
    tenants_of: dict[str, set[str]] = {}
    for r in rows:
        if r["incident_id"]:
            tenants_of.setdefault(r["incident_id"], set()).add(r["tenant_id"])
    assert all(len(t) == 1 for t in tenants_of.values()), "an incident spans two tenants"
    assert sum(int(r["n"]) for r in noise) == len(notes)
    compression = 1 - len(ids) / len(notes)
    assert compression > 0.9
    assert all(0 < v <= 1 for v in ratios.values()) and len(ratios) == 4
