"""Help-center activity per article per minute: views, votes and distinct sessions.

The documented example of a stage (docs/adding-a-processor.md): one module with the processor,
the event it emits and its registration (``STAGE``), one line in ``pipelines/stages.py``, and a
table definition in ``schemas/clickhouse.py``.

Windows are tumbling and in event time. ``help.interactions`` is keyed by tenant (so one
tenant's help traffic meets its tickets in the ``help`` stage), so one article's views arrive on
one partition; the stage still counts per partition and emits one row per window and
partition (id ends in ``/p<partition>``), and analysts ``sum()`` the rows, which stays right if
the key is ever made finer. Sessions never span partitions, so the summed ``sessions`` is
exact. A window closes once its partition's event
time has passed its end by ``lateness_s``, or when nothing reached its partition for
``window_s + lateness_s`` of wall time (a paused stream); interactions later than that are
dropped and counted (``late``, exported as ``aiops_stage_dropped_events``), never folded into
a window that was already written. The watermark is state too, so a restart cannot reopen
a written window either.
"""

from __future__ import annotations

import heapq
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from processors.protocol import Stage
from schemas.clickhouse import envelope_columns
from schemas.envelope import Envelope, NonEmptyStr
from schemas.events import HelpInteractionEvent
from schemas.registry import EventType
from schemas.topics import DAY_MS, Topic

SOURCE = "aiops/help-activity"
Count = Annotated[int, Field(ge=0)]


class HelpActivity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    article_id: NonEmptyStr
    window_start: datetime
    window_s: Annotated[int, Field(gt=0)]
    views: Count = 0
    upvotes: Count = 0
    downvotes: Count = 0
    sessions: Count = 0
    partition: Annotated[int, Field(ge=-1)] = -1


class HelpActivityEvent(Envelope):
    type: Literal["aiops.help-activity"] = "aiops.help-activity"
    data: HelpActivity


class HelpActivitySettings(BaseModel):
    window_s: int = Field(60, gt=0, le=86_400, description="Window length in seconds")
    lateness_s: float = Field(30.0, ge=0, description="How long after its end a window waits "
                              "for late interactions")


@dataclass(slots=True)
class _Window:
    tenant: str
    article: str
    start: float
    partition: int
    views: int = 0
    upvotes: int = 0
    downvotes: int = 0
    sessions: set[str] = field(default_factory=set)


_MARK = "~watermark/p"
"""State key prefix of a partition's watermark (kept so a restart never reopens a window)."""


