"""The help processor's results do not depend on how its two inputs interleave, on replay speed
or on a restart; its state is snapshot per key, expires, and moves with its partitions."""

from __future__ import annotations

import random

from schemas.envelope import Envelope
from tests.unit.test_help_fixtures import (
    START,
    Changelog,
    canonical,
    drain,
    hi,
    make,
    run,
    sessions,
    spikes,
    ticket,
)

SITES = ("par1", "lon2", "fra1")


def scenario(seed: int, tenants: tuple[str, ...] = ("acme", "globex")
             ) -> tuple[list[Envelope], list[Envelope]]:
    """Six hours of help traffic and tickets: users who give up and open a ticket (some
    within the deflection window, some not), anonymous visitors, a VPN surge at one site."""
    rng = random.Random(seed)
    help_, tickets = [], []
    for tenant in tenants:
        t, n = 0.0, 0
        while t < 6 * 3600:
            n += 1
            user = f"user{rng.randint(1, 40)}" if rng.random() < 0.8 else None
            surge = 3 * 3600 <= t < 3.5 * 3600 and rng.random() < 0.7
            site = "par1" if surge else rng.choice(SITES)
            query = "vpn not connecting" if surge or rng.random() < 0.3 else rng.choice(
                ("reset password", "printer jam", "invoice copy"))
            sid = f"{tenant}-s{n}"
            s = t
            for _ in range(rng.randint(1, 4)):
                kind = rng.choice(("search", "search", "article_view", "vote", "chat_question"))
                help_.append(hi(s, kind, session=sid, user=user, tenant=tenant, site=site,
                                query=query, results=rng.choice((0, 3)),
                                article=rng.choice(("kb-1", "kb-2"))))
                s += rng.uniform(5, 900)
            if user and rng.random() < 0.4:
                tickets.append(ticket(s + rng.uniform(-600, 2400), f"{tenant}-T{n}",
                                      requester=user.upper(), tenant=tenant,
                                      seq=0 if rng.random() < 0.8 else 1))
            t += rng.expovariate(1 / (15 if 3 * 3600 <= t < 3.5 * 3600 else 150))
    key = lambda e: e.data.timestamp  # noqa: E731
    return sorted(help_, key=key), sorted(tickets, key=key)


def merge(help_: list[Envelope], tickets: list[Envelope], skew: float) -> list[Envelope]:
    """Each topic in its own order; the tickets topic ``skew`` seconds ahead (or behind)."""
    tagged = [(e.data.timestamp.timestamp(), 0, i, e) for i, e in enumerate(help_)]
    tagged += [(e.data.timestamp.timestamp() - skew, 1, i, e) for i, e in enumerate(tickets)]
    return [e for *_, e in sorted(tagged, key=lambda x: x[:3])]


def random_merge(help_: list[Envelope], tickets: list[Envelope], seed: int,
                 bound: float) -> list[Envelope]:
    """A random interleaving in which neither topic runs ``bound`` seconds ahead."""
    rng, queues, out = random.Random(seed), [list(help_), list(tickets)], []
    while any(queues):
        heads = [q[0].data.timestamp.timestamp() if q else float("inf") for q in queues]
        ok = [i for i in (0, 1) if queues[i] and heads[i] <= min(heads) + bound]
        out.append(queues[rng.choice(ok)].pop(0))
    return out


def replay(events: list[Envelope], **settings: float) -> list[Envelope]:
    proc = make(**settings)
    return run(proc, events) + drain(proc)


def test_the_scenario_has_everything_the_other_tests_rely_on() -> None:
    out = replay(merge(*scenario(1), 0))
    outcomes = {s.outcome for s in sessions(out).values()}
    assert outcomes == {"deflected", "failed", "unknown"}
    assert any(k.startswith("acme|par1|vpn|") for k in spikes(out))


def test_results_are_the_same_however_the_two_inputs_interleave() -> None:
    help_, tickets = scenario(2)
    want = canonical(replay(merge(help_, tickets, 0)))
    for skew in (-540, -300, 300, 540):  # one topic minutes ahead, under the lateness (600)
        assert canonical(replay(merge(help_, tickets, skew))) == want, skew
    for seed in range(3):
        assert canonical(replay(random_merge(help_, tickets, seed, 500))) == want, seed


def test_results_are_the_same_at_any_replay_speed() -> None:
    events = merge(*scenario(3), 120)
    fast = replay(events)
    proc, out, last_timer = make(), [], 0.0  # now as a live run: the event's own time
    for ev in events:
        now = ev.data.timestamp.timestamp()
        out += proc.on_event(ev, partition=0, now=now)
        if now - last_timer >= 10:
            out += proc.on_timer(now)
            last_timer = now
    assert canonical(out + drain(proc)) == canonical(fast)


def test_a_restart_anywhere_continues_exactly() -> None:
    events = merge(*scenario(4), 200)
    want = canonical(replay(events))
    for cut in range(len(events) // 7, len(events), len(events) // 7):
        first, log, out = make(), Changelog(), []
        for i in range(0, cut, 50):  # a snapshot after every batch, as the stage takes them
            out += run(first, events[i:min(i + 50, cut)])
            log.take(first)
        second = log.restore_into(make())
        out += run(second, events[cut:], wall=5000.0)
        assert canonical(out + drain(second)) == want, cut


def test_every_key_expires_once_the_tenant_is_quiet() -> None:
    proc, log = make(), Changelog()
    run(proc, merge(*scenario(5), 0))
    log.take(proc)
    assert len(proc) > 0 and log.live()
    for hour in range(1, 24 * 4):  # wall time goes on, nothing comes
        proc.on_timer(1000.0 + hour * 3600)
        log.take(proc)
    assert len(proc) == 0 and log.live() == set()


def test_only_changed_keys_are_snapshot_and_partitions_move_with_their_tenant() -> None:
    proc = make()
    run(proc, [hi(0, tenant="acme")], partition=0)
    run(proc, [hi(0, tenant="globex"), ticket(10, tenant="globex")], partition=1)
    snap = proc.snapshot()
    assert {k: p for k, (p, _) in snap.items()} == {
        "acme|~clock": 0, "acme|s|s-1": 0, "acme|u|ann@acme.example": 0, "acme|w|par1|vpn": 0,
        "globex|~clock": 1, "globex|s|s-1": 1, "globex|u|ann@acme.example": 1,
        "globex|w|par1|vpn": 1}
    assert proc.snapshot() == {}
    proc.drop_partitions({1})
    assert proc.snapshot() == {} and {k.split("|")[0] for k in proc.sessions} == {"acme"}
    assert "globex" not in proc.tenants and len(proc) == 4


def test_the_stage_builds_it_and_the_bench_can_call_it_with_event_time_only() -> None:
    from config.settings import Settings, section_of
    from pipelines.stages import stage

    proc = stage("help").build(section_of(Settings(), "help"))
    out = proc.on_event(hi(0), partition=0, now=START) + proc.on_timer(START + 10)
    assert out == [] and len(proc) == 4
    assert sessions(proc.on_timer(START + 10**7)) != {}
