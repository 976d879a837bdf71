"""Silences made at run time (``aiops silence``), as every stage that honours them sees them.

They come from the compacted ``aiops.silences`` topic, which every worker reads whole (a side
input, not partitioned: a silence applies to all of a tenant's partitions). The latest record
of a silence id wins; an expired silence stops muting at once and is forgotten a day later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from schemas.notify import Silence
from schemas.routing import labels_fit

FORGET_AFTER_S = 86_400.0


class SilenceBook:
    def __init__(self) -> None:
        self._by_tenant: dict[str, dict[str, Silence]] = {}

    def put(self, tenant: str, silence: Silence) -> None:
        self._by_tenant.setdefault(tenant, {})[silence.silence_id] = silence

    def active(self, tenant: str, now: float) -> Iterable[Silence]:
        for s in self._by_tenant.get(tenant, {}).values():
            if s.starts_at.timestamp() <= now < s.ends_at.timestamp():
                yield s

    def muting(self, tenant: str, labels: Mapping[str, str | tuple[str, ...]],
               now: float) -> list[str]:
        """Ids of the active silences of ``tenant`` whose matchers all fit ``labels``."""
        return [s.silence_id for s in self.active(tenant, now)
                if labels_fit(s.matchers, labels)]  # type: ignore[arg-type]

    def expire_old(self, now: float) -> None:
        for tenant, book in list(self._by_tenant.items()):
            for sid, s in list(book.items()):
                if s.ends_at.timestamp() + FORGET_AFTER_S < now:
                    del book[sid]
            if not book:
                del self._by_tenant[tenant]

    def __len__(self) -> int:
        return sum(len(b) for b in self._by_tenant.values())
