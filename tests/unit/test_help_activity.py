"""The example processor: views and votes per article per window, by event time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.help_activity import HelpActivityEvent, HelpActivityProcessor
from schemas.events import HelpInteractionEvent

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def hi(sec: float, kind: str = "article_view", *, article: str = "kb-1", session: str = "s-1",
       tenant: str = "acme", vote: str | None = None) -> HelpInteractionEvent:
    data = {"kind": kind, "timestamp": T0 + timedelta(seconds=sec), "session_id": session,
            "article_id": article}
    if kind == "vote":
        data["vote"] = vote
    if kind == "search":
        data = {"kind": "search", "timestamp": T0 + timedelta(seconds=sec),
                "session_id": session, "query": "vpn", "result_count": 0}
    return HelpInteractionEvent(id=f"{tenant}-{sec}-{kind}", source="t", tenant_id=tenant,
                                data=data)


def feed(proc: HelpActivityProcessor, events, partition: int = 0) -> list[HelpActivityEvent]:
    out = []
    for i, e in enumerate(events):
        out += proc.on_event(e, partition=partition, now=1000.0 + i)
    return out


def test_a_window_closes_when_event_time_passes_its_end_plus_lateness() -> None:
    proc = HelpActivityProcessor(window_s=60, lateness_s=30)
    out = feed(proc, [hi(1), hi(2, session="s-2"), hi(3, "vote", vote="up"),
                      hi(4, "vote", vote="down"), hi(5, "search"), hi(70), hi(89)])
    assert out == []  # 89 < 60 + 30: the first window still waits for late views
    [row] = feed(proc, [hi(91)])
    d = row.data
    assert (d.views, d.upvotes, d.downvotes, d.sessions) == (2, 1, 1, 2)
    assert d.window_start == T0 and d.window_s == 60 and row.tenant_id == "acme"
    assert row.id == f"acme|kb-1|{T0.timestamp():.0f}/p0"


def test_late_interactions_are_counted_not_folded_into_a_written_window() -> None:
    proc = HelpActivityProcessor(window_s=60, lateness_s=0)
    [first] = feed(proc, [hi(1), hi(61)])
    assert first.data.views == 1
    assert feed(proc, [hi(2)]) == [] and proc.late == 1
    assert all(w.start >= T0.timestamp() + 60 for w in proc.windows.values())


def test_articles_and_tenants_are_counted_apart() -> None:
    proc = HelpActivityProcessor(window_s=60, lateness_s=0)
    out = feed(proc, [hi(1), hi(2, article="kb-2"), hi(3, tenant="globex"), hi(200)])
    got = sorted((e.tenant_id, e.data.article_id, e.data.views) for e in out)
    assert got == [("acme", "kb-1", 1), ("acme", "kb-2", 1), ("globex", "kb-1", 1)]


def test_a_quiet_partition_is_written_on_the_wall_clock_and_later_views_are_late() -> None:
    proc = HelpActivityProcessor(window_s=60, lateness_s=30)
    feed(proc, [hi(1)])  # heard at wall time 1000
    assert proc.on_timer(now=1000 + 89) == []
    [row] = proc.on_timer(now=1000 + 90)
    assert row.data.views == 1 and len(proc) == 0
    assert feed(proc, [hi(2)]) == [] and proc.dropped == {"late": 1}, "written: never twice"
    # the next window was never opened: its views still count
    feed(proc, [hi(61)])
    assert len(proc) == 1 and proc.late == 1


def test_a_busy_partition_is_never_closed_on_the_wall_clock() -> None:
    """Event time slower than wall time (a lagging or slow replay) drops nothing."""
    proc = HelpActivityProcessor(window_s=60, lateness_s=30)
    for i in range(10):  # one event every 50 s of wall time, 1 s of event time each
        proc.on_event(hi(i, article=f"kb-{i % 2}"), partition=0, now=1000.0 + 50 * i)
        assert proc.on_timer(now=1000.0 + 50 * i + 49) == []
    assert proc.late == 0 and sum(w.views for w in proc.windows.values()) == 10


def test_a_restart_never_reopens_a_written_window() -> None:
    """The watermark is state: after a restore, a view for a window closed idle is late."""
    first = HelpActivityProcessor(window_s=60, lateness_s=30)
    feed(first, [hi(s) for s in range(7)])
    [row] = first.on_timer(now=2000.0)
    assert row.data.views == 7
    second = HelpActivityProcessor(window_s=60, lateness_s=30)
    for key, (partition, blob) in first.snapshot().items():
        second.restore(key, blob, partition)
    assert feed(second, [hi(8)]) == [] and second.late == 1
    assert len(second) == 0


def test_restored_windows_get_their_full_idle_time_after_a_restart() -> None:
    first = HelpActivityProcessor(window_s=60, lateness_s=30)
    feed(first, [hi(1)])
    second = HelpActivityProcessor(window_s=60, lateness_s=30)
    for key, (partition, blob) in first.snapshot().items():
        second.restore(key, blob, partition)
    assert second.on_timer(now=99_999.0) == []  # first timer after the restart starts the clock
    assert second.on_timer(now=99_999.0 + 89) == []
    [row] = second.on_timer(now=99_999.0 + 90)
    assert row.data.views == 1


def test_snapshot_and_restore_continue_exactly() -> None:
    events = [hi(s, session=f"s-{s % 3}") for s in range(0, 200, 7)]
    whole = feed(HelpActivityProcessor(), events)
    first = HelpActivityProcessor()
    part = feed(first, events[:10])
    snaps = first.snapshot()
    assert snaps and all(p == 0 for p, _ in snaps.values())
    second = HelpActivityProcessor()
    for key, (partition, blob) in snaps.items():
        second.restore(key, blob, partition)
    part += feed(second, events[10:])
    strip = [(e.id, e.data) for e in part]
    assert strip == [(e.id, e.data) for e in whole]


def test_closed_windows_leave_tombstones_and_revoked_partitions_are_dropped() -> None:
    proc = HelpActivityProcessor(window_s=60, lateness_s=0)
    feed(proc, [hi(1)])
    proc.snapshot()
    feed(proc, [hi(61)])
    snaps = proc.snapshot()
    assert [v for _p, v in snaps.values()].count(None) == 1
    feed(proc, [hi(62, session="x")], partition=1)
    proc.drop_partitions({1})
    assert {w.partition for w in proc.windows.values()} == {0}


def test_each_partition_counts_its_own_share_of_an_article() -> None:
    proc = HelpActivityProcessor(window_s=60, lateness_s=0)
    feed(proc, [hi(1)], partition=0)
    feed(proc, [hi(2, session="s-2"), hi(3, session="s-3")], partition=1)
    out = feed(proc, [hi(100)], partition=0) + feed(proc, [hi(100)], partition=1)
    got = sorted((e.id, e.data.views) for e in out if e.data.window_start == T0)
    assert got == [(f"acme|kb-1|{T0.timestamp():.0f}/p0", 1),
                   (f"acme|kb-1|{T0.timestamp():.0f}/p1", 2)]
