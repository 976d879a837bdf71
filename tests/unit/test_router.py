from __future__ import annotations

import base64
from collections import Counter
from datetime import UTC, datetime

import orjson

from connectors.demo_source import DemoStream, mixed_events
from processors.router import Record, route
from tests.unit.examples import valid


def _rec(topic: str, value: bytes | None, offset: int = 0) -> Record:
    return Record(topic, 0, offset, 1_795_000_000_000, b"k", value)


def test_valid_events_become_rows_of_their_table() -> None:
    recs = [
        _rec("telemetry.metrics", orjson.dumps(valid("metric.sample")), 0),
        _rec("telemetry.alerts", orjson.dumps(valid("alert")), 1),
        _rec("tickets.events", orjson.dumps(valid("ticket.event")), 2),
        _rec("help.interactions", orjson.dumps(valid("help.interaction")), 3),
    ]
    out = route(recs)
    assert not out.dead
    assert {t: len(r) for t, r in out.rows.items()} == {
        "metrics": 1, "alerts": 1, "ticket_events": 1, "help_interactions": 1}
    m = out.rows["metrics"][0]
    assert m["id"] == "ev-1" and m["tenant_id"] == "acme" and m["host"] == "db-7"
    assert m["resource"]["k8s.pod.name"] == "api-5f7"
    assert m["ts"] == 1795435200.0  # 2026-11-23T12:00:00Z
    a = out.rows["alerts"][0]
    assert a["alertname"] == "DiskFull" and a["ends_at"] is None


def test_invalid_records_become_dead_letters_with_origin_and_raw_bytes() -> None:
    raw = b"\xffnot json"
    out = route([_rec("telemetry.metrics", raw, 41)])
    assert not out.rows
    (dead,) = out.dead
    assert dead.reason_code == "not_json"
    headers = dict(dead.headers())
    assert headers["aiops.source.offset"] == b"41"
    assert headers["aiops.source.topic"] == b"telemetry.metrics"
    row = dead.row()
    assert row["id"] == "telemetry.metrics/0/41"
    assert base64.b64decode(row["raw_base64"]) == raw
    assert row["raw_size"] == len(raw)


def test_a_valid_event_on_the_wrong_topic_is_dead() -> None:
    out = route([_rec("tickets.events", orjson.dumps(valid("metric.sample")))])
    assert out.dead[0].reason_code == "wrong_topic"


def test_tombstones_and_unknown_topics_are_dead_not_crashes() -> None:
    out = route([_rec("telemetry.metrics", None), _rec("other.topic", b"{}")])
    assert [d.reason_code for d in out.dead] == ["not_json", "wrong_topic"]


def test_topic_prefix_is_stripped_for_routing() -> None:
    out = route([_rec("run1.telemetry.metrics", orjson.dumps(valid("metric.sample")))],
                topic_prefix="run1.")
    assert len(out.rows["metrics"]) == 1


def test_mixed_demo_stream_routes_exactly_its_valid_events() -> None:
    events = mixed_events(3000, invalid_ratio=0.02)
    out = route([_rec(e.topic, e.value, i) for i, e in enumerate(events)])
    assert sum(len(r) for r in out.rows.values()) == sum(e.valid for e in events) == 2940
    assert len(out.dead) == 60
    codes = Counter(d.reason_code for d in out.dead)
    assert set(codes) == {"not_json", "unknown_type", "missing_tenant", "schema", "oversized",
                          "wrong_topic"}


def test_demo_stream_is_deterministic() -> None:
    end = datetime(2026, 11, 23, tzinfo=UTC)
    a = DemoStream(3, hours=2, end=end).all()
    b = DemoStream(3, hours=2, end=end).all()
    c = DemoStream(4, hours=2, end=end).all()
    assert [e.value for e in a] == [e.value for e in b]
    assert [e.value for e in a] != [e.value for e in c]
    ids = [orjson.loads(e.value)["id"] for e in a if e.valid]
    assert len(ids) == len(set(ids)), "event ids must be unique"
