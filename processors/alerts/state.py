"""A tiny typed keyed state where every key has a TTL (STYLE.md item 3).

Keys that go quiet must not grow memory without bound (quix-streams #1118), so ``set`` always
gives an expiry. Time is explicit (seconds as floats): the processor passes the clock it was
given, which keeps replays and tests deterministic. Expiry is lazy on ``get`` and batched in
``expire``, which returns what expired so the owner can react (e.g. close an incident).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLState(Generic[K, V]):
    """In-memory keyed state; a durable backend would keep the same five methods."""

    __slots__ = ("_data", "_heap", "_seq", "default_ttl")

    def __init__(self, default_ttl: float) -> None:
        if default_ttl <= 0:
            raise ValueError("default_ttl must be > 0 seconds")
        self.default_ttl = default_ttl
        self._data: dict[K, tuple[V, float]] = {}
        self._heap: list[tuple[float, int, K]] = []
        self._seq = itertools.count()

    def set(self, key: K, value: V, now: float, ttl: float | None = None) -> None:
        """Store ``value``; it expires ``ttl`` (or the default) seconds after ``now``."""
        expires = now + (self.default_ttl if ttl is None else ttl)
        self._data[key] = (value, expires)
        heapq.heappush(self._heap, (expires, next(self._seq), key))
        if len(self._heap) > 4 * len(self._data) + 64:
            self._compact()

    def touch(self, key: K, now: float, ttl: float | None = None) -> None:
        """Push a live key's expiry forward (a repeat keeps it alive)."""
        item = self._data.get(key)
        if item is not None:
            self.set(key, item[0], now, ttl)

    def get(self, key: K, now: float) -> V | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] <= now:
            del self._data[key]
            return None
        return item[0]

    def exists(self, key: K, now: float) -> bool:
        return self.get(key, now) is not None

    def delete(self, key: K) -> None:
        self._data.pop(key, None)

    def expire(self, now: float) -> list[tuple[K, V]]:
        """Drop every key whose expiry is at or before ``now`` and return them."""
        out: list[tuple[K, V]] = []
        heap, data = self._heap, self._data
        while heap and heap[0][0] <= now:
            expires, _, key = heapq.heappop(heap)
            item = data.get(key)
            if item is not None and item[1] == expires:
                del data[key]
                out.append((key, item[0]))
        return out

    def items(self) -> Iterator[tuple[K, V]]:
        """Live and not-yet-collected items (call ``expire`` first for an exact view)."""
        return ((k, v) for k, (v, _) in self._data.items())

    def __len__(self) -> int:
        return len(self._data)

    def _compact(self) -> None:
        self._heap = [(exp, next(self._seq), k) for k, (_, exp) in self._data.items()]
        heapq.heapify(self._heap)
