"""ClickHouse sink with two transports: embedded chdb (default) and a server."""

from connectors.clickhouse.lock import DatabaseLocked
from connectors.clickhouse.sink import ClickHouseSink, open_clickhouse
from connectors.clickhouse.transport import ChdbTransport, ServerTransport, Transport

__all__ = [
    "ChdbTransport",
    "ClickHouseSink",
    "DatabaseLocked",
    "ServerTransport",
    "Transport",
    "open_clickhouse",
]
