"""The alert clustering processor: alert notifications in, incident versions and assignments out.

Lifecycle (bytewax's ``StatefulLogic`` shape, STYLE.md item 4):

- ``on_alert(event, now)``: dedup the notification by fingerprint; a new occurrence is
  templated, checked against silences and inhibition rules (muted alerts are kept and marked,
  never dropped), and put into an incident. The ``open`` version of a new incident is returned by
  the same call; later changes are coalesced and returned at most every ``group_interval``.
- ``on_tick(now)``: the timers. Incidents whose members all resolved ``resolve_grace`` ago, or
  with no notification for ``quiet_timeout``, resolve; pending updates are flushed; forgotten
  fingerprints leave the inhibition indexes.
- ``flush(now)``: every pending update at once (shutdown, tests, benchmarks).

Which incident a new occurrence joins (an incident never takes alerts once resolved):

1. its own incident, if it fired before and that one is still open (flapping);
2. otherwise the largest (then oldest) of the incidents it is linked to: those holding a firing
   alert that inhibits it or that it inhibits (cause and symptoms belong together), those
   holding one of its grouping-rule keys and having taken a new alert within that rule's
   window, and the most similar open incident in its ``similarity.same`` scope (e.g. site and
   env): weighted evidence (same host, same service, same template, its text naming a host or
   service of the incident) at or above the threshold, within the similarity window of that
   incident's last new alert. Windows count from the last *new* member, so an incident that
   went quiet stops collecting unrelated alerts on its hosts;
3. otherwise a new incident, whose ``open`` version is returned at once.

Folding (``merge``): when a storm starts as two incidents (a probe failing seconds before its
host is reported down), the alert that links them by rule key or inhibition folds the other
linked incidents into the one it joins, but only those opened within ``merge.window``: an
older incident is someone else's problem that happened to share a host. The folded incident's
last version is ``resolved`` with ``merged_into`` set; its alerts move to the survivor (reported
as ``remark`` assignments with the new incident id) and the survivor's update goes out at once.

An incident version is ``suppressed`` when every member alert is silenced or inhibited.

State is per tenant and never shared: a tenant's alerts can only meet its own incidents. Every
piece of state expires (alerts after ``alert_ttl``, incidents after ``quiet_timeout``).
"""

from __future__ import annotations

from datetime import datetime

from processors.alerts.dedup import AlertRecord, Deduper
from processors.alerts.incident import (
    Assignment,
    ClusterOutput,
    IncidentVersion,
    OpenIncident,
    incident_id_for,
    severity_rank,
)
from processors.alerts.state import TTLState
from processors.alerts.templates import TemplateMiner
from processors.notify.silences import SilenceBook
from schemas.alert_rules import RuleSet
from schemas.events import AlertEvent

_STRIP = ",;:.!?()[]{}\"'`<>"


def derive_attrs(labels: dict[str, str], template_id: str) -> dict[str, str]:
    """Labels plus ``_host``, ``_service`` and ``_template``, which rules may group by."""
    attrs = dict(labels)
    host = labels.get("host") or labels.get("hostname") or labels.get("nodename") or ""
    if not host and (instance := labels.get("instance")):
        host = instance.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    attrs["_host"] = host
    attrs["_service"] = labels.get("service") or labels.get("job") or ""
    attrs["_template"] = template_id
    return attrs


class _Tenant:
    """All state of one tenant; nothing in here is reachable from another tenant."""

    def __init__(self, rules: RuleSet, tenant: str) -> None:
        life = rules.lifecycle
        self.miner = TemplateMiner(rules.template_similarity)
        self.dedup = Deduper(life.alert_ttl)
        self.incidents: TTLState[str, OpenIncident] = TTLState(life.quiet_timeout)
        self.keys: dict[tuple[str, ...], str] = {}
        self.by_scope: dict[tuple[str, ...], set[str]] = {}
        self.pending: set[str] = set()
        n = len(rules.inhibit)
        self.sources: list[dict[tuple[str, ...], set[str]]] = [{} for _ in range(n)]
        self.targets: list[dict[tuple[str, ...], set[str]]] = [{} for _ in range(n)]


