"""Event-time alignment of a stage's co-partitioned inputs.

A stage that reads several topics (help: help traffic and ticket insights; correlation:
incidents, insights, spikes) gets each partition of each topic in its own order, at the speed
its producer wrote it. Live, that is close enough; after a backlog (a replay, a demo, a worker
down for an hour) one input may be days ahead of another that an upstream stage is still
writing, and a processor that keeps an event-time clock would decide everything before the
slow input's first record arrives. So, as Kafka Streams does for the partitions of one task,
records are held per partition and handed on in event-time order: the oldest head of any
input goes first, and only while every input has a record waiting, or has been quiet for
``idle_s`` of wall time with nothing left to fetch (an input with no traffic must not stop the
others for ever). Held records are not applied, so their offsets are not committed: a crash
re-reads them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from processors.router import Record

_TIME_ATTRS = ("timestamp", "starts_at", "last_seen", "ended_at")


def order_time(ev: Any) -> float:
    """When an event happened, in unix seconds: what its input is ordered by."""
    data = getattr(ev, "data", None)
    for attr in _TIME_ATTRS:
        value = getattr(data, attr, None)
        if value is not None:
            return value.timestamp()
    start = getattr(data, "window_start", None)
    if start is not None:  # a window is known when it ends
        return start.timestamp() + getattr(data, "window_s", 0)
    return ev.time.timestamp()


class Aligner:
    def __init__(self, topics: list[str], idle_s: float) -> None:
        self.topics = topics
        self.idle_s = idle_s
        self.held: dict[tuple[str, int], deque[tuple[float, Record, Any]]] = {}
        self.arrived: dict[tuple[str, int], float] = {}
        """Wall time a record of each input partition last arrived (or it was assigned)."""

    def __len__(self) -> int:
        return sum(len(q) for q in self.held.values())

    def holds(self, topic: str, partition: int) -> bool:
        return bool(self.held.get((topic, partition)))

    def assigned(self, partitions: set[int], now: float) -> None:
        for p in partitions:
            for t in self.topics:
                self.arrived.setdefault((t, p), now)

    def drop(self, partitions: set[int]) -> None:
        for key in [k for k in set(self.held) | set(self.arrived) if k[1] in partitions]:
            self.held.pop(key, None)
            self.arrived.pop(key, None)

    def add(self, items: list[tuple[Record, Any]], now: float) -> None:
        for r, ev in items:
            key = (r.topic, r.partition)
            t = order_time(ev) if ev is not None else float("-inf")
            self.held.setdefault(key, deque()).append((t, r, ev))
            self.arrived[key] = now

    def release(self, now: float, backlog: Callable[[str, int], bool]) -> list[tuple[Record, Any]]:
        """What may be applied now, in event-time order per partition. ``backlog(topic,
        partition)``: the consumer has more of that input to fetch (so it is not idle)."""
        out: list[tuple[Record, Any]] = []
        for p in sorted({p for _t, p in self.held}):
            queues = {t: self.held.get((t, p)) for t in self.topics}
            waiting = [t for t, q in queues.items() if not q]
            if any(not self._idle(t, p, now, backlog) for t in waiting):
                continue
            while True:
                heads = [(q[0][0], t) for t, q in queues.items() if q]
                if not heads:
                    break
                _, t = min(heads)
                q = queues[t]
                assert q is not None
                _time, r, ev = q.popleft()
                out.append((r, ev))
                if not q and not self._idle(t, p, now, backlog):
                    break  # that input may bring older records still: wait for it
        return out

    def _idle(self, topic: str, partition: int, now: float,
              backlog: Callable[[str, int], bool]) -> bool:
        quiet = now - self.arrived.get((topic, partition), now) >= self.idle_s
        return quiet and not backlog(topic, partition)
