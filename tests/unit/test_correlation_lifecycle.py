"""Updates, closing, state TTLs, late evidence, snapshot/restore and partitions of the
correlation processor."""

from __future__ import annotations

from processors.correlation.tenant import EXPIRE_S, SITE_TTL_S
from tests.unit.test_correlation_processor import (
    M,
    feed,
    incident,
    latest,
    processor,
    spike,
    ticket,
    ts,
)


def wall(proc, start: float, end: float, step: float = 10.0) -> list:
    """The stage's timer on a live wall clock, every ``step`` minutes from ``start`` to ``end``."""
    out, minute = [], start
    while minute <= end:
        out += proc.on_timer(ts(minute))
        minute += step
    return out


def test_updates_are_throttled_and_versions_count_up() -> None:
    proc = processor(update_s=60.0)
    out = feed(proc, [incident(0), ticket(1, urgent=True), ticket(1.2, "T-2"),
                      ticket(1.4, "T-3")])
    assert [e.data.version for e in out] == [1]  # T-2 and T-3 wait for update_s
    # a minute on, the clock's timers send what waited; T-4 itself waits for the next
    [ev] = feed(proc, [ticket(2.5, "T-4")])
    assert (ev.data.version, ev.data.state) == (2, "updated")
    assert ev.id == f"acme|{ev.data.correlation_id}:2"
    assert sorted(ev.data.ticket_ids) == ["T-1", "T-2", "T-3"]
    [ev] = wall(proc, 3, 4, step=1)
    assert ev.data.version == 3 and "T-4" in ev.data.ticket_ids


def test_it_closes_once_its_incidents_resolved_and_nothing_new_came_for_quiet_s() -> None:
    proc = processor(quiet_s=30 * M)
    feed(proc, [incident(0), ticket(2, urgent=True), ticket(20, "T-2"),
                incident(0, version=2, state="resolved", last=25)])
    assert all(e.data.state != "resolved" for e in wall(proc, 30, 54, step=1))
    out = wall(proc, 55, 56, step=1)  # 30 min after the resolve (25) and the last ticket
    [ev] = [e for e in out if e.data.state == "resolved"]
    assert sorted(ev.data.ticket_ids) == ["T-1", "T-2"] and ev.data.incident_ids == ["inc-1"]
    assert proc.sizes()["correlations"] == 0
    # a later text of a ticket of the closed correlation is ignored, not made news again
    assert feed(proc, [ticket(52, seq=1, urgent=True)]) == []
    assert proc.sizes()["tickets"] == 0


def test_an_open_incident_keeps_it_open_and_new_evidence_pushes_closing_back() -> None:
    proc = processor(quiet_s=30 * M)
    feed(proc, [incident(0), ticket(2, urgent=True)])
    assert not [e for e in wall(proc, 10, 120) if e.data.state == "resolved"]
    feed(proc, [incident(0, version=2, state="resolved", last=121), ticket(140, "T-2")])
    assert not [e for e in wall(proc, 141, 165, step=1) if e.data.state == "resolved"]
    assert [e for e in wall(proc, 166, 171, step=1) if e.data.state == "resolved"]


def test_a_correlation_whose_incident_never_resolves_closes_after_max_open_s() -> None:
    proc = processor(max_open_s=4 * 3600.0)
    feed(proc, [incident(0), ticket(2, urgent=True)])
    assert not wall(proc, 10, 3.9 * 60)
    assert [e.data.state for e in wall(proc, 3.9 * 60, 4.1 * 60)] == ["resolved"]


def test_held_tickets_and_spikes_are_forgotten_after_hold_s() -> None:
    proc = processor(hold_s=3600.0)
    feed(proc, [ticket(0, urgent=True),
                spike(5, "acme|par1|payroll|1", topic="payroll", state="resolved")])
    assert proc.sizes()["tickets"] == 1 and proc.sizes()["spikes"] == 1
    proc.on_timer(ts(59))
    assert proc.sizes()["tickets"] == 1
    proc.on_timer(ts(61 + EXPIRE_S / M))
    assert proc.sizes()["tickets"] == 0 and proc.sizes()["spikes"] == 0
    # the incident arriving now finds nothing to join
    assert feed(proc, [incident(70)]) == []