class AlertClusterer:
    """Groups one stream of ``AlertEvent`` (any tenants) into incidents; see the module doc."""

    def __init__(self, rules: RuleSet | None = None, source: str = "aiops/clustering") -> None:
        self.rules = rules or RuleSet()
        self.source = source
        self._tenants: dict[str, _Tenant] = {}
        self._windows = {r.name: r.window for r in self.rules.grouping}
        self.runtime_silences = SilenceBook()
        """Silences made at run time (``aiops silence``), besides the rule file's."""

    def tenant_count(self) -> int:
        return len(self._tenants)

    # --- per-tenant state, for snapshots (each tenant's state is one unit) ----------------

    def tenant_ids(self) -> list[str]:
        return list(self._tenants)

    def export_tenant(self, tenant: str) -> _Tenant | None:
        """The tenant's whole state (picklable), or None if it has none."""
        return self._tenants.get(tenant)

    def import_tenant(self, tenant: str, state: _Tenant) -> None:
        self._tenants[tenant] = state

    def drop_tenant(self, tenant: str) -> None:
        self._tenants.pop(tenant, None)

    # --- inputs -------------------------------------------------------------------------

    def on_alert(self, event: AlertEvent, now: datetime) -> ClusterOutput:
        t = now.timestamp()
        tid = event.tenant_id
        ten = self._tenants.get(tid)
        if ten is None:
            ten = self._tenants[tid] = _Tenant(self.rules, tid)
        alert = event.data
        kind, rec = ten.dedup.observe(alert.fingerprint, alert.status, alert.starts_at.timestamp(),
                                      event.id, t)
        out = ClusterOutput()
        inc = ten.incidents.get(rec.incident_id, t) if rec.incident_id else None
        if kind == "repeat" and rec.status == "firing" and inc is None:
            kind = "new"  # its incident resolved meanwhile: a firing alert needs a live incident
        if kind in ("new", "refire"):
            if kind == "new" or not rec.attrs:
                notes = alert.annotations
                text = alert.labels["alertname"] + " " + (notes.get("summary")
                                                          or notes.get("description", ""))
                rec.attrs = derive_attrs(alert.labels, ten.miner.add(text).template_id)
                rec.severity = severity_rank(alert.labels.get("severity", ""))
            inc = self._place(ten, tid, rec, alert.annotations, t, out)
        elif kind == "resolved":
            self._unindex_inhibition(ten, tid, rec, t, out)
            if inc is not None:
                inc.firing.discard(rec.fingerprint)
                inc.dirty = True
                if not inc.firing:
                    inc.all_resolved_at = t
                ten.pending.add(inc.incident_id)
        if inc is not None:
            inc.last_seen = t
            ten.incidents.touch(inc.incident_id, t)
        out.assignments.append(Assignment(
            tid, event.id, rec.fingerprint, kind, alert.status,
            inc.incident_id if inc is not None else None,
            rec.attrs.get("_template"), rec.suppressed_by))
        return out

    def on_tick(self, now: datetime, tenant: str | None = None) -> ClusterOutput:
        """Timers at ``now``; for one tenant only if given (each tenant may keep its own
        clock, e.g. the event time of its own partition)."""
        return self._timers(now.timestamp(), force=False, tenant=tenant)

    def flush(self, now: datetime, tenant: str | None = None) -> ClusterOutput:
        return self._timers(now.timestamp(), force=True, tenant=tenant)

    # --- placing a new occurrence -------------------------------------------------------

    def _place(self, ten: _Tenant, tid: str, rec: AlertRecord, annotations: dict[str, str],
               t: float, out: ClusterOutput) -> OpenIncident:
        attrs = rec.attrs
        rules = self.rules
        inhibited_by, my_targets = self._index_inhibition(ten, tid, rec, t, out)
        rec.suppressed_by = self._silences(tid, attrs, t) + tuple(
            f"inhibit:{rules.inhibit[i].name}" for i in sorted({i for i, _ in inhibited_by}))
        keys = [k for r in rules.grouping if (k := r.key(attrs)) is not None]
        inc, fold = self._choose(ten, rec, attrs, annotations, keys, inhibited_by, my_targets, t)
        if inc is None:
            scope = tuple(attrs.get(n, "") for n in rules.similarity.same)
            inc = OpenIncident(incident_id_for(tid, rec.fingerprint, t), tid, scope, rec.starts_at,
                               t, t, opened_at=t)
            inc.add(rec.fingerprint, attrs, rec.severity, rec.starts_at, t, keys)
            ten.incidents.set(inc.incident_id, inc, t)
            ten.by_scope.setdefault(scope, set()).add(inc.incident_id)
            muted = bool(rec.suppressed_by)
            out.incidents.append(IncidentVersion(tid, inc.snapshot("open", t, suppressed=muted),
                                                 muted))
        else:
            for other in fold:
                self._fold(ten, tid, inc, other, t, out)
            inc.add(rec.fingerprint, attrs, rec.severity, rec.starts_at, t, keys)
            if fold:  # the survivor's new shape goes out with the absorbed one's last version
                out.incidents.append(self._version(ten, inc, "updated", t))
            else:
                self._maybe_emit(ten, inc, t, out)
        for k in keys:
            ten.keys[k] = inc.incident_id
        rec.incident_id = inc.incident_id
        return inc

    def _choose(self, ten: _Tenant, rec: AlertRecord, attrs: dict[str, str],
                annotations: dict[str, str], keys: list[tuple[str, ...]],
                inhibited_by: list[tuple[int, str]], my_targets: list[str],
                t: float) -> tuple[OpenIncident | None, list[OpenIncident]]:
        """The incident to join, and the young incidents this alert also links (to fold in)."""
        live = ten.incidents
        if rec.incident_id and (own := live.get(rec.incident_id, t)) is not None:
            return own, []  # a flapping alert returns to its incident until that one resolves
        linked: dict[str, OpenIncident] = {}
        for fp in [src for _, src in inhibited_by] + my_targets:
            other = ten.dedup.records.get(fp, t)
            if other is not None and other.incident_id and (
                    cand := live.get(other.incident_id, t)) is not None:
                linked[cand.incident_id] = cand
        for key in keys:
            iid = ten.keys.get(key)
            cand = live.get(iid, t) if iid else None
            if cand is not None and t - cand.last_added <= self._windows[key[0]]:
                linked[cand.incident_id] = cand
        similar = self._similar(ten, attrs, annotations, t)
        ranked = sorted(linked.values(), key=_rank)
        best = min(ranked[0], similar, key=_rank) if ranked and similar else (
            ranked[0] if ranked else similar)
        merge = self.rules.merge
        if best is None or not merge.enabled or best.incident_id not in linked:
            return best, []  # folding needs a strong link to both sides, not mere similarity
        return best, [i for i in ranked if i is not best and t - i.opened_at <= merge.window]

    def _similar(self, ten: _Tenant, attrs: dict[str, str], annotations: dict[str, str],
                 t: float) -> OpenIncident | None:
        sim = self.rules.similarity
        if not sim.enabled:
            return None
        scope = tuple(attrs.get(n, "") for n in sim.same)
        ids = ten.by_scope.get(scope)
        if not ids:
            return None
        host, service, template = attrs["_host"], attrs.get("service"), attrs["_template"]
        mentions = {w.strip(_STRIP).lower() for text in annotations.values()
                    for w in text.split()}
        best, best_score = None, sim.threshold
        for iid in ids:
            inc = ten.incidents.get(iid, t)
            if inc is None or t - inc.last_added > sim.window:
                continue
            score = ((sim.host if host and host in inc.hosts else 0.0)
                     + (sim.service if service and service in inc.services else 0.0)
                     + (sim.template if template in inc.templates else 0.0)
                     + (sim.mention if not mentions.isdisjoint(inc.entities) else 0.0))
            if score >= best_score and (best is None or score > best_score
                                        or inc.last_added > best.last_added):
                best, best_score = inc, score
        return best

    # --- suppression --------------------------------------------------------------------

    def _silences(self, tid: str, attrs: dict[str, str], t: float) -> tuple[str, ...]:
        marks = tuple(f"silence:{s.id}" for s in self.rules.silences if s.mutes(tid, attrs, t))
        if self.runtime_silences:
            marks += tuple(f"silence:{sid}"
                           for sid in self.runtime_silences.muting(tid, attrs, t))
        return marks

    def _index_inhibition(self, ten: _Tenant, tid: str, rec: AlertRecord, t: float,
                          out: ClusterOutput) -> tuple[list[tuple[int, str]], list[str]]:
        """Register the alert as a source/target; return (rule, source) muting it, its targets."""
        inhibited_by: list[tuple[int, str]] = []
        my_targets: list[str] = []
        fp, attrs = rec.fingerprint, rec.attrs
        for i, rule in enumerate(self.rules.inhibit):
            key = rule.equal_key(attrs)
            if rule.is_target(attrs):
                ten.targets[i].setdefault(key, set()).add(fp)
                inhibited_by.extend((i, s) for s in ten.sources[i].get(key, ()) if s != fp)
            if rule.is_source(attrs):
                sources = ten.sources[i].setdefault(key, set())
                first = not (sources - {fp})
                sources.add(fp)
                targets = [x for x in ten.targets[i].get(key, ()) if x != fp]
                my_targets.extend(targets)
                if first:
                    self._remark(ten, tid, targets, t, out)
        return inhibited_by, my_targets

    def _unindex_inhibition(self, ten: _Tenant, tid: str, rec: AlertRecord, t: float,
                            out: ClusterOutput) -> None:
        fp = rec.fingerprint
        for i, rule in enumerate(self.rules.inhibit):
            key = rule.equal_key(rec.attrs)
            for index in (ten.targets[i], ten.sources[i]):
                members = index.get(key)
                if members is not None and fp in members:
                    members.discard(fp)
                    if not members:
                        del index[key]
                    if index is ten.sources[i] and not members:
                        self._remark(ten, tid, list(ten.targets[i].get(key, ())), t, out)

    def _remark(self, ten: _Tenant, tid: str, fingerprints: list[str], t: float,
                out: ClusterOutput) -> None:
        """Re-evaluate muting of firing alerts whose sources came or went; report changes."""
        for fp in fingerprints:
            rec = ten.dedup.records.get(fp, t)
            if rec is None or rec.status != "firing":
                continue
            attrs = rec.attrs
            marks = self._silences(tid, attrs, t) + tuple(
                f"inhibit:{rule.name}" for i, rule in enumerate(self.rules.inhibit)
                if rule.is_target(attrs)
                and ten.sources[i].get(rule.equal_key(attrs), set()) - {fp})
            if marks != rec.suppressed_by:
                rec.suppressed_by = marks
                out.assignments.append(Assignment(tid, rec.event_id, fp, "remark", "firing",
                                                  rec.incident_id, attrs.get("_template"), marks))

    # --- timers and emission ------------------------------------------------------------

    def _maybe_emit(self, ten: _Tenant, inc: OpenIncident, t: float, out: ClusterOutput) -> None:
        if t - inc.last_emit >= self.rules.lifecycle.group_interval:
            out.incidents.append(self._version(ten, inc, "updated", t))
        else:
            ten.pending.add(inc.incident_id)

    def _version(self, ten: _Tenant, inc: OpenIncident, state: str, t: float,
                 merged_into: str | None = None) -> IncidentVersion:
        records = ten.dedup.records
        muted = all((r := records.get(fp, t)) is not None and r.suppressed_by
                    for fp in inc.members)
        snap = inc.snapshot("resolved" if state == "resolved" else "updated", t, suppressed=muted,
                            merged_into=merged_into)
        return IncidentVersion(inc.tenant, snap, muted)

    def _fold(self, ten: _Tenant, tid: str, into: OpenIncident, other: OpenIncident, t: float,
              out: ClusterOutput) -> None:
        """Fold ``other`` into ``into``: its alerts (re-assigned and reported as re-marks),
        keys and scope move over; its last version says where they went."""
        oid, iid = other.incident_id, into.incident_id
        into.absorb(other)
        for fp in other.members:
            r = ten.dedup.records.get(fp, t)
            if r is not None and r.incident_id == oid:
                r.incident_id = iid
                out.assignments.append(Assignment(tid, r.event_id, fp, "remark", r.status, iid,
                                                  r.attrs.get("_template"), r.suppressed_by))
        for key in other.keys:
            if ten.keys.get(key) == oid:
                ten.keys[key] = iid
        ten.incidents.delete(oid)
        self._unscope(ten, other)
        out.incidents.append(self._version(ten, other, "resolved", t, merged_into=iid))

    def _timers(self, t: float, *, force: bool, tenant: str | None = None) -> ClusterOutput:
        out = ClusterOutput()
        life = self.rules.lifecycle
        chosen = (self._tenants.items() if tenant is None else
                  [(tenant, self._tenants[tenant])] if tenant in self._tenants else [])
        for tid, ten in chosen:
            for _, inc in ten.incidents.expire(t):  # quiet for quiet_timeout
                self._close(ten, inc, t, out)
            for rec in ten.dedup.expire(t):
                self._unindex_inhibition(ten, tid, rec, t, out)
            for iid in list(ten.pending):
                inc = ten.incidents.get(iid, t)
                if inc is None:
                    ten.pending.discard(iid)
                elif inc.all_resolved_at is not None and (
                        force or t - inc.all_resolved_at >= life.resolve_grace):
                    ten.incidents.delete(iid)
                    self._close(ten, inc, t, out)
                elif inc.dirty and (force or t - inc.last_emit >= life.group_interval):
                    out.incidents.append(self._version(ten, inc, "updated", t))
                    if inc.all_resolved_at is None:  # else it stays pending until resolved
                        ten.pending.discard(iid)
        return out

    def _close(self, ten: _Tenant, inc: OpenIncident, t: float, out: ClusterOutput) -> None:
        """Resolve: emit the last version and drop every index entry pointing at it."""
        iid = inc.incident_id
        for key in inc.keys:
            if ten.keys.get(key) == iid:
                del ten.keys[key]
        self._unscope(ten, inc)
        out.incidents.append(self._version(ten, inc, "resolved", t))

    @staticmethod
    def _unscope(ten: _Tenant, inc: OpenIncident) -> None:
        ten.pending.discard(inc.incident_id)
        ids = ten.by_scope.get(inc.scope)
        if ids is not None:
            ids.discard(inc.incident_id)
            if not ids:
                del ten.by_scope[inc.scope]


def _rank(inc: OpenIncident) -> tuple[int, float]:
    """Larger first, then older: when a storm started as two incidents, the bigger keeps it."""
    return -len(inc.members), inc.opened_at
