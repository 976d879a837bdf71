"""Two ways to reach ClickHouse that accept the same SQL and the same JSONEachRow batches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import orjson

from connectors.clickhouse.lock import DirectoryLock


class Transport(Protocol):
    name: str

    def command(self, sql: str) -> None: ...

    def insert_json_rows(self, table: str, payload: bytes) -> None:
        """Insert newline-separated JSON objects (JSONEachRow) into ``database.table``."""
        ...

    def query_rows(self, sql: str) -> list[dict]: ...

    def close(self) -> None: ...


class ChdbTransport:
    """The real ClickHouse engine in this process, on disk under ``path``."""

    name = "chdb"

    def __init__(self, path: Path, owner: str = "aiops") -> None:
        from chdb import session  # imported lazily: loading the engine takes ~0.5 s

        self.path = Path(path)
        self._lock = DirectoryLock(self.path)
        self._lock.acquire(owner)
        try:
            self._session = session.Session(str(self.path))
        except Exception:
            self._lock.release()
            raise
        self._readers = 0
        self._state = threading.Condition()
        self._closed = False

    def command(self, sql: str) -> None:
        self._session.query(sql)

    def insert_json_rows(self, table: str, payload: bytes) -> None:
        self._session.query(f"INSERT INTO {table} FORMAT JSONEachRow\n" + payload.decode())

    def query_rows(self, sql: str) -> list[dict]:
        out = self._session.query(sql, "JSONEachRow").bytes()
        return [orjson.loads(line) for line in out.splitlines() if line]

    @contextmanager
    def read_session(self) -> Iterator:
        """A connection of its own to this engine, for one read by another thread (the SQL
        endpoint). One chdb ``Session`` serialises its callers (measured: a 3 s query delayed
        an insert on the same session by 2.8 s), while a second connection runs beside the
        ingest one; its ``SET``s, current database and failed-query leftovers stay on it."""
        from chdb import session

        with self._state:
            if self._closed:
                raise RuntimeError("the embedded ClickHouse is closing")
            self._readers += 1
        try:
            conn = session.Session(str(self.path))
            try:
                yield conn
            finally:
                conn.close()
        finally:
            with self._state:
                self._readers -= 1
                self._state.notify_all()

    def close(self, readers_timeout_s: float = 60.0) -> None:
        with self._state:  # reads are bounded by their max_execution_time
            self._closed = True
            self._state.wait_for(lambda: self._readers == 0, readers_timeout_s)
        try:
            self._session.close()
        finally:
            self._lock.release()


class ServerTransport:
    """A ClickHouse server over HTTP with clickhouse-connect (docker-compose, production)."""

    name = "server"

    def __init__(self, url: str, database: str) -> None:
        import clickhouse_connect

        u = urlparse(url)
        self._client = clickhouse_connect.get_client(
            host=u.hostname or "localhost", port=u.port or 8123,
            username=u.username or "default", password=u.password or "",
            secure=u.scheme == "https", database="default",
        )
        self.database = database

    def command(self, sql: str) -> None:
        self._client.command(sql)

    def insert_json_rows(self, table: str, payload: bytes) -> None:
        self._client.raw_insert(table, insert_block=payload, fmt="JSONEachRow")

    def query_rows(self, sql: str) -> list[dict]:
        result = self._client.query(sql)
        return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]

    def close(self) -> None:
        self._client.close()
