"""``aiops bench correlation``: outages with their alerts, tickets and help traffic, among
unrelated ones, through the clustering, tickets, help and correlation processors in-process;
how right the joins are and how fast the correlation processor runs.

Generator ``a`` (``gen_a.py``) is the one the rules were tuned on; ``b`` (``gen_b.py``) was
written independently, before the tuning, and the rules were never tuned on it: only its
figures say how they generalise; ``c`` (``gen_c.py``), by a third author, was used to check
rule changes while tuning (so its figures are in-sample too). Definitions of every figure:
``score.py``. Besides them:

- **stable under skew**: the same correlation inputs replayed with the incidents topic 90 s
  and the spikes topic 45 s behind the tickets topic (inside the processor's ``reorder_s``),
  and again with the incidents 10 minutes behind (outside it); the share of linked tickets and
  spikes that end in a correlated incident with the same members as in the in-order run;
- **throughput**: the correlation inputs of each seed through a fresh processor alone, as a
  stage catching up calls it: ``on_event`` for each, ``snapshot`` every 1,000 events (a
  batch), ``on_timer`` every 10 s of wall time (the stage's interval: rarely, at this speed;
  the processor's own timers run on event time inside ``on_event``), best of 5, one core,
  each repeat with cold caches;
  beside it the bare loop that only reads each event's ordering key, in the same run.

    .venv/bin/python -m benchmarks.correlation.run --generator all --seeds 3 [--json]
    .venv/bin/python -m benchmarks.correlation.run --stream 20000   # throughput only
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from typing import Any

from benchmarks.correlation.replay import Replay, build_correlation, replay, replay_skewed
from benchmarks.correlation.score import delay_summary, final_versions, merge, score
from processors.correlation.processor import order_key
from processors.correlation.records import clear_caches

SKEWS = {"inside": {"aiops.incident": 90.0, "aiops.help-spike": 45.0},
         "outside": {"aiops.incident": 600.0}}


def _generator(name: str):
    return importlib.import_module(f"benchmarks.correlation.gen_{name}").generate


def _members(outputs: list[tuple[float, Any]]) -> dict[tuple[str, str], frozenset[str]]:
    """(tenant, ticket or spike id) -> every member of the correlation it ends in."""
    out = {}
    for (tenant, _), ev in final_versions(outputs).items():
        d = ev.data
        members = frozenset([*d.incident_ids, *d.ticket_ids, *d.spike_ids])
        for ref in (*d.ticket_ids, *d.spike_ids):
            out[(tenant, ref)] = members
    return out


def stability(rp: Replay, lags: dict[str, float]) -> tuple[int, int]:
    base = _members(rp.outputs)
    other = _members(replay_skewed(rp.inputs, lags))
    items = base.keys() | other.keys()
    return sum(base.get(k) == other.get(k) for k in items), len(items)


def throughput(rp: Replay, repeats: int = 5) -> tuple[int, float, float]:
    """(events, seconds of the processor, seconds of the bare loop), best of ``repeats``."""
    inputs = rp.inputs
    best, bare = float("inf"), float("inf")
    for _ in range(repeats):
        clear_caches()  # no repeat reads texts the one before it cached
        proc = build_correlation()
        start = time.perf_counter()
        next_tick = start + 10.0
        for i, (now, p, ev) in enumerate(inputs):
            proc.on_event(ev, partition=p, now=now)
            if i % 1000 == 999:
                proc.snapshot()
                if time.perf_counter() >= next_tick:
                    proc.on_timer(now)
                    next_tick += 10.0
        proc.snapshot()
        best = min(best, time.perf_counter() - start)
        start = time.perf_counter()
        for _now, _p, ev in inputs:
            order_key(ev)
        bare = min(bare, time.perf_counter() - start)
    return len(inputs), best, bare


def stream_throughput(generator: str, events: int, hours: float = 12.0) -> dict:
    """Throughput over one long stream: the correlation inputs of consecutive seeds, each
    seed's shifted in time after the previous one's, until ``events`` (best of 3)."""
    from datetime import timedelta

    names = {"both": "ab", "all": "abc"}.get(generator, generator)
    inputs: list = []
    offset, seed = 0.0, 1
    while len(inputs) < events:
        for name in names:
            rp = replay(_generator(name)(seed=seed, hours=hours).events)
            last = offset
            for now, p, ev in rp.inputs:
                d = ev.data
                shift = timedelta(seconds=offset)
                upd = {k: getattr(d, k) + shift for k in ("timestamp", "first_seen",
                                                          "last_seen", "window_start")
                       if getattr(d, k, None) is not None}
                ev2 = ev.model_copy(update={"data": d.model_copy(update=upd)})
                inputs.append((now + offset, p, ev2))
                last = max(last, now + offset)
            offset = last + 86_400.0
        seed += 1
    n, proc_s, bare_s = throughput(Replay(inputs=inputs), repeats=3)
    return {"events": n, "events_per_s": round(n / proc_s), "bare_events_per_s": round(
        n / bare_s)}


def one_generator(name: str, seeds: int, hours: float) -> dict:
    generate = _generator(name)
    rows = []
    events = proc_s = bare_s = 0.0
    stable = {k: [0, 0] for k in SKEWS}
    for seed in range(1, seeds + 1):
        sc = generate(seed=seed, hours=hours)
        rp = replay(sc.events)
        row = score(sc.outages, rp)
        row["seed"], row["invalid_events"] = seed, rp.invalid
        rows.append(row)
        for k, lags in SKEWS.items():
            same, total = stability(rp, lags)
            stable[k][0] += same
            stable[k][1] += total
        n, p, b = throughput(rp)
        events, proc_s, bare_s = events + n, proc_s + p, bare_s + b
    total = merge(rows)
    return {"generator": name, "seeds": seeds, "hours": hours, "per_seed": rows,
            "all": total, "delay": delay_summary(total["delays_s"]),
            "stable_inside_tolerance": round(stable["inside"][0] / max(stable["inside"][1], 1), 4),
            "stable_outside_tolerance": round(stable["outside"][0]
                                              / max(stable["outside"][1], 1), 4),
            "events": int(events), "events_per_s": round(events / proc_s) if proc_s else None,
            "bare_events_per_s": round(events / bare_s) if bare_s else None}


def _fmt(x: float | None, pct: bool = True) -> str:
    return "-" if x is None else (f"{x:.3f}" if pct else f"{x:.0f}")


def _print(r: dict) -> None:
    print(f"\ngenerator {r['generator']} ({r['seeds']} seeds x {r['hours']:g} h)")
    head = (f"{'seed':>6}{'outages':>8}{'joined':>7}{'no-alert':>9}{'silent':>7}{'corr':>6}"
            f"{'tickets':>8}{'links':>6}{'tkt P':>7}{'tkt R':>7}{'spikes':>7}{'sp P':>7}"
            f"{'sp R':>7}{'x-ten':>6}{'delay p50':>10}")
    print(head)
    print("-" * len(head))
    for x in [*r["per_seed"], {**r["all"], "seed": "all"}]:
        d = delay_summary(x["delays_s"])
        print(f"{x['seed']:>6}{x['outages']:>8}{x['outages_joined']:>7}"
              f"{x['no_alert_joined']:>5}/{x['no_alert_outages']:<3}"
              f"{x['silent_with_correlation']:>3}/{x['silent_outages']:<3}{x['correlations']:>6}"
              f"{x['outage_tickets']:>8}{x['ticket_links']:>6}{_fmt(x['ticket_precision']):>7}"
              f"{_fmt(x['ticket_recall']):>7}{x['true_spikes']:>4}/{x['spikes']:<2}"
              f"{_fmt(x['spike_precision']):>7}{_fmt(x['spike_recall']):>7}"
              f"{x['cross_tenant_links']:>6}{_fmt(d['p50_s'], False):>9}s")
    d = r["delay"]
    print(f"first ticket -> correlated incident: p50 {_fmt(d['p50_s'], False)} s, p90 "
          f"{_fmt(d['p90_s'], False)} s, max {_fmt(d['max_s'], False)} s")
    print(f"same correlation when the inputs arrive skewed: {r['stable_inside_tolerance']:.1%} "
          f"inside reorder_s (incidents +90 s, spikes +45 s), {r['stable_outside_tolerance']:.1%}"
          " outside it (incidents +10 min)")
    print(f"throughput (correlation processor alone, one core, best of 5): "
          f"{r['events_per_s']:,} events/s over {r['events']:,} events "
          f"(bare loop {r['bare_events_per_s']:,}/s)")
    print("columns: joined = outages with a correct ticket link; no-alert and silent = found / "
          "outages of that kind (silent: joined to any correlation, should be 0); spikes = "
          "true / emitted")


def run(generator: str, seeds: int, hours: float, as_json: bool) -> dict:
    names = {"both": ("a", "b"), "all": ("a", "b", "c")}.get(generator, (generator,))
    result = {name: one_generator(name, seeds, hours) for name in names}
    for r in result.values():
        _print(r)
    if as_json:
        print(json.dumps(result))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--generator", choices=("a", "b", "c", "both", "all"), default="a")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--hours", type=float, default=12.0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--stream", type=int, default=0,
                    help="only throughput, over one stream of at least this many events")
    a = ap.parse_args()
    if a.stream:
        r = stream_throughput(a.generator, a.stream, a.hours)
        print(f"throughput (correlation processor alone, one core, best of 3): "
              f"{r['events_per_s']:,} events/s over {r['events']:,} events "
              f"(bare loop {r['bare_events_per_s']:,}/s)")
        return
    run(a.generator, a.seeds, a.hours, a.json)


if __name__ == "__main__":
    main()
