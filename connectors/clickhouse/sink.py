"""Batched, idempotent writes of event rows to ClickHouse, over either transport.

Idempotence comes from the tables (ReplacingMergeTree keyed by event id), so a batch retried
after a crash, or a replayed topic, never shows twice in ``FINAL`` / ``*_v`` query results.
The rollups that materialized views fill on insert (``schemas/rollups.py``) keep counts exact
that way too; their sums count a re-delivered batch twice (docs/tables.md#rollups).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson

from config.settings import ClickHouseSettings
from connectors.clickhouse.transport import ChdbTransport, ServerTransport, Transport
from schemas.clickhouse import TABLES, Table, extra_views
from schemas.rollups import RETENTION_DEFAULTS, ROLLUPS, Rollup, ttl_clause

log = logging.getLogger(__name__)


class SinkError(RuntimeError):
    """A batch could not be made durable after all retries; its offsets stay uncommitted."""


@dataclass(slots=True)
class WriteStats:
    rows: int = 0
    inserts: int = 0
    retries: int = 0
    seconds: float = 0.0


class ClickHouseSink:
    def __init__(self, transport: Transport, database: str, *, retries: int = 5,
                 backoff_s: float = 0.5, ttl_days: Mapping[str, int] | None = None,
                 rollups: bool = True) -> None:
        self.transport = transport
        self.database = database
        self.retries = retries
        self.backoff_s = backoff_s
        self.ttl_days = {"metrics": TABLES["metrics"].ttl_days, **RETENTION_DEFAULTS,
                         **(ttl_days or {})}
        self.rollups = rollups

    def ensure_schema(self) -> None:
        """Tables, views and rollups, created if missing, the same on both transports; a
        rollup created over a table that already has rows is filled from them; retention
        changed in the settings is applied to existing tables (ALTER ... MODIFY TTL)."""
        db = self.database
        self.transport.command(f"CREATE DATABASE IF NOT EXISTS {db}")
        before = self._engines()
        for table in TABLES.values():
            for statement in self._table(table).ddl(db):
                self.transport.command(statement)
        for statement in extra_views(db):
            self.transport.command(statement)
        if self.rollups:
            for rollup in ROLLUPS.values():
                self._ensure_rollup(rollup, before)
        self._align_retention()

    def _table(self, table: Table) -> Table:
        days = self.ttl_days.get(table.name)
        return dataclasses.replace(table, ttl_days=days) if days else table

    def _engines(self) -> dict[str, str]:
        rows = self.query("SELECT name, engine_full FROM system.tables "
                          f"WHERE database = '{self.database}'")
        return {r["name"]: r["engine_full"] for r in rows}

    def _ensure_rollup(self, rollup: Rollup, before: Mapping[str, str]) -> None:
        db, first = self.database, rollup.tables()[0]
        statements = rollup.ddl(db, self.ttl_days)
        created = False
        if first not in before:  # the one that creates it (a race on a server) fills it
            try:
                self.transport.command(statements[0].replace(" IF NOT EXISTS", "", 1))
                created = True
            except Exception as exc:
                if "already exists" not in str(exc).lower():
                    raise
        for statement in statements:
            self.transport.command(statement)
        if created and rollup.source in before:
            # rows inserted from now on go through the views; the ones before are read here
            mark = self.query("SELECT toString(now64(3)) AS t")[0]["t"]
            log.info("filling %s from the rows already in %s", first, rollup.source)
            where = f" AND ({rollup.where})" if rollup.where else ""
            src = (f"(SELECT * FROM {db}.{rollup.source} FINAL WHERE ingested_at < "
                   f"toDateTime64('{mark}', 3, 'UTC'){where})")
            self.transport.command(f"INSERT INTO {db}.{first} {rollup.select_from_raw(db, src)} "
                                   "SETTINGS max_partitions_per_insert_block = 0")

    def _align_retention(self) -> None:
        want: dict[str, tuple[int, str]] = {
            t.name: (t.ttl_days, t.ttl_clause()) for t in map(self._table, TABLES.values())}
        if self.rollups:
            for r in ROLLUPS.values():
                for level, name in zip(r.levels or [None], r.tables(), strict=True):
                    days = self.ttl_days[r.retention_class(level)]
                    want[name] = (days, ttl_clause(days).strip())
        for name, engine in self._engines().items():
            if name not in want:
                continue
            m = re.search(r"\bTTL\b.*?toIntervalDay\((\d+)\)", engine)
            days, clause = want[name]
            if (int(m.group(1)) if m else 0) != days:
                log.warning("retention of %s.%s changes to %s", self.database, name,
                            f"{days} days" if days else "kept")
                action = f"MODIFY {clause}" if days else "REMOVE TTL"
                self.transport.command(f"ALTER TABLE {self.database}.{name} {action}")

    def write(self, batch: Mapping[str, Sequence[dict]]) -> WriteStats:
        """Insert every table's rows; returns only once all of them are durable."""
        stats = WriteStats()
        start = time.perf_counter()
        for table, rows in batch.items():
            if not rows:
                continue
            if table not in TABLES:
                raise ValueError(f"unknown table {table!r}")
            for chunk in _by_partition_limit(rows):
                payload = b"\n".join(orjson.dumps(r) for r in chunk)
                stats.retries += self._insert(f"{self.database}.{table}", payload)
                stats.inserts += 1
            stats.rows += len(rows)
        stats.seconds = time.perf_counter() - start
        return stats

    def _insert(self, table: str, payload: bytes) -> int:
        for attempt in range(self.retries + 1):
            try:
                self.transport.insert_json_rows(table, payload)
                return attempt
            except Exception as exc:
                if attempt == self.retries:
                    raise SinkError(
                        f"insert into {table} failed {attempt + 1} time(s) on the "
                        f"{self.transport.name} transport: {exc}"
                    ) from exc
                delay = self.backoff_s * 2**attempt
                log.warning("insert into %s failed (%s); retrying in %.1fs", table, exc, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def query(self, sql: str) -> list[dict]:
        return self.transport.query_rows(sql)

    def counts(self, final: bool = True) -> dict[str, int]:
        """Rows per table, each event counted once when ``final``."""
        fin = " FINAL" if final else ""
        return {
            name: int(self.query(f"SELECT count() AS n FROM {self.database}.{name}{fin}")[0]["n"])
            for name in TABLES
        }

    def close(self) -> None:
        self.transport.close()


MAX_DAYS_PER_INSERT = 100
"""ClickHouse refuses an insert touching more than 100 partitions (days) by default; a
backfill or replay of old data easily spans more, so such a batch is split by day."""


def _by_partition_limit(rows: Sequence[dict]) -> list[Sequence[dict]]:
    days = {int(r["ts"] // 86_400) for r in rows}
    if len(days) <= MAX_DAYS_PER_INSERT:
        return [rows]
    ordered = sorted(days)
    group_of = {d: i // MAX_DAYS_PER_INSERT for i, d in enumerate(ordered)}
    chunks: list[list[dict]] = [[] for _ in range(group_of[ordered[-1]] + 1)]
    for r in rows:
        chunks[group_of[int(r["ts"] // 86_400)]].append(r)
    return chunks


def open_clickhouse(settings: ClickHouseSettings, *, owner: str, retries: int = 5,
                    backoff_s: float = 0.5) -> ClickHouseSink:
    """Open the configured transport and make sure the tables exist."""
    transport: Transport
    if settings.url is not None:
        transport = ServerTransport(settings.url.get_secret_value(), settings.database)
    else:
        transport = ChdbTransport(settings.chdb_path, owner=owner)
    sink = ClickHouseSink(transport, settings.database, retries=retries, backoff_s=backoff_s,
                          ttl_days=settings.ttl_days, rollups=settings.rollups)
    try:
        sink.ensure_schema()
    except Exception:
        sink.close()
        raise
    return sink
