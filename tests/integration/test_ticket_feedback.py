"""Operator feedback on real Kafka: a verdict becomes a learning example on its topic, every
tickets worker follows that topic, and a later, similar text is judged differently."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import orjson

from connectors.demo_source import Produced

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ENV = {"AIOPS_TICKETS_ENABLED": "true"}
FIRST = "Everyone on the 3rd floor cannot print to the big printer in the corridor"
SIMILAR = "Everyone on the 4th floor cannot print to the big printer by the lifts"


def _event(etype: str, eid: str, minutes: int, data: dict) -> Produced:
    at = (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    body = {"specversion": "1.0", "id": eid, "source": "test", "type": etype, "time": at,
            "tenant_id": "acme", "data": {**data, "timestamp": at}}
    return Produced("tickets.events", b"acme", orjson.dumps(body), True)


def _ticket(eid: str, tid: str, minutes: int, text: str) -> Produced:
    return _event("ticket.event", eid, minutes, {
        "ticket_id": tid, "action": "created", "subject": "Printer", "text": text,
        "requester": f"{tid}@acme.example", "site": "par1"})


def test_feedback_changes_later_decisions_through_kafka(pipeline) -> None:
    worker = pipeline.start_worker(**ENV)
    pipeline.produce([_ticket("e-1", "T-5", 0, FIRST)])
    pipeline.wait_stage_then_ingest(worker, "tickets", "tickets.events")
    pipeline.produce([_event("ticket.feedback", "fb-1", 5, {
        "ticket_id": "T-5", "verdict": "wrong", "by": "noc-lead",
        "comment": "they have three other printers"})])
    pipeline.wait_stage_then_ingest(worker, "tickets", "tickets.events")
    time.sleep(2)  # the example, written in the stage's transaction, reaches its followers
    pipeline.produce([_ticket("e-2", "T-6", 10, SIMILAR)])
    pipeline.wait_stage_then_ingest(worker, "tickets", "tickets.events")
    assert worker.stop() == 0

    sink = pipeline.clickhouse()
    try:
        rows = {r["text_id"]: r for r in sink.query(
            "SELECT text_id, urgent, reasons FROM aiops.ticket_insights FINAL")}
        examples = sink.query("SELECT text_id, urgent, predicted_urgent FROM "
                              "aiops.ticket_examples FINAL")
    finally:
        sink.close()
    assert examples == [{"text_id": "e-1", "urgent": False, "predicted_urgent": True}]
    assert rows["e-1"]["urgent"] and not rows["e-2"]["urgent"]
    assert any(r["kind"] == "learned" for r in orjson.loads(rows["e-2"]["reasons"]))
