"""Which tables answer a time range: the coarsest rollup for the whole buckets inside it, finer
levels for the edges, raw rows for what is left.

A range ``[since, until)`` is covered coarsest first: a level answers the whole buckets inside
the range that it still holds (by its retention), and the pieces before and after go to the next
finer level, down to the raw rows. So "the last 30 days" reads 29 days from ``*_1d``, the
hours at both ends from ``*_1h``, the minutes from ``*_1m`` and the seconds from the raw table,
and the answer is the same as from raw rows alone. Where no finer level holds an edge any more
(a year ago, raw rows and minutes are gone) the edge is read from the bucket of the finest level
that holds it, so the range starts up to one such bucket earlier than asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from schemas.clickhouse import TABLES
from schemas.rollups import Rollup


@dataclass(frozen=True, slots=True)
class Segment:
    level: str  # a level suffix ("1d"), a summary table's name, or "raw"
    start: int  # unix seconds
    end: int


@dataclass(frozen=True, slots=True)
class Span:
    level: str
    seconds: int
    kept_since: int | None  # oldest bucket start it still holds; None = everything


def cover(since: int, until: int, levels: Sequence[Span], raw_since: int | None
          ) -> list[Segment]:
    """Segments answering ``[since, until)``; ``levels`` are coarsest first."""

    def holds(span: Span, t: int) -> bool:
        return span.kept_since is None or t >= span.kept_since

    def go(lo: int, hi: int, i: int) -> list[Segment] | None:
        """Segments for [lo, hi) from level i down, or None if they cannot reach back to lo."""
        if lo >= hi:
            return []
        if i == len(levels):
            return [Segment("raw", lo, hi)] if raw_since is None or lo >= raw_since else None
        span, s = levels[i], levels[i].seconds
        a, b = -(-lo // s) * s, hi // s * s
        if span.kept_since is not None:
            a = max(a, -(-span.kept_since // s) * s)
        if a >= b:  # no whole bucket of this level: finer ones, else this level's buckets
            finer = go(lo, hi, i + 1)
            if finer is not None or not holds(span, lo // s * s):
                return finer
            return [Segment(span.level, lo // s * s, -(-hi // s) * s)]
        left = go(lo, a, i + 1)
        if left is None:  # finer levels no longer hold the start: round it down
            if not holds(span, lo // s * s):
                return None
            left = [Segment(span.level, lo // s * s, a)]
        right = go(b, hi, i + 1)
        if right is None:
            right = [Segment(span.level, b, -(-hi // s) * s)]
        return [*left, Segment(span.level, a, b), *right]

    found = go(since, until, 0)
    if found is None:  # older than every level keeps: what is left of the range
        top = levels[0]
        start = -(-(top.kept_since or since) // top.seconds) * top.seconds
        found = go(max(since, start), until, 0) if start < until else []
    out: list[Segment] = []
    for seg in found or []:
        if out and out[-1].level == seg.level and out[-1].end == seg.start:
            out[-1] = Segment(seg.level, out[-1].start, seg.end)
        else:
            out.append(seg)
    return out


def plan(rollup: Rollup, since: int, until: int, now: int, ttl_days: Mapping[str, int],
         use_rollups: bool = True) -> list[Segment]:
    """The segments for one family; ``ttl_days`` as ``ClickHouseSettings.ttl_days``."""
    if not use_rollups:
        return [Segment("raw", since, until)]
    if not rollup.levels:
        return [Segment(rollup.name, since, until)]

    def kept(days: int) -> int | None:
        return now - days * 86400 if days > 0 else None

    spans = [Span(lv.suffix, lv.seconds, kept(ttl_days[lv.suffix]))
             for lv in reversed(rollup.levels)]
    raw_days = ttl_days.get(rollup.source, TABLES[rollup.source].ttl_days)
    return cover(since, until, spans, kept(raw_days))


def literal(t: int) -> str:
    return f"toDateTime64('{datetime.fromtimestamp(t, UTC):%Y-%m-%d %H:%M:%S}', 3, 'UTC')"


def source_sql(rollup: Rollup, database: str, segments: Sequence[Segment],
               tenant: str | None = None) -> str:
    """The rows of ``rollup`` over the segments, as one subquery (UNION ALL of each
    segment's table)."""
    parts = [rollup.read(database, s.level, literal(s.start), literal(s.end), tenant)
             for s in segments]
    if not parts:  # nothing retained: the shape, no rows
        parts = [rollup.read(database, "raw", literal(0), literal(0), tenant)]
    return "(" + " UNION ALL ".join(parts) + ")"
