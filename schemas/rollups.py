"""Rollups: AggregatingMergeTree tables that materialized views fill as rows arrive, so that a
query over a month or a year reads thousands of rows instead of millions.

Metrics roll up to 1 minute, then cascade (each view reads the finer rollup's insert, not the
raw rows again) to 1 hour and 1 day; alerts and anomalies to 1 hour and 1 day; assignments,
help activity and searches to 1 day; incidents to one summary row per incident. Aggregates are
kept as mergeable states (SimpleAggregateFunction or AggregateFunction), so any range is the
merge of its buckets.

A materialized view sees every insert, a re-delivered batch included, and cannot look up which
ids it already counted. So each aggregate is chosen for what it keeps exact under re-delivery:

- min, max, "latest" and per-incident times: idempotent, exact;
- counts of events (notifications, anomalies, searches, incidents): ``uniq`` states of the event
  id, so a copy counts once (ClickHouse's ``uniq`` keeps every 32-bit hash up to 65,536 distinct
  ids, so counts below that are exact but for rare hash collisions; above, an estimate within
  about 1 %);
- metric sample counts, sums (hence averages), quantile weights and help-activity sums: plain
  sums, so one re-delivered batch (at most AIOPS_INGEST_BATCH_MAX_EVENTS rows, after an ingest
  crash) is counted twice in its buckets until they are rebuilt from the raw rows (docs/tables.md).
  A ``uniq`` state per metric bucket would cost more than the raw rows it summarises.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.clickhouse import LC, TS, col, cols, sql_string

RETENTION_DEFAULTS = {"1m": 90, "1h": 730, "1d": 0}
"""Days a rollup row is kept after its last write, per level (0 = kept)."""

QUANTILES = "0.5, 0.9, 0.95, 0.99"
UPDATED = "updated_at"


@dataclass(frozen=True, slots=True)
class Level:
    suffix: str
    seconds: int
    partition: str

    @property
    def bucket(self) -> str:
        return {60: "toStartOfMinute", 3600: "toStartOfHour", 86400: "toStartOfDay"}[self.seconds]


MINUTE = Level("1m", 60, "toDate(ts)")
HOUR = Level("1h", 3600, "toYYYYMM(ts)")
DAY = Level("1d", 86400, "toYear(ts)")


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    type: str
    comment: str
    raw: str = ""  # expression over the raw row; default the column of the same name

    def from_raw(self) -> str:
        return f"{self.raw} AS {self.name}" if self.raw else self.name


@dataclass(frozen=True, slots=True)
class Agg:
    """One aggregate column. ``raw`` makes its state from raw rows, ``merge`` from the same
    column of a finer level (``{c}`` stands for it). ``fine`` is another stored form for the
    finest level, read back into this one's state by ``read``."""

    name: str
    type: str
    raw: str
    merge: str
    comment: str
    fine: Agg | None = None
    read: str = ""

    def at(self, finest: bool) -> Agg:
        return self.fine if finest and self.fine is not None else self

    def read_as_state(self) -> str:
        """The fine form read back as this state (CAST: the -Array combinator's state type
        differs in name only, and a UNION takes its first part's type)."""
        assert self.fine is not None
        return f"CAST({self.read.format(c=self.fine.name)} AS {self.type})"


def _simple(name: str, fn: str, type_: str, raw: str, comment: str, merge_fn: str = "") -> Agg:
    return Agg(name, f"SimpleAggregateFunction({fn}, {type_})", raw,
               f"{merge_fn or fn}({{c}})", comment)


def _uniq(name: str, raw: str, comment: str) -> Agg:
    return Agg(name, "AggregateFunction(uniq, String)", raw, "uniqMergeState({c})", comment)


