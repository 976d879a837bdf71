"""What several benchmarks measure the same way."""

from __future__ import annotations

from connectors.clickhouse import ClickHouseSink


def delay_stats(sink: ClickHouseSink, table: str) -> dict[str, int]:
    """Rows, the last row's ``ingested_at`` (ms), and p50/p99 of ``ingested_at - event_time``
    (ms): the delay from an event's emission (stamped just before produce) to its durable row."""
    row = sink.query(
        "SELECT count() AS rows, toUnixTimestamp64Milli(max(ingested_at)) AS last_ms, "
        "quantileExact(0.5)(dateDiff('millisecond', event_time, ingested_at)) AS p50, "
        "quantileExact(0.99)(dateDiff('millisecond', event_time, ingested_at)) AS p99 "
        f"FROM {sink.database}.{table} FINAL")[0]
    return {k: int(v) for k, v in row.items()}
