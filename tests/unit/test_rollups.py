"""Rollups on the embedded engine with demo-like data: named queries answer from them exactly as
from the raw rows, re-delivery changes what the docs say it changes (and a repair undoes it),
rollups added to a database with rows are filled, retention settings reach existing tables."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.clickhouse import ChdbTransport, ClickHouseSink
from pipelines.named_queries import NAMED_QUERIES, render
from schemas.clickhouse import TABLES
from schemas.rollups import RETENTION_DEFAULTS, ROLLUPS, repair_statements, rollup_tables
from tests.unit.demo_rows import END, demo_rows

TTL = {"metrics": 7, **RETENTION_DEFAULTS}
NOW = int(END.timestamp()) - 1777  # not aligned to anything
RANGES = (3600, 86400 + 1234, 30 * 86400)


@contextmanager
def demo_db(path: Path, *, rollups: bool = True, ttl: dict | None = None
            ) -> Iterator[ClickHouseSink]:
    sink = ClickHouseSink(ChdbTransport(path), "aiops", ttl_days=ttl, rollups=rollups)
    try:
        sink.ensure_schema()
        yield sink
    finally:
        sink.close()


def answers(sink: ClickHouseSink, rollups: bool, names=tuple(NAMED_QUERIES), tenant=None,
            ranges=RANGES, until: int = NOW) -> dict:
    out = {}
    for name in names:
        for span in ranges:
            sql = render(NAMED_QUERIES[name], database="aiops", since=until - span, until=until,
                         now=until, ttl_days=TTL, tenant=tenant, limit=100,
                         rollups=rollups).sql
            out[name, span] = sink.query(sql)
    return out


def same(a, b) -> bool:
    """Equal, floats to 1e-9 relative (a sum's order differs between rollups and raw rows)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=2e-6)  # 6-decimal rounding
    return a == b


def test_named_queries_answer_from_rollups_what_raw_rows_answer(tmp_path: Path) -> None:
    with demo_db(tmp_path) as sink:
        sink.write(demo_rows())
        fast, raw = answers(sink, True), answers(sink, False)
        assert same(fast, raw)
        assert all(fast[name, 30 * 86400] for name in NAMED_QUERIES), "every query has rows"
        assert same(answers(sink, True, tenant="acme"), answers(sink, False, tenant="acme"))
        assert {r["tenant_id"] for rows in answers(sink, True, tenant="acme").values()
                for r in rows} == {"acme"}
        # compression agrees with the alert_noise view over whole days
        noise = sink.query("SELECT tenant_id, toString(day) AS day, notifications, incidents "
                           "FROM aiops.alert_noise ORDER BY tenant_id, day")
        day_end = (NOW // 86400 + 1) * 86400
        sql = render(NAMED_QUERIES["compression"], database="aiops", since=NOW - 30 * 86400,
                     until=day_end, now=day_end, ttl_days=TTL).sql
        ours = [{k: r[k] for k in ("tenant_id", "day", "notifications", "incidents")}
                for r in sink.query(sql)]
        assert ours == noise


def test_redelivery_changes_only_what_the_docs_say_and_a_repair_undoes_it(tmp_path: Path) -> None:
    with demo_db(tmp_path) as sink:
        rows = demo_rows()
        sink.write(rows)
        span, day_end = 30 * 86400, (NOW // 86400 + 1) * 86400  # whole days: rollups only
        before = answers(sink, True, ranges=(span,), until=day_end)
        sink.write(rows)  # every batch delivered again
        after = answers(sink, True, ranges=(span,), until=day_end)
        for name in ("noisiest-alertnames", "compression", "mttr", "incidents-by-site",
                     "content-gaps", "deflection", "gaps-ending-in-tickets"):
            assert after[name, span] == before[name, span], name  # uniq and min/max: exact
        anomalies = [{k: v for k, v in r.items() if k != "scored"}
                     for r in after["anomalies-per-series", span]]
        assert anomalies == [{k: v for k, v in r.items() if k != "scored"}
                             for r in before["anomalies-per-series", span]]
        m0, m1 = before["metric-summary", span], after["metric-summary", span]
        # lists, not tuples: `same` compares the floats within rounding (a sum's order varies)
        assert same([[r["min_"], r["max_"], r["mean"]] for r in m1],
                    [[r["min_"], r["max_"], r["mean"]] for r in m0])  # all twice: same mean
        assert [r["n"] for r in m1] == [2 * r["n"] for r in m0]  # counts double
        assert [r["article_views"] for r in after["article-votes", span]] == \
            [2 * r["article_views"] for r in before["article-votes", span]]

        days = [r["d"] for r in sink.query("SELECT DISTINCT toString(toDate(ts)) AS d "
                                           "FROM aiops.metrics ORDER BY d")]
        for family in ("metrics", "help_activity", "anomalies"):
            for day in days:
                for statement in repair_statements(ROLLUPS[family], "aiops", day):
                    sink.transport.command(statement)
        assert same(answers(sink, True, ranges=(span,), until=day_end), before)


def test_rollups_added_to_a_database_with_rows_are_filled_from_them(tmp_path: Path) -> None:
    with demo_db(tmp_path, rollups=False) as sink:
        sink.write(demo_rows())
        assert not set(rollup_tables()) & {r["name"] for r in sink.query(
            "SELECT name FROM system.tables WHERE database = 'aiops'")}
        sink.rollups = True
        sink.ensure_schema()  # what a worker of this version does on start
        assert same(answers(sink, True), answers(sink, False))
        sink.ensure_schema()  # and again: nothing is filled twice
        assert same(answers(sink, True), answers(sink, False))


def test_retention_settings_reach_tables_that_exist(tmp_path: Path) -> None:
    def ttls(sink: ClickHouseSink) -> dict[str, int]:
        out = {}
        for r in sink.query("SELECT name, engine_full FROM system.tables "
                            "WHERE database = 'aiops' AND engine LIKE '%MergeTree'"):
            m = re.search(r"toIntervalDay\((\d+)\)", r["engine_full"])
            out[r["name"]] = int(m.group(1)) if m else 0
        return out

    with demo_db(tmp_path) as sink:
        got = ttls(sink)
    assert got["metrics"] == 7 and got["alerts"] == TABLES["alerts"].ttl_days
    assert (got["metrics_1m"], got["metrics_1h"], got["metrics_1d"]) == (90, 730, 0)
    assert got["incident_summary"] == 0 and got["alerts_1h"] == 730
    with demo_db(tmp_path, ttl={"metrics": 30, "1m": 30, "1h": 0, "1d": 3650}) as sink:
        got = ttls(sink)
    assert (got["metrics"], got["metrics_1m"], got["metrics_1h"], got["metrics_1d"],
            got["alerts_1d"]) == (30, 30, 0, 3650, 3650)


def test_every_column_the_engine_holds_has_its_comment(tmp_path: Path) -> None:
    with demo_db(tmp_path) as sink:
        cols = sink.query("SELECT table, name, comment FROM system.columns "
                          "WHERE database = 'aiops'")
        kinds = {r["name"]: r["engine"] for r in sink.query(
            "SELECT name, engine FROM system.tables WHERE database = 'aiops'")}
    stored = [c for c in cols if kinds[c["table"]].endswith("MergeTree")]
    assert {c["table"] for c in stored} == set(TABLES) | set(rollup_tables())
    assert not [c for c in stored if not c["comment"]]