@dataclass(frozen=True, slots=True)
class Rollup:
    """A family of rollup tables over one raw table. With no ``levels`` it is one summary
    table named ``name`` with a row per key (merged), filtered on ``time`` when read."""

    name: str
    source: str
    keys: tuple[Key, ...]
    aggs: tuple[Agg, ...]
    levels: tuple[Level, ...]
    comment: str
    where: str = ""
    time: str = "ts"

    def table(self, level: Level | None) -> str:
        return f"{self.name}_{level.suffix}" if level else self.name

    def tables(self) -> list[str]:
        return [self.table(lv) for lv in self.levels] or [self.name]

    def retention_class(self, level: Level | None) -> str:
        return level.suffix if level else "1d"

    # --- DDL ---------------------------------------------------------------------------------

    def columns(self, level: Level | None) -> str:
        finest = bool(self.levels) and level == self.levels[0]
        parts = [col(k.name, k.type, k.comment) for k in self.keys]
        if level:
            parts.append(col("ts", "DateTime('UTC')", "Start of the bucket: the minute, hour "
                             "or day of the table's name"))
        for a in self.aggs:
            a = a.at(finest)
            parts.append(col(a.name, a.type, a.comment))
        parts.append(col(UPDATED, "SimpleAggregateFunction(max, DateTime('UTC'))",
                         "Last write to this row; retention counts from it"))
        return cols(*parts)

    def create_table(self, database: str, level: Level | None, ttl_days: int) -> str:
        keys = ", ".join(k.name for k in self.keys) + (", ts" if level else "")
        what = f"{self.comment}, per {level.suffix}" if level else self.comment
        return (f"CREATE TABLE IF NOT EXISTS {database}.{self.table(level)} "
                f"({self.columns(level)}) "
                f"ENGINE = AggregatingMergeTree "
                f"PARTITION BY {level.partition if level else 'tuple()'} ORDER BY ({keys}) "
                f"{ttl_clause(ttl_days)}COMMENT {sql_string(what)}")

    def select_from_raw(self, database: str, source: str | None = None,
                        stored: bool = True) -> str:
        """The finest level's rows from raw rows (its view, and a backfill from ``source``);
        not ``stored``: in the form every level is read as, without ``updated_at``."""
        level = self.levels[0] if self.levels else None
        keys = [k.from_raw() for k in self.keys]
        group = [k.name for k in self.keys]
        if level:
            keys.append(f"{level.bucket}({self.time}) AS ts")
            group.append("ts")
        aggs = [f"{a.at(stored).raw} AS {a.at(stored).name}" for a in self.aggs]
        if stored:
            aggs.append(f"max(now()) AS {UPDATED}")
        where = f" WHERE {self.where}" if self.where and source is None else ""
        return (f"SELECT {', '.join(keys + aggs)} "
                f"FROM {source or f'{database}.{self.source}'}{where} GROUP BY {', '.join(group)}")

    def select_from_finer(self, database: str, i: int) -> str:
        """Level ``i``'s rows from level ``i - 1``'s (its cascading view)."""
        finer, level = self.levels[i - 1], self.levels[i]
        aggs = []
        for a in self.aggs:
            stored = a.at(i - 1 == 0)
            expr = a.read_as_state() if stored is not a else a.merge.format(c=a.name)
            aggs.append(f"{expr} AS {a.name}")
        keys = ", ".join(k.name for k in self.keys)
        return (f"SELECT {keys}, {level.bucket}(ts) AS ts, {', '.join(aggs)}, "
                f"max({UPDATED}) AS {UPDATED} FROM {database}.{self.table(finer)} "
                f"GROUP BY {keys}, ts")

    def ddl(self, database: str, ttl_days: dict[str, int]) -> list[str]:
        """Tables, then views coarsest first: no row reaches a level before the view that
        carries it on to the next one exists."""
        levels = list(self.levels) or [None]
        out = [self.create_table(database, lv, ttl_days[self.retention_class(lv)])
               for lv in levels]
        for i in range(len(levels) - 1, -1, -1):
            body = (self.select_from_finer(database, i) if i else
                    self.select_from_raw(database))
            out.append(f"CREATE MATERIALIZED VIEW IF NOT EXISTS "
                       f"{database}.{self.table(levels[i])}_mv "
                       f"TO {database}.{self.table(levels[i])} AS {body}")
        return out

    # --- reading -----------------------------------------------------------------------------

    def read(self, database: str, level: str, start: str, end: str,
             tenant: str | None = None) -> str:
        """One segment of a range as rows of this family: ``level`` is a level suffix, the
        summary's name or "raw"; ``start``/``end`` are SQL time literals."""
        ten = f" AND tenant_id = {sql_string(tenant)}" if tenant is not None else ""
        keys = ", ".join(k.name for k in self.keys)
        if level == "raw":
            where = f" AND ({self.where})" if self.where else ""
            inner = f"SELECT * FROM {database}.{self.source} FINAL WHERE 1{ten}{where}"
            if self.levels:
                inner += f" AND ts >= {start} AND ts < {end}"
            body = self.select_from_raw(database, f"({inner})", stored=False)
            return body + ("" if self.levels else self._having(start, end))
        if not self.levels:
            aggs = ", ".join(f"{a.merge.format(c=a.name)} AS {a.name}" for a in self.aggs)
            return (f"SELECT {keys}, {aggs} FROM {database}.{self.name} WHERE 1{ten} "
                    f"GROUP BY {keys}{self._having(start, end)}")
        lv = next(x for x in self.levels if x.suffix == level)
        finest = lv == self.levels[0]
        conv = [a for a in self.aggs if a.at(finest) is not a]
        aggs = ", ".join((a.read_as_state() if a in conv else
                          a.merge.format(c=a.name) if conv else a.name) + f" AS {a.name}"
                         for a in self.aggs)
        sql = (f"SELECT {keys}, ts, {aggs} FROM {database}.{self.table(lv)} "
               f"WHERE ts >= {start} AND ts < {end}{ten}")
        return sql + (f" GROUP BY {keys}, ts" if conv else "")

    def _having(self, start: str, end: str) -> str:
        return f" HAVING {self.time} >= {start} AND {self.time} < {end}"


