"""The same inputs give the same correlated incidents however the three input topics
interleave, as long as no topic runs more than ``reorder_s`` behind another."""

from __future__ import annotations

import random

import pytest

from processors.correlation.processor import order_key
from tests.unit.test_correlation_processor import (
    incident,
    processor,
    spike,
    ticket,
    ts,
)

REORDER_S = 120.0
SPIKE_DELAY_S = 300.0
"""The help stage writes a spike this long after its window: it arrives that late."""


def topics() -> dict[str, list]:
    """Two tenants with the same site name, an outage each, and unrelated tickets; each topic
    in its own event-time order."""
    incidents, tickets, spikes = [], [], []
    for tenant, site, service, alert, word in (
            ("acme", "par1", "vpn-gw", "VpnTunnelDown", "VPN"),
            ("globex", "par1", "exchange", "SmtpQueueBacklog", "Outlook")):
        incidents += [incident(10, tenant=tenant, site=site, service=service, alert=alert),
                      incident(10, tenant=tenant, version=2, site=site, service=service,
                               alert=alert, last=14),
                      incident(10, tenant=tenant, version=3, state="resolved", site=site,
                               service=service, alert=alert, last=40)]
        tickets += [ticket(m, f"{tenant}-{i}", tenant=tenant, site=site if i % 3 else None,
                           subject=f"{word} not working", urgent=i % 2 == 0)
                    for i, m in enumerate((8, 11, 12.5, 13, 16, 25, 38))]
        tickets += [ticket(14, f"{tenant}-printer", tenant=tenant, site=site,
                           subject="Printer jammed", urgent=True)]
        spikes += [spike(13, f"{tenant}|{site}|x|1", tenant=tenant, site=site,
                         topic=word.lower()),
                   spike(13, f"{tenant}|{site}|x|1", tenant=tenant, site=site,
                         topic=word.lower(), state="resolved")]
    # plus users reporting wifi at lon1 with no alert
    tickets += [ticket(60 + i, f"w-{i}", site="lon1", subject="Wifi keeps dropping",
                       urgent=i < 2) for i in range(4)]
    key = lambda ev: order_key(ev, SPIKE_DELAY_S)  # noqa: E731
    return {"incidents": sorted(incidents, key=key), "tickets": sorted(tickets, key=key),
            "spikes": sorted(spikes, key=key)}


def run(lags: dict[str, float], seed: int = 0) -> set[tuple]:
    """Each topic delivered ``lags[topic]`` seconds after its events' time (a topic lagging
    behind the others), batches of random size; results as a set of (id, data)."""
    rng = random.Random(seed)
    arrivals = []
    for name, events in topics().items():
        for ev in events:
            arrivals.append((order_key(ev, SPIKE_DELAY_S)[0] + lags.get(name, 0.0), name, ev))
    arrivals.sort(key=lambda a: (a[0], rng.random()))
    proc = processor(reorder_s=REORDER_S, update_s=30.0, spike_delay_s=SPIKE_DELAY_S)
    out = []
    for when, _, ev in arrivals:
        out += proc.on_event(ev, partition=0, now=when)
    end = arrivals[-1][0] + REORDER_S + 1
    for minute in range(0, 240, 5):
        out += proc.on_timer(end + minute * 60.0)
    return {(ev.id, ev.data.model_dump_json()) for ev in out}


def test_a_correlation_per_outage_and_one_reported_by_users() -> None:
    got = run({})
    titles = {data for _, data in got}
    assert any("VPN down at par1" in t for t in titles)
    assert any("Email down at par1" in t for t in titles)
    assert any("reported by users" in t for t in titles)
    assert not any("Printer jammed" in t and '"state":"open"' in t for t in titles)


@pytest.mark.parametrize("lags", [
    {"tickets": 0.0, "incidents": 110.0, "spikes": 60.0},
    {"tickets": 115.0, "incidents": 0.0, "spikes": 30.0},
    {"tickets": 40.0, "incidents": 40.0, "spikes": 119.0},
])
def test_topics_lagging_within_the_tolerance_change_nothing(lags: dict[str, float]) -> None:
    assert run(lags, seed=1) == run({}, seed=2)


def test_random_interleavings_change_nothing() -> None:
    expected = run({})
    rng = random.Random(7)
    for seed in range(5):
        lags = {name: rng.uniform(0, REORDER_S - 1) for name in ("incidents", "tickets",
                                                                 "spikes")}
        assert run(lags, seed=seed) == expected


def test_replay_speed_changes_nothing() -> None:
    """A replay far behind the wall clock (hours) gives what the live run gave."""
    live = run({})
    proc = processor(reorder_s=REORDER_S, update_s=30.0, spike_delay_s=SPIKE_DELAY_S)
    events = sorted((ev for evs in topics().values() for ev in evs),
                    key=lambda ev: order_key(ev, SPIKE_DELAY_S))
    # the replay's wall clock tells nothing about event time: later events close things
    events += [ticket(400, "late-1", tenant=t, site="nyc9", subject="Toner") for t in
               ("acme", "globex")]
    out = []
    for ev in events:
        out += proc.on_event(ev, partition=0, now=ts(24 * 60))  # a day later, all at once
    out += proc.on_idle(ts(24 * 60 + 1))
    replayed = {(ev.id, ev.data.model_dump_json()) for ev in out}
    assert {i for i, _ in replayed} == {i for i, _ in live}
