"""Every way Kafka can fail a request ends as one ``DeliveryFailed`` (the gateway's 503)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from confluent_kafka import KafkaError, KafkaException

from connectors.gateway.producer import AckingProducer, DeliveryFailed

RECORDS = [("t", b"k", b"v%d" % i) for i in range(5)]


class FakeProducer:
    """Acks on ``poll`` like confluent-kafka; ``fail_at`` / ``error`` / ``full`` break it."""

    def __init__(self, *, fail_at: int | None = None, error: KafkaError | None = None,
                 full: bool = False, silent: bool = False) -> None:
        self.fail_at, self.error, self.full, self.silent = fail_at, error, full, silent
        self.produced: list[bytes] = []
        self._callbacks: list = []
        self._lock = threading.Lock()

    def produce(self, topic, value, key=None, on_delivery=None) -> None:
        if self.full:
            raise BufferError("queue full")
        if self.fail_at is not None and len(self.produced) == self.fail_at:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        self.produced.append(value)
        with self._lock:
            self._callbacks.append(on_delivery)

    def poll(self, timeout: float) -> int:
        with self._lock:
            callbacks, self._callbacks = self._callbacks, []
        if not self.silent:
            for cb in callbacks:
                cb(self.error, None)
        threading.Event().wait(min(timeout, 0.01))
        return len(callbacks)

    def flush(self, timeout: float) -> int:
        return 0


def _send(fake: FakeProducer, timeout_s: float = 1.0) -> None:
    p = AckingProducer(fake)  # type: ignore[arg-type]
    try:
        asyncio.run(p.send(RECORDS, timeout_s))
    finally:
        p.close()


def test_all_acknowledged_is_success() -> None:
    fake = FakeProducer()
    _send(fake)
    assert len(fake.produced) == 5


@pytest.mark.parametrize("fake, words", [
    (FakeProducer(fail_at=2), "refused record 2"),  # MSG_SIZE_TOO_LARGE at produce()
    (FakeProducer(error=KafkaError(KafkaError._MSG_TIMED_OUT)), "refused a record"),
    (FakeProducer(full=True), "queue stayed full"),
    (FakeProducer(silent=True), "did not acknowledge within"),
])
def test_every_kafka_failure_is_delivery_failed(fake: FakeProducer, words: str) -> None:
    with pytest.raises(DeliveryFailed, match=words):
        _send(fake, timeout_s=0.5)