def repair_statements(rollup: Rollup, database: str, day: str) -> list[str]:
    """Rebuild one UTC day (``YYYY-MM-DD``) of a bucketed family from the raw rows (FINAL: each
    event once), e.g. after an ingest crash counted a batch twice: delete the day from every
    level, then insert it into the finest level again; the views refill the coarser ones.
    Run it when the day is complete, as the process that owns the database."""
    if not rollup.levels:
        return []  # summaries keep only min/max per key: exact already
    day_filter = f"toDate(ts) = {sql_string(day)}"
    where = f" AND ({rollup.where})" if rollup.where else ""
    src = f"(SELECT * FROM {database}.{rollup.source} FINAL WHERE {day_filter}{where})"
    return [*(f"DELETE FROM {database}.{t} WHERE {day_filter}" for t in rollup.tables()),
            f"INSERT INTO {database}.{rollup.tables()[0]} {rollup.select_from_raw(database, src)}"]


def ttl_clause(days: int) -> str:
    return f"TTL {UPDATED} + INTERVAL {days} DAY " if days > 0 else ""


_T = Key("tenant_id", LC, "Tenant")
_SITE, _SERVICE = Key("site", LC, "Site"), Key("service", LC, "Service")
_Q = f"quantilesTDigest({QUANTILES})"

