"""Event-time alignment of co-partitioned inputs (pipelines/align.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from pipelines.align import Aligner, order_time
from processors.router import Record


def ev(t: float):
    return SimpleNamespace(data=SimpleNamespace(timestamp=datetime.fromtimestamp(t, UTC)),
                           time=datetime.fromtimestamp(0, UTC))


def rec(topic: str, offset: int, partition: int = 0) -> Record:
    return Record(topic, partition, offset, 0, None, b"")


def no_backlog(_t: str, _p: int) -> bool:
    return False


def test_inputs_are_merged_in_event_time_order_and_wait_for_a_silent_one() -> None:
    a = Aligner(["help", "insights"], idle_s=5)
    a.assigned({0}, now=0)
    a.add([(rec("help", i), ev(100 + i)) for i in range(5)], now=1)
    # insights has not spoken yet and is not quiet for 5 s: help records wait
    assert a.release(now=2, backlog=no_backlog) == []
    a.add([(rec("insights", 0), ev(102.5))], now=3)
    got = a.release(now=3, backlog=no_backlog)
    # up to the insight, then wait: insights may bring more before help's 103
    assert [(r.topic, r.offset) for r, _ in got] == [("help", 0), ("help", 1), ("help", 2),
                                                     ("insights", 0)]
    assert a.holds("help", 0) and len(a) == 2
    # insights quiet for idle_s and nothing left to fetch: the rest goes
    got = a.release(now=3 + 5, backlog=no_backlog)
    assert [r.offset for r, _ in got] == [3, 4] and len(a) == 0


def test_an_input_with_a_fetch_backlog_is_never_idle() -> None:
    a = Aligner(["a", "b"], idle_s=1)
    a.assigned({0}, now=0)
    a.add([(rec("a", 0), ev(10))], now=0)
    assert a.release(now=100, backlog=lambda t, p: t == "b") == []
    assert len(a.release(now=100, backlog=no_backlog)) == 1


def test_partitions_are_independent_and_dropped_on_revoke() -> None:
    a = Aligner(["a", "b"], idle_s=1)
    a.assigned({0, 1}, now=0)
    a.add([(rec("a", 0, 0), ev(5)), (rec("a", 0, 1), ev(5)), (rec("b", 0, 1), ev(1))], now=0.5)
    got = a.release(now=0.5, backlog=no_backlog)
    assert [(r.topic, r.partition) for r, _ in got] == [("b", 1)]  # b may bring more first
    a.drop({0})
    assert [(r.topic, r.partition) for r, _ in a.release(now=2, backlog=no_backlog)] == [
        ("a", 1)]
    assert len(a) == 0 and not a.holds("a", 0)


def test_order_time_reads_the_event_own_time() -> None:
    window = SimpleNamespace(data=SimpleNamespace(window_start=datetime.fromtimestamp(600, UTC),
                                                  window_s=300), time=None)
    assert order_time(window) == 900  # a window is known when it ends
    assert order_time(ev(42)) == 42
