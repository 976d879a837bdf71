"""confluent-kafka clients with our defaults, and topic creation from the topic table."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from schemas.topics import TOPICS, Topic

log = logging.getLogger(__name__)


class KafkaUnavailable(RuntimeError):
    pass


def admin(bootstrap: str) -> AdminClient:
    # log_level 4: keep librdkafka's informational chatter (queue purges at close) quiet
    return AdminClient({"bootstrap.servers": bootstrap, "log_level": 4})


def check_broker(bootstrap: str, timeout_s: float = 10.0) -> None:
    """Fail fast with advice instead of librdkafka's endless reconnect logging."""
    try:
        admin(bootstrap).list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(
            f"no Kafka broker answers at {bootstrap} ({exc.args[0]}). Start the local one with "
            "`aiops services up` (or `make services`), or set AIOPS_KAFKA_BOOTSTRAP."
        ) from None


def ensure_topics(bootstrap: str, prefix: str = "", topics: Iterable[Topic] = TOPICS,
                  timeout_s: float = 30.0) -> list[str]:
    """Create missing topics from the table; returns the names it created."""
    client = admin(bootstrap)
    existing = set(client.list_topics(timeout=timeout_s).topics)
    wanted = [
        NewTopic(prefix + t.name, num_partitions=t.partitions, replication_factor=1,
                 config=t.kafka_config())
        for t in topics
        if prefix + t.name not in existing
    ]
    if not wanted:
        return []
    created = []
    for name, future in client.create_topics(wanted, operation_timeout=timeout_s).items():
        try:
            future.result()
            created.append(name)
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
    return created


def delete_topics(bootstrap: str, names: list[str], timeout_s: float = 30.0) -> None:
    client = admin(bootstrap)  # keep a reference: the futures die with the client
    for future in client.delete_topics(names, operation_timeout=timeout_s).values():
        try:
            future.result()
        except KafkaException as exc:
            log.warning("could not delete topic: %s", exc)


def delete_groups(bootstrap: str, names: list[str], timeout_s: float = 30.0,
                  settle_s: float = 5.0) -> None:
    """Best effort: consumer groups of a finished run (demo, test, benchmark) go with it. A
    group whose members are still leaving is retried for ``settle_s``."""
    client = admin(bootstrap)
    existing = {g.group_id for g in client.list_consumer_groups(
        request_timeout=timeout_s).result(timeout_s).valid}
    todo = [n for n in dict.fromkeys(names) if n in existing]  # a duplicate fails the call
    deadline = time.monotonic() + settle_s
    while todo:
        failed = []
        for name, future in client.delete_consumer_groups(
                todo, request_timeout=timeout_s).items():
            try:
                future.result()
            except KafkaException as exc:
                failed.append((name, exc))
        todo = [name for name, _ in failed]
        if not todo or time.monotonic() > deadline:
            for name, exc in failed:
                log.warning("could not delete consumer group %s: %s", name, exc)
            return
        time.sleep(0.5)


def make_producer(bootstrap: str, **overrides: object) -> Producer:
    """Idempotent, acks=all producer that batches (linger) instead of awaiting each send."""
    conf: dict[str, object] = {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "batch.size": 1_000_000,
        "compression.type": "lz4",
        "queue.buffering.max.messages": 500_000,
    }
    conf.update(overrides)
    return Producer(conf)


def make_consumer(bootstrap: str, group_id: str, **overrides: object) -> Consumer:
    """Manual-commit consumer: offsets move only after the sink says a batch is durable."""
    conf: dict[str, object] = {
        "bootstrap.servers": bootstrap,
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "fetch.min.bytes": 1,
        "fetch.wait.max.ms": 100,
        "max.partition.fetch.bytes": 4 * 1024 * 1024,
        "partition.assignment.strategy": "cooperative-sticky",
        "session.timeout.ms": 30_000,
        "max.poll.interval.ms": 300_000,
    }
    conf.update(overrides)
    return Consumer(conf)


