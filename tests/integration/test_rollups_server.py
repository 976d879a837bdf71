"""Rollups and named queries through ``open_clickhouse`` on both transports: the embedded engine
here, and a ClickHouse server when AIOPS_TEST_CLICKHOUSE_URL names one (the same DDL)."""

from __future__ import annotations

from config.settings import ClickHouseSettings
from pipelines.named_queries import NAMED_QUERIES, render
from schemas.rollups import rollup_tables
from tests.unit.demo_rows import END, demo_rows
from tests.unit.test_rollups import same


def test_rollups_answer_like_raw_rows(sink) -> None:
    """``sink`` (conftest): embedded, and a server when AIOPS_TEST_CLICKHOUSE_URL names one."""
    ttl_days = ClickHouseSettings().ttl_days  # the fixture's databases keep the defaults
    db = sink.database
    names = {r["name"] for r in sink.query(
        f"SELECT name FROM system.tables WHERE database = '{db}'")}
    assert set(rollup_tables()) | {f"{t}_mv" for t in rollup_tables()} <= names
    sink.write(demo_rows())
    now = int(END.timestamp()) - 1777
    for q in NAMED_QUERIES.values():
        for span in (3600, 30 * 86400):
            got = [sink.query(render(q, database=db, since=now - span, until=now, now=now,
                                     ttl_days=ttl_days, rollups=r).sql)
                   for r in (True, False)]
            # a day against the days before it needs more than an hour of range
            empty_ok = q.name == "helpful-share-drop" and span < 2 * 86400
            assert (got[0] or empty_ok) and same(got[0], got[1]), (q.name, span)
