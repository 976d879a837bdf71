"""The sink on the real engine: same DDL and idempotence on chdb and, when given, a server."""

from __future__ import annotations

import itertools

import pytest

from connectors.demo_source import DemoStream, mixed_events
from processors.router import Record, route


def test_writing_a_batch_twice_shows_each_event_once(sink) -> None:
    events = mixed_events(2_000, invalid_ratio=0.05, seed=3)
    routed = route([Record(e.topic, 0, i, 1_795_000_000_000, e.key, e.value)
                    for i, e in enumerate(events)])
    batch = routed.sink_batch()
    first = sink.write(batch)
    assert first.rows == 2_000
    sink.write(batch)  # a re-delivery after a crash before the commit
    counts = sink.counts(final=True)
    assert counts == {t: len(batch.get(t, [])) for t in counts}
    db = sink.database
    raw_total = sum(sink.counts(final=False).values())
    assert 2_000 <= raw_total <= 4_000
    view = sink.query(f"SELECT count() AS n FROM {db}.metrics_v")[0]["n"]
    assert int(view) == counts["metrics"]


def test_rows_round_trip_with_types(sink) -> None:
    events = list(itertools.islice(DemoStream(9, hours=1).metrics(), 50))
    routed = route([Record(e.topic, 0, i, 0, e.key, e.value) for i, e in enumerate(events)])
    sink.write(routed.sink_batch())
    row = routed.rows["metrics"][0]
    got = sink.query(
        f"SELECT name, value, host, resource['host.name'] AS rh, toUnixTimestamp64Milli(ts) AS ms "
        f"FROM {sink.database}.metrics FINAL WHERE id = '{row['id']}'")
    assert len(got) == 1
    assert got[0]["name"] == row["name"] and float(got[0]["value"]) == row["value"]
    assert got[0]["host"] == got[0]["rh"] == row["host"]
    assert int(got[0]["ms"]) == round(row["ts"] * 1000)


def test_unknown_table_is_refused(sink) -> None:
    with pytest.raises(ValueError, match="unknown table"):
        sink.write({"nope": [{"id": "1"}]})


def test_a_backfill_spanning_years_is_split_by_partition(sink) -> None:
    """ClickHouse refuses inserts touching > 100 partitions; a replay of old data must not."""
    events = list(itertools.islice(DemoStream(9, hours=1).metrics(), 1))
    routed = route([Record(e.topic, 0, 0, 0, e.key, e.value) for e in events])
    base = routed.rows["metrics"][0]
    rows = [{**base, "id": f"old-{i}", "ts": 1_400_000_000 + i * 86_400} for i in range(730)]
    stats = sink.write({"metrics": rows})
    assert stats.rows == 730 and stats.inserts == 8
    assert sink.counts()["metrics"] == 730
