"""How right the correlations of one replay are, against the generator's ground truth.

Definitions (each correlated incident is taken at its last version):

- An outage's **incidents** are the clustering incidents its alerts were assigned to
  (following folds: ``merged_into``). A correlated incident **holds** an outage's incidents
  when it contains at least one of them.
- A **ticket link** is a ticket id in a correlated incident. It is correct when the ticket
  belongs to an outage and the correlated incident holds that outage's incidents; for an
  outage with no alerts, when the correlated incident holds no incident of another outage and
  most of its outage tickets are this outage's. Precision = correct links / links; recall =
  correct links / tickets of outages.
- A **help spike** (last version from the help processor) is **true** for an outage of its
  tenant when its site is the outage's, its window overlaps the outage, and more than half of
  its (listed) sessions are the outage's. A spike link is correct by the same rule as a ticket
  link; recall counts true spikes.
- **Cross-tenant links**: incidents, tickets or spikes in a correlated incident that are not
  its tenant's own.
- **Delay**: from an outage's first ticket text (event time) to the first correlated incident
  version that links one of its tickets correctly (simulated emission time).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from benchmarks.correlation.replay import Replay


def final_versions(outputs: list[tuple[float, Any]]) -> dict[tuple[str, str], Any]:
    last: dict[tuple[str, str], Any] = {}
    for _, ev in outputs:
        key = (ev.tenant_id, ev.data.correlation_id)
        if key not in last or ev.data.version >= last[key].data.version:
            last[key] = ev
    return last


class Truth:
    def __init__(self, outages: list, rp: Replay) -> None:
        self.outages = outages
        self.incidents = {o.id: {rp.resolve(rp.assigned[a]) for a in o.alert_ids
                                 if a in rp.assigned} for o in outages}
        self.ticket = {(o.tenant, t): o for o in outages for t in o.ticket_ids}
        self.owner = {i: o.id for o in outages for i in self.incidents[o.id]}
        sessions = {o.id: set(o.help_session_ids) for o in outages}
        self.spike: dict[tuple[str, str], Any] = {}
        for (tenant, sid), d in rp.spikes.items():
            start = d.window_start.timestamp()
            for o in outages:
                if (o.tenant == tenant and d.site == o.site and start <= o.end
                        and start + d.window_s >= o.start and d.sessions
                        and sum(s in sessions[o.id] for s in d.sessions) * 2 > len(d.sessions)):
                    self.spike[(tenant, sid)] = o
                    break

    def correct(self, o: Any, ev: Any, rp: Replay) -> bool:
        """Whether correlated incident ``ev`` is the right home for evidence of outage ``o``."""
        held = {rp.resolve(i) for i in ev.data.incident_ids}
        mine = self.incidents[o.id]
        if mine:
            return bool(held & mine)
        if any(self.owner.get(i, o.id) != o.id for i in held):
            return False
        votes = Counter(self.ticket[(ev.tenant_id, t)].id for t in ev.data.ticket_ids
                        if (ev.tenant_id, t) in self.ticket)
        return bool(votes) and votes.most_common(1)[0][0] == o.id


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def score(outages: list, rp: Replay) -> dict:
    truth = Truth(outages, rp)
    final = final_versions(rp.outputs)
    t_links = t_ok = s_links = s_ok = cross = 0
    for (tenant, _), ev in final.items():
        d = ev.data
        cross += sum(rp.incident_tenant.get(i, tenant) != tenant for i in d.incident_ids)
        cross += sum(tenant not in rp.ticket_tenant.get(t, {tenant}) for t in d.ticket_ids)
        cross += sum((tenant, s) not in rp.spikes for s in d.spike_ids)
        for t in d.ticket_ids:
            t_links += 1
            o = truth.ticket.get((tenant, t))
            t_ok += o is not None and truth.correct(o, ev, rp)
        for s in d.spike_ids:
            s_links += 1
            o = truth.spike.get((tenant, s))
            s_ok += o is not None and truth.correct(o, ev, rp)
    outage_tickets = sum(len(o.ticket_ids) for o in outages)
    delays = _delays(outages, truth, rp)
    joined = {o.id for o in outages if o.id in delays}
    silent = [o for o in outages if not o.ticket_ids and not o.help_session_ids]
    silent_hit = sum(any(truth.incidents[o.id] & {rp.resolve(i) for i in ev.data.incident_ids}
                         for ev in final.values()) for o in silent)
    return {
        "outages": len(outages), "outages_with_tickets": sum(bool(o.ticket_ids) for o in outages),
        "outages_joined": len(joined), "outage_tickets": outage_tickets,
        "no_alert_outages": sum(not o.alert_ids for o in outages),
        "no_alert_joined": sum(not o.alert_ids and o.id in joined for o in outages),
        "silent_outages": len(silent), "silent_with_correlation": silent_hit,
        "correlations": len(final), "ticket_links": t_links, "ticket_links_correct": t_ok,
        "ticket_precision": _ratio(t_ok, t_links), "ticket_recall": _ratio(t_ok, outage_tickets),
        "true_spikes": len(truth.spike), "spikes": len(rp.spikes), "spike_links": s_links,
        "spike_links_correct": s_ok, "spike_precision": _ratio(s_ok, s_links),
        "spike_recall": _ratio(s_ok, len(truth.spike)), "cross_tenant_links": cross,
        "delays_s": sorted(delays.values()),
    }


def _delays(outages: list, truth: Truth, rp: Replay) -> dict[str, float]:
    first = {o.id: min(times) for o in outages
             if (times := [rp.first_text[k] for t in o.ticket_ids
                           if (k := (o.tenant, t)) in rp.first_text])}
    out: dict[str, float] = {}
    for at, ev in rp.outputs:
        for t in ev.data.ticket_ids:
            o = truth.ticket.get((ev.tenant_id, t))
            if o is not None and o.id in first and o.id not in out and truth.correct(o, ev, rp):
                out[o.id] = at - first[o.id]
    return out


def merge(rows: list[dict]) -> dict:
    """Figures over several seeds: counts summed, ratios recomputed from them."""
    total: dict = {k: sum(r[k] for r in rows) for k in rows[0] if isinstance(rows[0][k], int)}
    total["ticket_precision"] = _ratio(total["ticket_links_correct"], total["ticket_links"])
    total["ticket_recall"] = _ratio(total["ticket_links_correct"], total["outage_tickets"])
    total["spike_precision"] = _ratio(total["spike_links_correct"], total["spike_links"])
    total["spike_recall"] = _ratio(total["spike_links_correct"], total["true_spikes"])
    total["delays_s"] = sorted(d for r in rows for d in r["delays_s"])
    return total


def delay_summary(delays: list[float]) -> dict[str, float | None]:
    if not delays:
        return {"p50_s": None, "p90_s": None, "max_s": None}
    q = statistics.quantiles(delays, n=10) if len(delays) > 1 else [delays[0]] * 9
    return {"p50_s": round(statistics.median(delays), 1), "p90_s": round(q[8], 1),
            "max_s": round(max(delays), 1)}
