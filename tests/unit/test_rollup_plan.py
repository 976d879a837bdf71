"""Which tables answer a range: coarsest first, exact edges while finer levels hold them."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest

from pipelines.named_queries import NAMED_QUERIES, parse_time, render
from schemas.rollup_plan import Segment, plan
from schemas.rollups import RETENTION_DEFAULTS, ROLLUPS

TTL = {"metrics": 7, **RETENTION_DEFAULTS}


def t(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def segs(family: str, since: str, until: str, now: str | None = None, ttl=TTL) -> list[tuple]:
    out = plan(ROLLUPS[family], t(since), t(until), t(now or until), ttl)
    return [(s.level, datetime.fromtimestamp(s.start, UTC).strftime("%m-%d %H:%M:%S"),
             datetime.fromtimestamp(s.end, UTC).strftime("%m-%d %H:%M:%S")) for s in out]


def test_a_month_is_days_with_hours_minutes_and_seconds_at_the_ends() -> None:
    assert segs("metrics", "2026-11-17 09:15:30", "2026-11-20 11:30:23") == [
        ("raw", "11-17 09:15:30", "11-17 09:16:00"),
        ("1m", "11-17 09:16:00", "11-17 10:00:00"),
        ("1h", "11-17 10:00:00", "11-18 00:00:00"),
        ("1d", "11-18 00:00:00", "11-20 00:00:00"),
        ("1h", "11-20 00:00:00", "11-20 11:00:00"),
        ("1m", "11-20 11:00:00", "11-20 11:30:00"),
        ("raw", "11-20 11:30:00", "11-20 11:30:23"),
    ]


def test_an_edge_the_finer_levels_no_longer_hold_is_rounded_down_to_a_bucket() -> None:
    # 30 days back: raw rows (7 days) are gone, so the first minute is read whole
    assert segs("metrics", "2026-10-21 11:30:23", "2026-11-20 11:30:23")[0] == (
        "1m", "10-21 11:30:00", "10-21 12:00:00")
    # a year back: minutes (90 days) are gone too, so the first hour is read whole
    assert segs("metrics", "2025-11-20 11:30:23", "2026-11-20 11:30:23")[:2] == [
        ("1h", "11-20 11:00:00", "11-21 00:00:00"), ("1d", "11-21 00:00:00", "11-20 00:00:00")]
    # three years back: hours (2 years) are gone, the first day is read whole
    assert segs("metrics", "2023-11-20 11:30:23", "2026-11-20 11:30:23")[0][0:2] == (
        "1d", "11-20 00:00:00")


def test_short_ranges() -> None:
    assert segs("metrics", "2026-11-20 11:00:05", "2026-11-20 11:00:35") == [
        ("raw", "11-20 11:00:05", "11-20 11:00:35")]
    # no minute level for alerts: an hour that is not whole is raw rows
    assert segs("alerts", "2026-11-20 10:30:00", "2026-11-20 11:30:00") == [
        ("raw", "11-20 10:30:00", "11-20 11:30:00")]
    # an old minute whose raw rows are gone comes from its 1-minute bucket
    assert segs("metrics", "2026-11-01 10:00:05", "2026-11-01 10:00:35",
                now="2026-11-20 00:00:00") == [("1m", "11-01 10:00:00", "11-01 10:01:00")]
    assert segs("incident_summary", "2026-11-01", "2026-11-02") == [
        ("incident_summary", "11-01 00:00:00", "11-02 00:00:00")]
    assert plan(ROLLUPS["metrics"], 10, 20, 30, TTL, use_rollups=False) == [Segment("raw", 10, 20)]


def test_longer_retention_settings_are_used() -> None:
    keep = {**TTL, "metrics": 400, "1m": 400}
    assert segs("metrics", "2025-11-20 11:30:23", "2026-11-20 11:30:23", ttl=keep)[0] == (
        "raw", "11-20 11:30:23", "11-20 11:31:00")


@pytest.mark.parametrize("family", ["metrics", "alerts", "alert_assignments"])
def test_segments_tile_the_range_without_gaps_or_overlaps(family: str) -> None:
    rng = random.Random(7)
    now = t("2026-11-20 11:30:23")
    for _ in range(300):
        since = now - rng.randrange(1, 3 * 365 * 86400)
        until = rng.randrange(since + 1, now + 1)
        out = plan(ROLLUPS[family], since, until, now, TTL)
        assert all(a.end == b.start for a, b in itertools.pairwise(out)), out
        assert out[0].start <= since and since - out[0].start < 86400
        assert out[-1].end >= until and out[-1].end - until < 86400
        assert all(s.start < s.end for s in out)


def test_named_queries_put_a_tenant_filter_into_every_subquery() -> None:
    now = t("2026-11-20 11:30:23")
    for q in NAMED_QUERIES.values():
        sql = render(q, database="aiops", since=now - 30 * 86400, until=now, now=now,
                     ttl_days=TTL, tenant="ac'me").sql
        assert sql.count("FROM aiops.") == sql.count("tenant_id = 'ac\\'me'"), q.name
        assert "{" not in sql.replace("{'", ""), q.name


def test_times() -> None:
    now = t("2026-11-20 12:00:00")
    assert parse_time("24h", now) == now - 86400
    assert parse_time("1y", now) == now - 365 * 86400
    assert parse_time("90m", now) == now - 5400
    assert parse_time("2026-11-01", now) == t("2026-11-01 00:00:00")
    assert parse_time("2026-11-01T08:00Z", now) == t("2026-11-01 08:00:00")
    assert parse_time("1763640000", now) == 1763640000
    with pytest.raises(ValueError, match="duration"):
        parse_time("yesterday", now)


def test_the_command_line_tells_sql_from_named_queries() -> None:
    from config.settings import ClickHouseSettings
    from pipelines.named_queries import command_sql

    s = ClickHouseSettings()
    opts = {"since": None, "until": None, "tenant": None, "limit": 20, "rollups": True,
            "show": False}
    assert command_sql("SELECT 1", s, **opts) == ("SELECT 1", "")
    sql, plan = command_sql("mttr", s, **{**opts, "since": "30d"})
    assert "aiops.incident_summary" in sql and plan.startswith("-- incidents: incident_summary")
    raw, _ = command_sql("mttr", s, **{**opts, "rollups": False})
    assert "incident_summary" not in raw and "aiops.incidents FINAL" in raw
    off, _ = command_sql("mttr", s.model_copy(update={"rollups": False}), **opts)
    assert "incident_summary" not in off  # rollups turned off: raw rows
    with pytest.raises(ValueError, match="not a named query"):
        command_sql("SELECT 1", s, **{**opts, "tenant": "acme"})
    with pytest.raises(ValueError, match="no named query 'mttr-x'; there are: noisiest"):
        command_sql("mttr-x", s, **opts)
    with pytest.raises(ValueError, match="is not before"):
        command_sql("mttr", s, **{**opts, "since": "1d", "until": "2d"})
