"""Quality and speed of the alert clustering processor on the seeded scenario.

Measures, per scenario shape and overall: notification and fingerprint compression beside the
best achievable (the ground truth's own incident count) and beside the baseline "same tenant and
site within 5 minutes"; pairwise precision and recall of "same incident" over alert occurrences
(and ARI); incidents spanning two tenants; whether the overlapping incidents were ever merged;
the processing time of the call that opens an incident (time from first alert to incident
open); and throughput of the processor alone in alerts/s (best of three runs, one core).

    .venv/bin/python -m benchmarks.clustering.run --seed 7 [--json]
    .venv/bin/python -m benchmarks.clustering.run --seeds 1-10   # one overall row per seed
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.clustering.scenario import Notification, generate
from config.alert_rules import DEFAULT_PATH, load_alert_rules
from processors.alerts import AlertClusterer, IncidentVersion, RuleSet

SHAPES = ("host_failure", "service_failure", "site_power_loss", "cascade", "overlap", "flapping",
          "single")
TICK_S = 5.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(items: list[tuple[str, str, str]], shape: str | None = None) -> tuple[float, float]:
    """Precision and recall of "same incident" over pairs; with ``shape``, pairs touching it."""
    cells = Counter((p, t) for p, t, _ in items)
    pred = Counter(p for p, _, _ in items)
    truth = Counter(t for _, t, _ in items)
    truth_shape = {t: s for _, t, s in items}
    if shape is None:
        tp = sum(_pairs(c) for c in cells.values())
        pp = sum(_pairs(c) for c in pred.values())
        tt = sum(_pairs(c) for c in truth.values())
    else:
        mine = Counter(p for p, _, s in items if s == shape)
        tp = sum(_pairs(c) for (_, t), c in cells.items() if truth_shape[t] == shape)
        pp = sum(_pairs(n) - _pairs(n - mine[p]) for p, n in pred.items())
        tt = sum(_pairs(c) for t, c in truth.items() if truth_shape[t] == shape)
    return (tp / pp if pp else 1.0), (tp / tt if tt else 1.0)


def ari(items: list[tuple[str, str, str]]) -> float:
    """Adjusted Rand index (Hubert & Arabie) from the contingency table."""
    n = len(items)
    index = sum(_pairs(c) for c in Counter((p, t) for p, t, _ in items).values())
    a = sum(_pairs(c) for c in Counter(p for p, _, _ in items).values())
    b = sum(_pairs(c) for c in Counter(t for _, t, _ in items).values())
    expected = a * b / _pairs(n) if n > 1 else 0.0
    top = (a + b) / 2 - expected
    return (index - expected) / top if top else 1.0


def baseline(notes: list[Notification], gap_s: float = 300.0) -> dict[str, str]:
    """Event id -> cluster: same tenant and site, each alert within ``gap_s`` of the last."""
    last: dict[tuple[str, str], tuple[str, float]] = {}
    out: dict[str, str] = {}
    fp_cluster: dict[tuple[str, str], str] = {}
    for n in notes:
        ev = n.event
        key = (ev.tenant_id, ev.data.labels.get("site", ""))
        fpk = (ev.tenant_id, ev.data.fingerprint)
        if n.occurrence:
            cur = last.get(key)
            cid = cur[0] if cur and n.at - cur[1] <= gap_s else f"{key}@{n.at}"
            last[key] = (cid, n.at)
            fp_cluster[fpk] = cid
        out[ev.id] = fp_cluster.get(fpk, f"orphan-{ev.id}")
    return out


def _replay(notes: list[Notification], rules: RuleSet) -> tuple[
        dict[str, str | None], list[float], list[float], AlertClusterer, dict[str, str]]:
    """Run the processor; event id -> incident id, per-alert seconds, per-open seconds.

    An incident folded into another counts as the one it was folded into (its ``merged_into``),
    as an operator sees it at the end of the run.
    """
    proc = AlertClusterer(rules)
    assigned: dict[str, str | None] = {}
    merged: dict[str, str] = {}
    per_alert: list[float] = []
    per_open: list[float] = []
    next_tick = notes[0].at + TICK_S
    clock = time.perf_counter
    for n in notes:
        while n.at >= next_tick:
            _merges(proc.on_tick(datetime.fromtimestamp(next_tick, UTC)).incidents, merged)
            next_tick += TICK_S
        now = datetime.fromtimestamp(n.at, UTC)
        start = clock()
        out = proc.on_alert(n.event, now)
        took = clock() - start
        per_alert.append(took)
        if any(v.incident.state == "open" for v in out.incidents):
            per_open.append(took)
        _merges(out.incidents, merged)
        for a in out.assignments:
            if a.kind != "remark":
                assigned[a.event_id] = a.incident_id
    for eid, iid in assigned.items():
        while iid in merged:
            iid = merged[iid]
        assigned[eid] = iid
    return assigned, per_alert, per_open, proc, merged


def _merges(versions: list[IncidentVersion], merged: dict[str, str]) -> None:
    for v in versions:
        if v.incident.merged_into:
            merged[v.incident.incident_id] = v.incident.merged_into


def throughput(notes: list[Notification], rules: RuleSet, repeats: int = 3) -> float:
    """Alerts/s of ``on_alert`` + ticks alone (events pre-parsed), best of ``repeats``."""
    inputs = [(n.event, datetime.fromtimestamp(n.at, UTC), n.at) for n in notes]
    best = 0.0
    for _ in range(repeats):
        proc = AlertClusterer(rules)
        next_tick = inputs[0][2] + TICK_S
        start = time.perf_counter()
        for event, now, at in inputs:
            if at >= next_tick:
                proc.on_tick(now)
                next_tick = at + TICK_S
            proc.on_alert(event, now)
        best = max(best, len(inputs) / (time.perf_counter() - start))
    return best


def _compression(groups: int, total: int) -> float:
    return 1.0 - groups / total if total else 0.0


def _row(notes: list[Notification], ours: dict[str, str | None], base: dict[str, str],
         shape: str | None) -> dict:
    sel = [n for n in notes if shape is None or n.shape == shape]
    occ = [n for n in notes if n.occurrence]
    fps = {(n.event.tenant_id, n.event.data.fingerprint) for n in sel}
    ours_ids = {ours.get(n.event.id) or f"none-{n.event.id}" for n in sel}
    base_ids = {base[n.event.id] for n in sel}
    truths = {n.truth for n in sel}
    items = [(ours.get(n.event.id) or f"none-{n.event.id}", n.truth, n.shape) for n in occ]
    base_items = [(base[n.event.id], n.truth, n.shape) for n in occ]
    p, r = pairwise(items, shape)
    bp, br = pairwise(base_items, shape)
    row = {"shape": shape or "overall", "alerts": sum(1 for n in sel if n.occurrence),
           "notifications": len(sel), "truth_incidents": len(truths),
           "incidents": len(ours_ids), "baseline_incidents": len(base_ids),
           "compression": _compression(len(ours_ids), len(sel)),
           "compression_best": _compression(len(truths), len(sel)),
           "compression_baseline": _compression(len(base_ids), len(sel)),
           "fp_compression": _compression(len(ours_ids), len(fps)),
           "fp_compression_best": _compression(len(truths), len(fps)),
           "precision": p, "recall": r, "baseline_precision": bp, "baseline_recall": br}
    if shape is None:
        row["ari"], row["baseline_ari"] = ari(items), ari(base_items)
    return row


def _merged(overlaps: list[tuple[str, str]], notes: list[Notification],
            assigned: dict[str, str | None]) -> int:
    ids: dict[str, set[str]] = defaultdict(set)
    for n in notes:
        if n.occurrence and (inc := assigned.get(n.event.id)):
            ids[n.truth].add(inc)
    return sum(1 for a, b in overlaps if ids[a] & ids[b])


def score(seed: int = 7, tenants: int = 3, sites: int = 3, hours: float = 6.0,
          rules: RuleSet | None = None) -> dict:
    """Generate, replay and score one scenario (everything but throughput)."""
    sc = generate(seed, tenants, sites, hours)
    notes = sc.notifications
    rules = rules or load_alert_rules()
    assigned, per_alert, per_open, _, merged = _replay(notes, rules)
    base = baseline(notes)
    tenants_of: dict[str, set[str]] = defaultdict(set)
    for n in notes:
        if inc := assigned.get(n.event.id):
            tenants_of[inc].add(n.event.tenant_id)
    rows = [_row(notes, assigned, base, s) for s in SHAPES] + [_row(notes, assigned, base, None)]
    q = sorted(per_open)
    return {
        "benchmark": "clustering", "seed": seed, "tenants": tenants, "sites": sites,
        "hours": hours, "rows": rows,
        "cross_tenant_incidents": sum(1 for ts in tenants_of.values() if len(ts) > 1),
        "overlaps_merged": _merged(sc.overlaps, notes, assigned),
        "overlaps_merged_baseline": _merged(sc.overlaps, notes, dict(base.items())),
        "overlap_pairs": len(sc.overlaps),
        "incidents_folded": len(merged),
        "open_latency_ms_p50": 1e3 * statistics.median(q),
        "open_latency_ms_p99": 1e3 * q[int(0.99 * (len(q) - 1))],
        "open_latency_ms_max": 1e3 * q[-1],
        "alert_latency_us_mean": 1e6 * statistics.fmean(per_alert),
    }


def run(seed: int = 7, as_json: bool = False, tenants: int = 3, sites: int = 3,
        hours: float = 6.0, rules_path: str | Path = DEFAULT_PATH) -> dict:
    """Score, measure throughput on a larger storm, print; returns the figures."""
    rules = load_alert_rules(rules_path)
    result = score(seed, tenants, sites, hours, rules)
    big = generate(seed + 1, 4, 5, 24.0).notifications
    result["throughput_alerts_per_s"] = throughput(big, rules)
    result["throughput_notifications"] = len(big)
    _print(result)
    if as_json:
        print(json.dumps(result))
    return result


def sweep(seeds: range, tenants: int = 3, sites: int = 3, hours: float = 6.0,
          rules_path: str | Path = DEFAULT_PATH) -> list[dict]:
    """One overall row per seed beside the baseline, and whether it meets the targets."""
    rules = load_alert_rules(rules_path)
    print(f"{'seed':>4}{'compr':>7}{'fpcomp':>7}{'prec':>7}{'recall':>7}{'ARI':>7} |"
          f"{'b.comp':>7}{'b.prec':>7}{'b.rec':>7}{'b.ARI':>7} |{'folds':>6}{'x-ten':>6}"
          f"{'ovl':>5}  targets")
    out = []
    for seed in seeds:
        r = score(seed, tenants, sites, hours, rules)
        o = r["rows"][-1]
        ok = (o["compression"] >= 0.90 and o["precision"] >= 0.95 and o["recall"] >= 0.90
              and not r["cross_tenant_incidents"] and not r["overlaps_merged"])
        print(f"{seed:>4}{o['compression']:>7.3f}{o['fp_compression']:>7.3f}"
              f"{o['precision']:>7.3f}{o['recall']:>7.3f}{o['ari']:>7.3f} |"
              f"{o['compression_baseline']:>7.3f}{o['baseline_precision']:>7.3f}"
              f"{o['baseline_recall']:>7.3f}{o['baseline_ari']:>7.3f} |"
              f"{r['incidents_folded']:>6}{r['cross_tenant_incidents']:>6}"
              f"{r['overlaps_merged']:>5}  {'met' if ok else 'MISSED'}")
        out.append(r)
    return out


def _print(r: dict) -> None:
    head = (f"{'shape':<16}{'alerts':>7}{'notif':>7}{'truth':>6}{'ours':>6}{'base':>6}"
            f"{'compr':>7}{'best':>7}{'base':>7}{'fpcomp':>7}{'best':>7}"
            f"{'prec':>7}{'recall':>7}{'b.prec':>7}{'b.rec':>7}")
    print(head)
    print("-" * len(head))
    for x in r["rows"]:
        print(f"{x['shape']:<16}{x['alerts']:>7}{x['notifications']:>7}{x['truth_incidents']:>6}"
              f"{x['incidents']:>6}{x['baseline_incidents']:>6}{x['compression']:>7.3f}"
              f"{x['compression_best']:>7.3f}{x['compression_baseline']:>7.3f}"
              f"{x['fp_compression']:>7.3f}{x['fp_compression_best']:>7.3f}"
              f"{x['precision']:>7.3f}{x['recall']:>7.3f}{x['baseline_precision']:>7.3f}"
              f"{x['baseline_recall']:>7.3f}")
    o = r["rows"][-1]
    print(f"ARI {o['ari']:.3f} (baseline {o['baseline_ari']:.3f}); incidents spanning two "
          f"tenants: {r['cross_tenant_incidents']}; overlapping pairs merged: "
          f"{r['overlaps_merged']}/{r['overlap_pairs']} (baseline "
          f"{r['overlaps_merged_baseline']}/{r['overlap_pairs']})")
    print(f"incidents folded into another (storms that started as two): "
          f"{r['incidents_folded']}")
    print(f"first alert -> incident open (processing of that alert): p50 "
          f"{r['open_latency_ms_p50']:.3f} ms, p99 {r['open_latency_ms_p99']:.3f} ms, max "
          f"{r['open_latency_ms_max']:.3f} ms; mean per alert {r['alert_latency_us_mean']:.1f} us")
    print(f"throughput (processor alone, one core, best of 3): "
          f"{r['throughput_alerts_per_s']:,.0f} alerts/s over {r['throughput_notifications']:,} "
          "notifications")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--seeds", help="a range such as 1-10: one overall row per seed instead")
    ap.add_argument("--tenants", type=int, default=3)
    ap.add_argument("--sites", type=int, default=3)
    ap.add_argument("--hours", type=float, default=6.0)
    ap.add_argument("--rules", default=str(DEFAULT_PATH))
    ap.add_argument("--json", action="store_true", help="also print one JSON object, last line")
    a = ap.parse_args()
    if a.seeds:
        lo, _, hi = a.seeds.partition("-")
        sweep(range(int(lo), int(hi or lo) + 1), a.tenants, a.sites, a.hours, a.rules)
    else:
        run(a.seed, a.json, a.tenants, a.sites, a.hours, a.rules)


if __name__ == "__main__":
    main()
