"""Await Kafka's acknowledgement of a whole request without awaiting each record.

confluent-kafka calls delivery callbacks from ``poll()``; a small thread polls and hands each
result back to the event loop, where the request's future completes when its last record is
acknowledged, or fails at the first error. Every failure (a full queue, a record Kafka refuses at
``produce()``, a delivery error, no acknowledgement in time) is one ``DeliveryFailed``, which
the gateway answers 503: the client retries and stable event ids make the retry safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from confluent_kafka import KafkaException, Producer


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
        """Produce (topic, key, value) records; returns once Kafka acknowledged all of them
        within ``timeout_s`` (queueing included), else raises ``DeliveryFailed``."""
        if not records:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        done: asyncio.Future[None] = loop.create_future()
        pending = [len(records)]

        def settle(err) -> None:
            if done.done():
                return
            if err is not None:
                done.set_exception(DeliveryFailed(f"Kafka refused a record: {err.str()}"))
                return
            pending[0] -= 1
            if pending[0] == 0:
                done.set_result(None)

        def on_delivery(err, _msg) -> None:
            with contextlib.suppress(RuntimeError):  # a closed loop (shutdown) awaits nothing
                loop.call_soon_threadsafe(settle, err)

        for n, (topic, key, value) in enumerate(records):
            while True:
                try:
                    self.producer.produce(topic, value, key=key, on_delivery=on_delivery)
                    break
                except BufferError:
                    if loop.time() >= deadline:
                        self._abandon(done)
                        raise DeliveryFailed(f"the producer queue stayed full; {n} of "
                                             f"{len(records)} records were queued") from None
                    await asyncio.sleep(0.01)
                except KafkaException as exc:
                    self._abandon(done)
                    raise DeliveryFailed(f"Kafka refused record {n}: {exc.args[0].str()}"
                                         ) from None
        try:
            await asyncio.wait_for(done, max(deadline - loop.time(), 0.001))
        except TimeoutError:
            raise DeliveryFailed(f"Kafka did not acknowledge within {timeout_s:g}s") from None

    @staticmethod
    def _abandon(done: asyncio.Future[None]) -> None:
        if not done.done():
            done.cancel()  # late callbacks of the records already queued find it done

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.producer.flush(10)
