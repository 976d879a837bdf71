"""Batched, idempotent writes of event rows to ClickHouse, over either transport.

Idempotence comes from the tables (ReplacingMergeTree keyed by event id), so a batch retried
after a crash, or a replayed topic, never shows twice in ``FINAL`` / ``*_v`` query results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson

from config.settings import ClickHouseSettings
from connectors.clickhouse.transport import ChdbTransport, ServerTransport, Transport
from schemas.clickhouse import TABLES, extra_views

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
                 backoff_s: float = 0.5) -> None:
        self.transport = transport
        self.database = database
        self.retries = retries
        self.backoff_s = backoff_s

    def ensure_schema(self) -> None:
        self.transport.command(f"CREATE DATABASE IF NOT EXISTS {self.database}")
        for table in TABLES.values():
            for statement in table.ddl(self.database):
                self.transport.command(statement)
        for statement in extra_views(self.database):
            self.transport.command(statement)

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
    sink = ClickHouseSink(transport, settings.database, retries=retries, backoff_s=backoff_s)
    try:
        sink.ensure_schema()
    except Exception:
        sink.close()
        raise
    return sink
