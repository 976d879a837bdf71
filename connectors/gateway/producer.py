"""Await Kafka's acknowledgement of a whole request without awaiting each record.

confluent-kafka calls delivery callbacks from ``poll()``; a small thread polls and hands each
result back to the event loop, where the request's future completes when its last record is
acknowledged (or fails at the first error).
"""

from __future__ import annotations

import asyncio
import threading

from confluent_kafka import Producer


class DeliveryFailed(RuntimeError):
    pass


class AckingProducer:
    def __init__(self, producer: Producer) -> None:
        self.producer = producer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="gateway-producer-poll",
                                        daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.producer.poll(0.05)

    async def send(self, records: list[tuple[str, bytes, bytes]], timeout_s: float) -> None:
        """Produce (topic, key, value) records; returns once Kafka acknowledged all of them."""
        if not records:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        pending = [len(records)]

        def settle(err) -> None:
            if done.done():
                return
            if err is not None:
                done.set_exception(DeliveryFailed(str(err)))
                return
            pending[0] -= 1
            if pending[0] == 0:
                done.set_result(None)

        def on_delivery(err, _msg) -> None:
            loop.call_soon_threadsafe(settle, err)

        for topic, key, value in records:
            while True:
                try:
                    self.producer.produce(topic, value, key=key, on_delivery=on_delivery)
                    break
                except BufferError:
                    await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(done, timeout_s)
        except TimeoutError:
            raise DeliveryFailed(f"Kafka did not acknowledge within {timeout_s:g}s") from None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.producer.flush(10)