ROLLUPS: dict[str, Rollup] = {r.name: r for r in (
    Rollup(
        "metrics", "metrics",
        (_T, Key("name", LC, "Metric name"), _SITE, _SERVICE, Key("host", LC, "Host")),
        (_simple("unit", "any", LC, "any(unit)", "Unit"),
         _simple("min_value", "min", "Float64", "min(value)", "Smallest sample (exact)"),
         _simple("max_value", "max", "Float64", "max(value)", "Largest sample (exact)"),
         _simple("sum_value", "sum", "Float64", "sum(value)",
                 "Sum of samples: sum_value / samples is the mean (a re-delivered sample "
                 "counts twice)"),
         _simple("samples", "sum", "UInt64", "count()",
                 "Samples (a re-delivered sample counts twice)"),
         Agg("digest", f"AggregateFunction({_Q}, Float64)", f"quantilesTDigestState({QUANTILES})"
             "(value)", f"quantilesTDigestMergeState({QUANTILES})({{c}})",
             f"t-digest of the samples: quantilesTDigestMerge({QUANTILES})(digest), or any "
             "other level with quantileTDigestMerge(level)(digest)",
             fine=Agg("values", "AggregateFunction(groupArray, Float64)", "groupArrayState(value)",
                      "groupArrayMergeState({c})", "The samples themselves (a minute holds a "
                      "few): quantileExactArray(0.95)(finalizeAggregation(values))"),
             read=f"quantilesTDigestArrayState({QUANTILES})(finalizeAggregation({{c}}))")),
        (MINUTE, HOUR, DAY), "Metric samples per series"),
    Rollup(
        "alerts", "alerts",
        (_T, Key("alertname", LC, "alertname label"), Key("severity", LC, "severity label"),
         _SITE, _SERVICE),
        (_uniq("notifications", "uniqState(id)", "Notifications: uniqMerge(notifications)"),
         _uniq("firing", "uniqStateIf(id, status = 'firing')", "Firing notifications"),
         _uniq("fingerprints", "uniqState(fingerprint)", "Distinct alerts (fingerprints)")),
        (HOUR, DAY), "Alert notifications"),
    Rollup(
        "anomalies", "anomalies",
        (_T, Key("name", LC, "Metric name"), Key("series_id", "String", "Series"), _SITE,
         _SERVICE, Key("host", LC, "Host")),
        (_uniq("anomalous", "uniqStateIf(id, is_anomaly)", "Anomalous samples (exact)"),
         _simple("verdicts", "sum", "UInt64", "count()",
                 "Verdicts written (all samples with AIOPS_ANOMALY_EMIT_ALL; a re-delivered "
                 "one counts twice)"),
         _simple("max_score", "max", "Float32", "max(score)", "Highest score (exact)")),
        (HOUR, DAY), "Detector verdicts per series"),
    Rollup(
        "alert_assignments", "alert_assignments",
        (_T, Key("incident_id", "String", "Incident the alerts joined (empty: none)")),
        (_uniq("notifications", "uniqState(id)", "Notifications handled (remarks excluded)"),
         _uniq("fingerprints", "uniqState(fingerprint)", "Distinct alerts")),
        (DAY,), "Alert notifications per incident (compression)", where="kind != 'remark'"),
    Rollup(
        "help_activity", "help_activity",
        (_T, Key("article_id", "String", "Article")),
        tuple(_simple(n, "sum", "UInt64", f"sum({n})", f"{d} (a re-delivered window counts "
                      "twice)") for n, d in (("views", "Views"), ("upvotes", "Up votes"),
                                             ("downvotes", "Down votes"),
                                             ("sessions", "Reading sessions"))),
        (DAY,), "Help-center activity per article"),
    Rollup(
        "help_searches", "help_interactions",
        (_T, Key("query", "String", "Search text, lower-cased and trimmed",
                 "lower(trimBoth(query))")),
        (_uniq("searches", "uniqState(id)", "Searches"),
         _uniq("no_result", "uniqStateIf(id, coalesce(result_count, 1) = 0)",
               "Searches that found nothing")),
        (DAY,), "Help-center searches per query text", where="kind = 'search'"),
    Rollup(
        "incident_summary", "incidents",
        (_T, Key("incident_id", "String", "Incident")),
        (_simple("first_seen", "min", TS, "min(first_seen)", "Earliest alert start"),
         _simple("opened_at", "min", TS, "min(ts)", "When the pipeline opened it (version 1)"),
         _simple("resolved_at", "max", TS, "maxIf(ts, state = 'resolved')",
                 "When it was resolved (1970-01-01: not yet)"),
         _simple("last_seen", "max", TS, "max(last_seen)", "Last alert activity"),
         _simple("critical", "max", "UInt8", "max(severity = 'critical')", "Ever critical"),
         _simple("sites", "groupUniqArrayArray", "Array(String)", "groupUniqArrayArray(sites)",
                 "Sites involved"),
         _simple("services", "groupUniqArrayArray", "Array(String)",
                 "groupUniqArrayArray(services)", "Services involved"),
         _simple("alert_count", "max", "UInt32", "max(alert_count)", "Member alerts"),
         _simple("merged_into", "max", "String", "max(ifNull(merged_into, ''))",
                 "Incident it was folded into (empty: none)"),
         _simple("versions", "max", "UInt32", "max(version)", "Versions seen")),
        (), "One row per incident (after merges: GROUP BY tenant_id, incident_id)",
        time="first_seen"),
)}


def rollup_tables() -> list[str]:
    return [t for r in ROLLUPS.values() for t in r.tables()]
