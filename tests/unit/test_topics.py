from __future__ import annotations

from schemas.clickhouse import ROW_MAPPERS, SINK_TOPICS, TABLE_FOR_TYPE, TABLES
from schemas.topics import DLQ_TOPIC, INPUT_TOPICS, TOPICS, topic, topic_for_type
from schemas.validation import EVENT_TYPES


def test_names_are_unique_and_valid_kafka_names() -> None:
    names = [t.name for t in TOPICS]
    assert len(names) == len(set(names))
    for n in names:
        assert n.replace(".", "").replace("-", "").replace("_", "").isalnum(), n
        assert len(n) < 200


def test_every_event_type_has_exactly_one_topic() -> None:
    for etype in EVENT_TYPES:
        carriers = [t.name for t in TOPICS if etype in t.event_types]
        assert len(carriers) == 1, (etype, carriers)
        assert topic_for_type(etype).name == carriers[0]


def test_topic_settings_are_sane() -> None:
    for t in TOPICS:
        assert t.partitions >= 1
        assert t.retention_ms >= 3600_000
        assert t.key, f"{t.name} must say what its key is"
        cfg = t.kafka_config()
        assert cfg["cleanup.policy"] in ("delete", "compact")
        if t.role == "state":
            assert t.cleanup_policy == "compact"
            source = {"aiops.anomaly-state": "telemetry.metrics",
                      "aiops.clustering-state": "telemetry.alerts"}[t.name]
            assert t.partitions == topic(source).partitions, "co-partitioned with its input"
        assert int(cfg["retention.ms"]) == t.retention_ms


def test_dlq_and_inputs() -> None:
    assert topic(DLQ_TOPIC).role == "dlq"
    assert topic(DLQ_TOPIC).event_types == ()
    assert set(INPUT_TOPICS) == {"telemetry.metrics", "telemetry.alerts", "tickets.events",
                                 "help.interactions"}


def test_every_input_type_has_a_table_and_a_row_mapper() -> None:
    input_types = {e for name in INPUT_TOPICS for e in topic(name).event_types}
    assert input_types <= set(TABLE_FOR_TYPE)
    assert set(TABLE_FOR_TYPE) == set(ROW_MAPPERS)
    for etype in TABLE_FOR_TYPE:
        assert topic_for_type(etype).name in SINK_TOPICS
    assert set(TABLE_FOR_TYPE.values()) | {"dlq"} == set(TABLES)


def test_unknown_topic_message_lists_known_ones() -> None:
    try:
        topic("telemetry.metric")
    except KeyError as exc:
        assert "telemetry.metrics" in str(exc)
    else:
        raise AssertionError("expected KeyError")


def test_ddl_follows_the_table_conventions() -> None:
    for table in TABLES.values():
        create, view = table.ddl("db")
        assert "PARTITION BY toDate(ts)" in create
        assert "TTL toDateTime(ingested_at)" in create
        assert "ReplacingMergeTree" in create
        assert f"CREATE VIEW IF NOT EXISTS db.{table.name}_v" in view and "FINAL" in view
        # the dedup key must end in the event's identity
        assert table.order_by.endswith(("id", "offset"))
