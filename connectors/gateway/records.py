"""Events -> the exact Kafka records, checked as the worker will check them.

The worker dead-letters a record value over ``AIOPS_INGEST_MAX_EVENT_BYTES`` as ``oversized`` and
re-validates every value it reads. The gateway runs the worker's own check (``parse_event``) on
the very bytes it is about to produce, with the same setting, so what it accepts the worker
stores. Kafka's limit (the producer's ``message.max.bytes``, key and record overhead included) is
checked too: a record over it would fail at produce time, after earlier records were sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.gateway.payloads import PayloadError
from schemas.envelope import Envelope
from schemas.registry import record_key
from schemas.topics import topic_for_type
from schemas.validation import Invalid, parse_event

KAFKA_MESSAGE_MAX_BYTES = 1_000_000
"""librdkafka's default, set explicitly on the gateway's producer so this check matches it."""
RECORD_OVERHEAD_BYTES = 64
"""librdkafka counts ~36 bytes of v2 record framing into message.max.bytes; rounded up."""

Record = tuple[str, bytes, bytes]


def encode(events: Sequence[Envelope], *, topic_prefix: str, max_event_bytes: int,
           kafka_max_bytes: int = KAFKA_MESSAGE_MAX_BYTES) -> list[Record]:
    """(topic, key, value) of every event, or a 413/400 naming the first item that the worker
    or Kafka would refuse; nothing is produced before every item passed."""
    records = []
    for i, ev in enumerate(events):
        value = ev.model_dump_json(by_alias=True).encode()  # 2x faster than orjson of a dump
        key = record_key(ev)
        kafka_room = kafka_max_bytes - RECORD_OVERHEAD_BYTES - len(key)
        if len(value) > min(max_event_bytes, kafka_room):
            if max_event_bytes <= kafka_room:
                limit, name = max_event_bytes, "AIOPS_INGEST_MAX_EVENT_BYTES, the worker's limit"
            else:
                limit, name = kafka_room, (f"Kafka's message.max.bytes of {kafka_max_bytes} "
                                           "less the key and record overhead")
            raise PayloadError(413, f"item {i} is {len(value)} bytes as stored; one event may be "
                               f"at most {limit} bytes ({name}): trim or split it", i,
                               size=len(value), limit=limit)
        topic = topic_for_type(ev.type).name
        checked = parse_event(value, allowed_types=(ev.type,), topic=topic,
                              max_bytes=max_event_bytes)
        if isinstance(checked, Invalid):  # a gap between the gateway's and the worker's checks
            raise PayloadError(400, f"item {i}: the worker would reject it ({checked.code}): "
                               f"{checked.message}", i)
        records.append((topic_prefix + topic, key, value))
    return records
