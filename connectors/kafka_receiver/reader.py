"""Reading one receiver's notifications from ``aiops.notifications``, at least once.

A receiver of ``type: kafka`` needs no delivery loop: the notify stage's transaction makes
each notification durable on the topic, addressed to the receiver by name. A downstream
system reads it in its own consumer group and keeps the records whose ``receiver`` is its
own; offsets are committed only for what the caller has taken (the batch before the one it
asks for next), so a crash re-reads, and ``dedup_key`` tells a re-read apart.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from confluent_kafka import KafkaException

from connectors.kafka_io import make_consumer
from schemas.notify import NotificationEvent


def follow(bootstrap: str, topic: str, receiver: str, group_id: str, *,
           stop: threading.Event | None = None, poll_s: float = 0.5,
           from_beginning: bool = True) -> Iterator[NotificationEvent]:
    """Notifications for ``receiver``, in partition order, until ``stop`` is set."""
    stop = stop or threading.Event()
    consumer = make_consumer(bootstrap, group_id, **{
        "auto.offset.reset": "earliest" if from_beginning else "latest",
        "isolation.level": "read_committed"})
    consumer.subscribe([topic])
    taken = False
    try:
        while not stop.is_set():
            if taken:
                consumer.commit(asynchronous=False)
                taken = False
            msgs = consumer.consume(500, timeout=poll_s)
            for m in msgs:
                err = m.error()
                if err is not None:
                    if err.fatal():
                        raise KafkaException(err)
                    continue  # end of partition, or a transient error the client retries
                consumer.store_offsets(m)
                taken = True
                try:
                    ev = NotificationEvent.model_validate_json(m.value())
                except ValueError:
                    continue  # not a notification of this version: not ours to read
                if ev.data.receiver == receiver:
                    yield ev
    finally:
        if taken:
            with contextlib.suppress(KafkaException):  # closing: a re-read is allowed
                consumer.commit(asynchronous=False)
        consumer.close()
