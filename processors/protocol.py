"""The one shape of a stateful stream processor, and the registration that makes it a stage.

A processor is plain Python (no Kafka, Faust or ClickHouse). The generic stage
(``pipelines/stage.py``) consumes its input topics in batches and calls, in this order:

- ``restore(key, blob, partition)`` for every state record of a partition it was just given,
  before any event of that partition (``blob`` None: the key was deleted);
- ``on_event(event, partition=, now=)`` for every valid input event, in partition order;
  ``now`` is the wall clock, event time is in the event: keep your own clock from it when
  results must not depend on how fast a replay runs;
- ``on_timer(now)`` every ``Stage.timer_interval_s`` (wall clock), busy or idle: TTLs and
  wall-clock timers; ``on_idle(now)`` after a batch window that brought nothing;
- ``snapshot()`` after each batch and timer: the state of every key changed since the last
  call, as ``{key: (partition, blob or None)}`` (None = deleted);
- ``drop_partitions(partitions)`` when partitions were taken away (another worker owns them);
- ``on_side(event, now=)`` for every record of the stage's ``side_inputs``: small global
  topics every worker reads whole and keeps following (silences, say), all of them read before
  the first input event. Side input is not part of the transaction: it is what the worker
  knows now, as a Kafka Streams global table is.

The stage writes what these return, the snapshot (to the stage's compacted state topic, to the
partition its input came from) and the input offsets in one Kafka transaction: state and
offsets always agree, so a processor needs no offset bookkeeping of its own and a crash never
applies an event twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from schemas.clickhouse import Table
from schemas.envelope import Envelope
from schemas.registry import EventType
from schemas.topics import Topic

Snapshot = dict[str, tuple[int, bytes | None]]


@runtime_checkable
class Processor(Protocol):
    def on_event(self, event: Any, *, partition: int, now: float) -> list[Envelope]: ...

    def on_timer(self, now: float) -> list[Envelope]: ...

    def snapshot(self) -> Snapshot: ...

    def restore(self, key: str, blob: bytes | None, partition: int) -> None: ...

    def drop_partitions(self, partitions: set[int]) -> None: ...

    def __len__(self) -> int:
        """Keys of state held now (exported as a gauge)."""
        ...


class StatelessProcessor:
    """Base for processors that keep no state (or only state they can lose)."""

    def on_timer(self, now: float) -> list[Envelope]:
        return []

    def snapshot(self) -> Snapshot:
        return {}

    def restore(self, key: str, blob: bytes | None, partition: int) -> None:
        return None

    def drop_partitions(self, partitions: set[int]) -> None:
        return None

    def __len__(self) -> int:
        return 0


@dataclass(frozen=True)
class Stage:
    """A processor's registration: everything the runtime needs to host it.

    ``name`` is the stage name on the command line (``aiops worker --stages NAME``) and its
    settings prefix (``AIOPS_<NAME>_``, dashes as underscores). ``settings`` is the model of
    its own settings (pydantic; ``enabled``, ``group_id``, ``batch_max_events`` and
    ``batch_max_wait_s`` are added for every stage) and ``build`` makes the processor from
    them. A stage that adds event types, topics or tables declares them here; they are
    registered when the stage is (``pipelines/stages.py``).
    """

    name: str
    inputs: tuple[str, ...]
    """Event types it consumes; the stage subscribes to the topics that carry them."""
    outputs: tuple[str, ...]
    """Event types it may emit; anything else is refused with a clear error."""
    build: Callable[[Any], Processor]
    settings: type[BaseModel] | None = None
    state_topic: str | None = None
    """Compacted topic of its state snapshots, co-partitioned with its input topic."""
    timer_interval_s: float = 30.0
    description: str = ""
    topics: tuple[Topic, ...] = ()
    tables: tuple[Table, ...] = ()
    events: tuple[EventType, ...] = ()
    side_inputs: tuple[str, ...] = ()
    """Event types every worker of the stage reads whole (``on_side``), not partitioned."""
    observe: Callable[[Any, Any], None] | None = None
    """``observe(processor, metrics)`` after each batch: stage-specific gauges."""
    align_idle_s: float = 5.0
    """Several inputs: records are handed on in event-time order per partition, and an input
    with nothing waiting holds the others back until it has been quiet this long (wall time)
    with nothing left to fetch (``pipelines/align.py``). 0: no alignment (a stage that keeps
    a wall-clock rhythm, such as notify)."""