class HelpActivityProcessor:
    def __init__(self, window_s: int = 60, lateness_s: float = 30.0) -> None:
        self.window_s = window_s
        self.lateness_s = lateness_s
        self.windows: dict[str, _Window] = {}
        self.watermark: dict[int, float] = {}
        """Per partition: its event time, or past it when its windows were closed idle."""
        self.heard: dict[int, float | None] = {}
        """Per partition: wall time of its last event (None: restored, not heard from yet)."""
        self.due: dict[int, list[tuple[float, str]]] = {}
        """Per partition, a heap of (event time a window closes at, key)."""
        self.dirty: set[str] = set()
        self.dirty_marks: set[int] = set()
        self.closed: dict[str, int] = {}  # key -> partition, for the state tombstone
        self.late = 0

    def __len__(self) -> int:
        return len(self.windows)

    @property
    def dropped(self) -> dict[str, int]:
        return {"late": self.late}

    def on_event(self, ev: HelpInteractionEvent, *, partition: int = -1, now: float
                 ) -> list[Envelope]:
        self.heard[partition] = now
        d = ev.data
        if d.kind not in ("article_view", "vote") or not d.article_id:
            return []
        t = d.timestamp.timestamp()
        mark = max(self.watermark.get(partition, t), t)
        if mark != self.watermark.get(partition):
            self.watermark[partition] = mark
            self.dirty_marks.add(partition)
        start = t - t % self.window_s
        if start + self.window_s + self.lateness_s <= mark:
            self.late += 1  # its window is closed (and written): never count it twice
            return []
        # one window per partition: each partition's share is a row of its own
        key = f"{ev.tenant_id}|{d.article_id}|{start:.0f}/p{partition}"
        w = self.windows.get(key)
        if w is None:
            w = self.windows[key] = _Window(ev.tenant_id, d.article_id, start, partition)
            self.closed.pop(key, None)
            self._schedule(w, key)
        if d.kind == "article_view":
            w.views += 1
        elif d.vote == "up":
            w.upvotes += 1
        else:
            w.downvotes += 1
        w.sessions.add(d.session_id)
        self.dirty.add(key)
        heap = self.due.get(partition, [])
        ready = []
        while heap and heap[0][0] <= mark:
            ready.append(heapq.heappop(heap)[1])
        return self._close(ready)

    def on_timer(self, now: float) -> list[Envelope]:
        """A partition nothing reached for a window and the lateness (a paused stream) gets
        all its windows written; its watermark moves past them, so what still comes for them
        is late instead of reopening a written window. A busy partition is never closed on
        the wall clock, however far its event time lags behind."""
        idle = self.window_s + self.lateness_s
        keys: list[str] = []
        for p, heard in list(self.heard.items()):
            if heard is None:
                self.heard[p] = now  # restored: give it its full idle time from now
                continue
            if now - heard < idle:
                continue
            mine = [k for k, w in self.windows.items() if w.partition == p]
            if mine:
                self.watermark[p] = max(self.watermark.get(p, 0.0),
                                        max(self.windows[k].start for k in mine) + idle)
                self.dirty_marks.add(p)
                keys += mine
            self.due.pop(p, None)
        return self._close(keys)

    def _schedule(self, w: _Window, key: str) -> None:
        heapq.heappush(self.due.setdefault(w.partition, []),
                       (w.start + self.window_s + self.lateness_s, key))

    def _close(self, keys: list[str]) -> list[Envelope]:
        out: list[Envelope] = []
        for key in keys:
            w = self.windows.pop(key, None)
            if w is None:
                continue  # closed already (by the wall-clock timer)
            self.dirty.discard(key)
            self.closed[key] = w.partition
            start = datetime.fromtimestamp(w.start, UTC)
            out.append(HelpActivityEvent(
                id=key, source=SOURCE, time=start, tenant_id=w.tenant,
                data=HelpActivity(article_id=w.article, window_start=start,
                                  window_s=self.window_s, views=w.views, upvotes=w.upvotes,
                                  downvotes=w.downvotes, sessions=len(w.sessions),
                                  partition=w.partition)))
        return out

    def snapshot(self) -> dict[str, tuple[int, bytes | None]]:
        snaps: dict[str, tuple[int, bytes | None]] = {
            k: (self.windows[k].partition, pickle.dumps(self.windows[k], protocol=5))
            for k in self.dirty}
        snaps.update({k: (p, None) for k, p in self.closed.items()})
        snaps.update({f"{_MARK}{p}": (p, pickle.dumps(self.watermark[p], protocol=5))
                      for p in self.dirty_marks if p in self.watermark})
        self.dirty.clear()
        self.closed.clear()
        self.dirty_marks.clear()
        return snaps

    def restore(self, key: str, blob: bytes | None, partition: int) -> None:
        self.heard[partition] = None
        if key.startswith(_MARK):
            if blob is not None:
                self.watermark[partition] = max(self.watermark.get(partition, 0.0),
                                                 float(pickle.loads(blob)))
            return
        if blob is None:
            self.windows.pop(key, None)
            return
        w: _Window = pickle.loads(blob)  # our own changelog topic: trusted
        if key not in self.windows:  # older versions of a key come first: schedule it once
            self._schedule(w, key)
        self.windows[key] = w

    def drop_partitions(self, partitions: set[int]) -> None:
        for key in [k for k, w in self.windows.items() if w.partition in partitions]:
            del self.windows[key]
            self.dirty.discard(key)
        for p in partitions:
            for d in (self.watermark, self.due, self.heard):
                d.pop(p, None)
            self.dirty_marks.discard(p)


def activity_row(ev: HelpActivityEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.window_start), "article_id": d.article_id,
            "window_s": d.window_s, "views": d.views, "upvotes": d.upvotes,
            "downvotes": d.downvotes, "sessions": d.sessions, "partition": d.partition}


_EXAMPLE = {"specversion": "1.0", "id": "acme|kb-42|1795521600/p0", "source": SOURCE,
            "type": "aiops.help-activity", "time": "2026-11-23T12:00:00Z", "tenant_id": "acme",
            "data": {"article_id": "kb-42", "window_start": "2026-11-23T12:00:00Z",
                     "window_s": 60, "views": 7, "upvotes": 1, "downvotes": 2, "sessions": 5,
                     "partition": 0}}

STAGE = Stage(
    "help-activity", inputs=("help.interaction",), outputs=("aiops.help-activity",),
    build=lambda s: HelpActivityProcessor(s.window_s, s.lateness_s),
    settings=HelpActivitySettings, state_topic="aiops.help-activity-state",
    timer_interval_s=5.0, description="help-center views and votes per article per minute",
    topics=(Topic("aiops.help-activity", "tenant_id|article_id", 2, 30 * DAY_MS,
                  role="derived", description="Views, votes and sessions per help article "
                  "per window, one record per window and input partition."),
            Topic("aiops.help-activity-state", "tenant_id|article_id|window start/partition", 2,
                  7 * DAY_MS, cleanup_policy="compact", role="state",
                  description="Changelog of open help-activity windows; each record goes to "
                  "the partition of help.interactions it was counted from.")),
    events=(EventType("aiops.help-activity", HelpActivityEvent, "aiops.help-activity",
                      lambda ev: f"{ev.tenant_id}|{ev.data.article_id}", "help_activity",
                      activity_row, example=_EXAMPLE),),
)
