"""Validate raw input records and route them: valid ones to their table, the rest to the DLQ.

Pure: it gets records as plain tuples and returns rows and dead letters, so the runtime can
feed it from any consumer and it is tested without a broker.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from schemas.clickhouse import dlq_row
from schemas.registry import EVENTS, sink_topics, types_on
from schemas.validation import DEFAULT_MAX_EVENT_BYTES, Invalid, parse_event


class Record(NamedTuple):
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    record: Record
    reason_code: str
    error: str
    tenant_id: str = ""

    def headers(self) -> list[tuple[str, bytes]]:
        r = self.record
        return [
            ("aiops.error.code", self.reason_code.encode()),
            ("aiops.error.message", self.error.encode()),
            ("aiops.source.topic", r.topic.encode()),
            ("aiops.source.partition", str(r.partition).encode()),
            ("aiops.source.offset", str(r.offset).encode()),
        ]

    def row(self) -> dict:
        r = self.record
        return dlq_row(topic=r.topic, partition=r.partition, offset=r.offset,
                       timestamp_ms=r.timestamp_ms, raw=r.value, reason_code=self.reason_code,
                       error=self.error, tenant_id=self.tenant_id)


@dataclass(slots=True)
class Routed:
    rows: dict[str, list[dict]] = field(default_factory=dict)
    dead: list[DeadLetter] = field(default_factory=list)
    valid_per_topic: Counter[str] = field(default_factory=Counter)
    invalid_per_topic: Counter[str] = field(default_factory=Counter)

    def sink_batch(self) -> dict[str, list[dict]]:
        """Rows for every table, the DLQ table included."""
        batch = dict(self.rows)
        if self.dead:
            batch["dlq"] = [d.row() for d in self.dead]
        return batch


def route(
    records: list[Record], *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES, topic_prefix: str = ""
) -> Routed:
    out = Routed()
    rows = out.rows
    allowed_on = {t: types_on(t) for t in sink_topics()}
    for rec in records:
        name = rec.topic.removeprefix(topic_prefix)
        allowed = allowed_on.get(name)
        if allowed is None:
            result: object = Invalid("wrong_topic",
                                     f"topic {rec.topic!r} is not a topic the ingest stage reads")
        else:
            result = parse_event(rec.value, allowed_types=allowed, topic=name,
                                 max_bytes=max_event_bytes)
        if isinstance(result, Invalid):
            out.dead.append(DeadLetter(rec, result.code, result.message))
            out.invalid_per_topic[rec.topic] += 1
            continue
        spec = EVENTS[result.type]
        if spec.row is not None:
            rows.setdefault(spec.table, []).append(spec.row(result))
        out.valid_per_topic[rec.topic] += 1
    return out