def test_a_quiet_tenant_is_forgotten_entirely_and_tombstoned() -> None:
    proc = processor()
    feed(proc, [incident(0), ticket(2, urgent=True),
                incident(0, version=2, state="resolved", last=3)])
    proc.snapshot()
    wall(proc, 10, SITE_TTL_S / M + 120, step=30)
    assert len(proc) == 0
    assert proc.snapshot() == {"acme": (0, None)}


def test_late_evidence_beyond_the_reorder_tolerance_still_joins() -> None:
    proc = processor(reorder_s=120.0)
    # the incidents topic is far behind: tickets up to minute 30 were taken long ago
    feed(proc, [ticket(2, urgent=True), ticket(30, "T-9", subject="Printer jam",
                                                 excerpt="printer broken")])
    out = feed(proc, [incident(0)])
    out += proc.on_timer(ts(31))
    assert proc.late >= 1
    d = latest(out).popitem()[1].data
    assert d.ticket_ids == ["T-1"] and d.incident_ids == ["inc-1"]


def test_within_the_tolerance_a_ticket_ahead_of_its_incident_waits_for_it() -> None:
    proc = processor(reorder_s=120.0)
    assert feed(proc, [ticket(4, urgent=True)]) == []  # taken only when 2 min have passed
    out = feed(proc, [incident(0), spike(7, "acme|par1|payroll|1", topic="payroll")])
    [ev] = out
    # taken in event-time order: the incident first, the ticket after it
    assert "4 min after the first alert" in ev.data.evidence[-1].why
    assert proc.late == 0


def test_snapshot_and_restore_continue_exactly() -> None:
    first = [incident(0), ticket(-3, "T-0", urgent=True), ticket(2, urgent=True),
             spike(4)]
    rest = [ticket(9, "T-2"), incident(0, version=2, state="resolved", last=12),
            ticket(15, "T-3", sentiment="neutral", subject="VPN slow")]

    straight = processor(reorder_s=120.0)
    expected = feed(straight, first + rest) + straight.on_timer(ts(80))

    before = processor(reorder_s=120.0)
    got = feed(before, first)
    blobs = before.snapshot()
    assert set(blobs) == {"acme"} and blobs["acme"][0] == 0
    after = processor(reorder_s=120.0)
    for key, (partition, blob) in blobs.items():
        after.restore(key, blob, partition)
    assert len(after) == 1 and after.sizes() == before.sizes()
    got += feed(after, rest) + after.on_timer(ts(80))
    assert [(e.id, e.data) for e in got] == [(e.id, e.data) for e in expected]


def test_restore_of_a_tombstone_and_of_another_release_start_empty() -> None:
    proc = processor()
    feed(proc, [incident(0), ticket(2, urgent=True)])
    blob = proc.snapshot()["acme"][1]
    proc.restore("acme", None, 0)
    assert len(proc) == 0
    import pickle

    proc.restore("acme", pickle.dumps((0, "old shape")), 0)
    assert len(proc) == 0 and proc.stale_restored == 1
    proc.restore("acme", blob, 1)
    assert len(proc) == 1 and proc.tenants["acme"].s.partition == 1


def test_partitions_taken_away_drop_their_tenants_only() -> None:
    proc = processor()
    feed(proc, [incident(0), ticket(2, urgent=True)], partition=0)
    feed(proc, [incident(0, tenant="globex"), ticket(2, "G-1", tenant="globex", urgent=True)],
         partition=1)
    proc.snapshot()
    proc.drop_partitions({1})
    assert set(proc.tenants) == {"acme"}
    assert proc.snapshot() == {}  # another worker owns globex now: no tombstone from us
