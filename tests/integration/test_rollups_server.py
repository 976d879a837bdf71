"""Rollups and named queries through ``open_clickhouse`` on both transports: the embedded engine
here, and a ClickHouse server when AIOPS_TEST_CLICKHOUSE_URL names one (the same DDL)."""

from __future__ import annotations

import os
import uuid

import pytest

from config.settings import ClickHouseSettings
from connectors.clickhouse import open_clickhouse
from pipelines.named_queries import NAMED_QUERIES, render
from schemas.rollups import rollup_tables
from tests.unit.demo_rows import END, demo_rows
from tests.unit.test_rollups import same

SERVER_URL = os.environ.get("AIOPS_TEST_CLICKHOUSE_URL")


@pytest.mark.parametrize("transport", ["chdb", "server"])
def test_rollups_answer_like_raw_rows(transport: str, tmp_path) -> None:
    if transport == "server":
        if not SERVER_URL:
            pytest.skip("no ClickHouse server here: set AIOPS_TEST_CLICKHOUSE_URL "
                        "(e.g. http://default:@127.0.0.1:8123 with docker compose up) to run")
        settings = ClickHouseSettings(url=SERVER_URL, database=f"t_{uuid.uuid4().hex[:12]}")
    else:
        settings = ClickHouseSettings(chdb_path=tmp_path / "chdb")
    sink = open_clickhouse(settings, owner="tests")
    try:
        db = settings.database
        names = {r["name"] for r in sink.query(
            f"SELECT name FROM system.tables WHERE database = '{db}'")}
        assert set(rollup_tables()) | {f"{t}_mv" for t in rollup_tables()} <= names
        sink.write(demo_rows())
        now = int(END.timestamp()) - 1777
        for q in NAMED_QUERIES.values():
            for span in (3600, 30 * 86400):
                got = [sink.query(render(q, database=db, since=now - span, until=now, now=now,
                                         ttl_days=settings.ttl_days, rollups=r).sql)
                       for r in (True, False)]
                assert got[0] and same(got[0], got[1]), (q.name, span)
    finally:
        if transport == "server":
            sink.transport.command(f"DROP DATABASE IF EXISTS {settings.database}")
        sink.close()
