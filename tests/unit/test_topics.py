"""The topic table, the event registry and the tables agree, for every registered entry
(stages' own included: importing ``pipelines.stages`` registers them)."""

from __future__ import annotations

import orjson
import pytest

import pipelines.stages  # noqa: F401  - registers the stages' own topics, events and tables
from schemas.clickhouse import TABLES
from schemas.registry import EVENTS, EventType, record_key, register_event, sink_topics
from schemas.topics import DLQ_TOPIC, INPUT_TOPICS, TOPICS, Topic, register_topic, topic
from schemas.validation import Invalid, parse_event
from tests.unit.examples import VALID


def test_names_are_unique_and_valid_kafka_names() -> None:
    names = [t.name for t in TOPICS]
    assert len(names) == len(set(names))
    for n in names:
        assert n.replace(".", "").replace("-", "").replace("_", "").isalnum(), n
        assert len(n) < 200


def test_topic_settings_are_sane() -> None:
    for t in TOPICS:
        assert t.partitions >= 1
        assert t.retention_ms >= 3600_000
        assert t.key, f"{t.name} must say what its key is"
        cfg = t.kafka_config()
        assert cfg["cleanup.policy"] in ("delete", "compact")
        if t.role == "state":
            assert t.cleanup_policy == "compact"
            assert t.event_types == ()
        assert int(cfg["retention.ms"]) == t.retention_ms


def test_dlq_and_inputs() -> None:
    assert topic(DLQ_TOPIC).role == "dlq"
    assert topic(DLQ_TOPIC).event_types == ()
    assert set(INPUT_TOPICS) == {"telemetry.metrics", "telemetry.alerts", "tickets.events",
                                 "help.interactions"}
    for name in INPUT_TOPICS:
        assert topic(name).event_types, f"input topic {name} carries no event type"


@pytest.mark.parametrize("name", list(EVENTS))
def test_every_event_type_round_trips_through_its_registration(name: str) -> None:
    """Example -> validated model -> record key -> table row, for built-in and stage types."""
    spec = EVENTS[name]
    example = VALID.get(name) or spec.example
    assert example is not None, f"register an example for {name} (EventType.example)"
    raw = orjson.dumps(example)
    ev = parse_event(raw, allowed_types=topic(spec.topic).event_types, topic=spec.topic)
    assert not isinstance(ev, Invalid), ev
    assert isinstance(ev, spec.model)
    assert record_key(ev), "an empty key would put every record in one partition"
    if spec.table is not None:
        row = spec.row(ev)
        assert spec.topic in sink_topics()
        cols = {c.strip().split(" ")[0] for c in TABLES[spec.table].columns.split(", ")
                if c.strip() and not c.strip()[0].isupper()}
        missing = set(row) - cols
        assert not missing, f"{name}: row keys {missing} are not columns of {spec.table}"


def test_every_table_but_the_dlq_is_fed_by_an_event_type() -> None:
    fed = {e.table for e in EVENTS.values() if e.table}
    assert fed | {"dlq"} == set(TABLES)


def test_registration_mistakes_are_named_at_once() -> None:
    model = EVENTS["alert"].model
    with pytest.raises(ValueError, match="has type 'alert'"):
        register_event(EventType("other", model, "telemetry.alerts", lambda e: e.tenant_id))
    with pytest.raises(KeyError, match="unknown topic 'nope'"):
        register_event(EventType("alert", model, "nope", lambda e: e.tenant_id))
    with pytest.raises(ValueError, match="both a table and a row mapper"):
        register_event(EventType("alert", model, "telemetry.alerts", lambda e: e.tenant_id,
                                 table="alerts"))
    with pytest.raises(ValueError, match="already registered differently"):
        register_event(EventType("alert", model, "telemetry.alerts", lambda e: e.tenant_id))
    with pytest.raises(ValueError, match="not inputs"):
        register_topic(Topic("x.y", "k", 1, 3600_000))
    assert EVENTS["alert"].topic == "telemetry.alerts"


def test_unknown_topic_message_lists_known_ones() -> None:
    with pytest.raises(KeyError, match=r"telemetry\.metrics"):
        topic("telemetry.metric")


def test_ddl_follows_the_table_conventions() -> None:
    for table in TABLES.values():
        create, view = table.ddl("db")
        assert "PARTITION BY toDate(ts)" in create
        assert "TTL toDateTime(ingested_at)" in create
        assert "ReplacingMergeTree" in create
        assert f"CREATE VIEW IF NOT EXISTS db.{table.name}_v" in view and "FINAL" in view
        # the dedup key must end in the event's identity
        assert table.order_by.endswith(("id", "offset"))