def end_offsets(bootstrap: str, topics: Iterable[str], timeout_s: float = 10.0
                ) -> dict[tuple[str, int], int]:
    """High watermark of every partition of ``topics``."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "aiops-offset-probe",
                  "log_level": 4})
    try:
        meta = c.list_topics(timeout=timeout_s).topics
        out = {}
        for t in topics:
            if t not in meta:
                raise KeyError(f"topic {t!r} does not exist (run `aiops topics create`)")
            for p in meta[t].partitions:
                _lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=timeout_s)
                out[(t, p)] = hi
        return out
    finally:
        c.close()


def committed_offsets(bootstrap: str, group_id: str, partitions: Iterable[tuple[str, int]],
                      timeout_s: float = 10.0) -> dict[tuple[str, int], int]:
    """The group's committed offset per partition (0 where it has none yet)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group_id,
                  "enable.auto.commit": False, "log_level": 4})
    try:
        tps = [TopicPartition(t, p) for t, p in partitions]
        return {(tp.topic, tp.partition): max(tp.offset, 0)
                for tp in c.committed(tps, timeout=timeout_s)}
    finally:
        c.close()


def read_to_end(bootstrap: str, topic: str, partitions: Iterable[int], group_id: str,
                batch: int = 5_000) -> Iterator[tuple[bytes, bytes | None, int]]:
    """Every committed (key, value, partition) of ``partitions``, from the start to the end
    they had when called: how a stage reads its state changelog back (value None = deleted).
    Records of transactions not committed are never seen (read_committed)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group_id,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "isolation.level": "read_committed", "enable.partition.eof": True,
                  "log_level": 4})
    try:
        ends = {}
        for p in partitions:
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if hi > lo:
                ends[p] = hi
        # OFFSET_BEGINNING, not 0: compaction may have removed the first offsets
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        done: set[int] = set()
        while len(done) < len(ends):
            for m in c.consume(batch, timeout=1.0):
                err = m.error()
                if err is not None:
                    # the end may be a transaction marker, which is never delivered: EOF says
                    # the partition has nothing more to give (up to its last stable offset)
                    if err.code() == KafkaError._PARTITION_EOF:
                        done.add(m.partition())
                    continue
                yield m.key(), m.value(), m.partition()
                if m.offset() + 1 >= ends[m.partition()]:
                    done.add(m.partition())
    finally:
        c.close()


def produce_retrying(producer: Producer, topic: str, value: bytes, key: bytes | None = None
                     ) -> None:
    """``produce`` that waits for room when the local queue is full instead of failing."""
    while True:
        try:
            producer.produce(topic, value, key=key)
            return
        except BufferError:
            producer.poll(0.01)


class TopicFollower:
    """Reads every partition of a topic from the start and keeps following it, in no consumer
    group (nothing committed, nothing left behind): how every worker sees a small, global
    topic such as ``aiops.silences`` whole. ``catch_up()`` returns once it has read up to the
    end the topic had when called; ``poll()`` returns what arrived since, without waiting."""

    def __init__(self, bootstrap: str, topic: str, client_id: str) -> None:
        self.topic = topic
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": client_id,
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "isolation.level": "read_committed", "enable.partition.eof": True,
            "log_level": 4})
        md = self.consumer.list_topics(topic, timeout=10).topics.get(topic)
        if md is None or md.error is not None or not md.partitions:
            self.consumer.close()
            raise KafkaUnavailable(f"topic {topic!r} not found (create the topics first: "
                                   "`aiops topics create`)")
        self.partitions = sorted(md.partitions)
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                              for p in self.partitions])

    def catch_up(self, timeout_s: float = 30.0) -> list[tuple[bytes | None, bytes | None]]:
        out: list[tuple[bytes | None, bytes | None]] = []
        ends = {}
        for p in self.partitions:
            lo, hi = self.consumer.get_watermark_offsets(TopicPartition(self.topic, p),
                                                         timeout=10)
            if hi > lo:
                ends[p] = hi
        done: set[int] = set()
        deadline = time.monotonic() + timeout_s
        while len(done) < len(ends):
            if time.monotonic() > deadline:
                raise KafkaUnavailable(f"could not read {self.topic!r} to its end in "
                                       f"{timeout_s:.0f} s")
            for m in self.consumer.consume(1_000, timeout=0.5):
                err = m.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        done.add(m.partition())
                    continue
                out.append((m.key(), m.value()))
                if m.offset() + 1 >= ends.get(m.partition(), 0):
                    done.add(m.partition())
        return out

    def poll(self) -> list[tuple[bytes | None, bytes | None]]:
        out: list[tuple[bytes | None, bytes | None]] = []
        for m in self.consumer.consume(1_000, timeout=0):
            if m.error() is None:
                out.append((m.key(), m.value()))
        return out

    def close(self) -> None:
        self.consumer.close()
