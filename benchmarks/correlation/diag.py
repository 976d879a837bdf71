"""Per-item look at one generator's links (tuning aid for generators ``a`` and ``c`` only: the
held-out ``b`` must never be looked at item by item, so it is refused here).

    .venv/bin/python -m benchmarks.correlation.diag c 1
"""

from __future__ import annotations

import sys

from benchmarks.correlation.replay import replay
from benchmarks.correlation.score import Truth, final_versions


def main() -> None:
    name, seed = sys.argv[1], int(sys.argv[2])
    if name not in ("a", "c"):
        raise SystemExit("only generators a and c may be inspected item by item")
    import importlib

    sc = importlib.import_module(f"benchmarks.correlation.gen_{name}").generate(seed, 12.0)
    rp = replay(sc.events)
    truth = Truth(sc.outages, rp)
    texts: dict[tuple[str, str], tuple] = {}
    for _, _, ev in rp.inputs:
        if ev.type == "aiops.ticket-insight" and ev.data.seq == 0:
            d = ev.data
            texts[(ev.tenant_id, d.ticket_id)] = (d.site, d.service, d.urgent, d.sentiment,
                                                  d.subject, d.excerpt[:140], d.topics)
    linked = {}
    for (tenant, _), ev in final_versions(rp.outputs).items():
        for t in ev.data.ticket_ids:
            linked[(tenant, t)] = ev
    for o in sc.outages:
        print(f"\n== {o.id} {o.tenant} {o.site} {o.service} alerts={len(o.alert_ids)} "
              f"incidents={sorted(truth.incidents[o.id])}")
        for t in o.ticket_ids:
            ev = linked.get((o.tenant, t))
            ok = ev is not None and truth.correct(o, ev, rp)
            tag = "ok " if ok else ("MISS" if ev is None else "WRONG")
            print(f"  {tag} {t} {texts.get((o.tenant, t))}"
                  + ("" if ok or ev is None else f" -> {ev.data.title}"))
    print("\n== false links")
    for key, ev in sorted(linked.items()):
        if key not in truth.ticket:
            print(f"  {key} {texts.get(key)} -> {ev.data.title} {ev.data.incident_ids}")


if __name__ == "__main__":
    main()
