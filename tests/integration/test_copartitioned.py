"""Several inputs with state rest on one promise of the range assignor: every member of a group
gets the same partition numbers of co-partitioned topics. Checked on the real broker, across a
rebalance, with the consumer settings the stages use."""

from __future__ import annotations

import time
import uuid

from connectors.kafka_io import delete_groups, delete_topics, ensure_topics, make_consumer
from schemas.topics import Topic


def _assignment(consumers, timeout_s: float = 60.0) -> list[dict[str, set[int]]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for c in consumers:
            c.poll(0.2)
        got = []
        for c in consumers:
            per: dict[str, set[int]] = {}
            for tp in c.assignment():
                per.setdefault(tp.topic, set()).add(tp.partition)
            got.append(per)
        if sum(len(ps) for per in got for ps in per.values()) == 2 * 4:
            return got
    raise AssertionError(f"no complete assignment within {timeout_s}s: {got}")


def test_range_assignor_keeps_partition_numbers_together(bootstrap: str) -> None:
    prefix = f"cop-{uuid.uuid4().hex[:8]}."
    topics = [Topic(f"{prefix}a", "tenant", 4, 3_600_000), Topic(f"{prefix}b", "tenant", 4,
                                                                  3_600_000)]
    group = f"cop-{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, topics=topics)
    consumers = []
    try:
        for _ in range(2):
            c = make_consumer(bootstrap, group, **{"partition.assignment.strategy": "range"})
            c.subscribe([t.name for t in topics])
            consumers.append(c)
        for members in (consumers, consumers[:1]):  # two members, then one after a rebalance
            if members is not consumers:
                consumers.pop().close()
            got = _assignment(members)
            for per in got:
                assert per.get(topics[0].name, set()) == per.get(topics[1].name, set()), got
            assert sum(len(per.get(topics[0].name, ())) for per in got) == 4
            assert all(per for per in got), f"a member got nothing: {got}"
    finally:
        for c in consumers:
            c.close()
        delete_groups(bootstrap, [group])
        delete_topics(bootstrap, [t.name for t in topics])
