"""The notify processor: incident versions in, notifications per receiver out.

Each incident version is matched against the routing tree (``schemas/routing.py``); every
route that takes it puts it in an aggregation group, keyed by tenant, route and the values of
the route's ``group_by`` labels (one group per incident by default). A group tells its
receiver, in Alertmanager's rhythm (wall clock, like Alertmanager):

- ``group_wait`` after the group opened, the first notification (``new``; 0 = at once);
- then at most every ``group_interval``, and only if a member changed what a person would act
  on: it is new to the group, or its severity or state (open/resolved) changed (``changed``,
  or ``resolved`` when no member is open any more);
- with nothing new, again every ``repeat_interval`` while a member is open (``repeat``).

Alert counts and titles ride along in the next notification but do not by themselves cause
one: that is what keeps a storm from paging every minute. Members muted by a run-time silence
(or suppressed by the alert rules, unless ``send_suppressed``) are left out of notifications
(their resolution is still told to a receiver that heard of them); when the silence ends
they count as changed. A member that resolves before its receiver heard of it is dropped
without a word. An incident that a route stops taking (its severity or scope changed) is
told resolved to that route's receiver: no page is left open that nothing would close.
A group whose members have all resolved and been told is deleted;
members not updated for ``member_ttl_s`` are forgotten (state TTL).

``dedup_key`` is ``<tenant>/<receiver>/<group hash>/<sequence>``: the same notification
replayed has the same key, so receivers deliver it once.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime

from processors.notify.silences import SilenceBook
from schemas.derived import IncidentEvent
from schemas.insights import CorrelatedIncidentEvent, TicketEscalationEvent
from schemas.notify import IncidentBrief, Notification, NotificationEvent, SilenceEvent
from schemas.routing import Resolved, Routing, match, resolve

SOURCE = "aiops/notify"
STATE_VERSION = 2
_RANK = {"critical": 3, "error": 2, "warning": 1, "info": 0}


def incident_labels(tenant: str, b: IncidentBrief) -> dict[str, str | tuple[str, ...]]:
    return {"tenant": tenant, "kind": b.kind, "severity": b.severity,
            "state": "resolved" if not b.is_open else "open",
            "suppressed": str(b.suppressed).lower(), "correlated": str(b.correlated).lower(),
            "site": tuple(b.sites), "service": tuple(b.services), "host": tuple(b.hosts),
            "incident": b.incident_id}


def _signature(b: IncidentBrief) -> tuple:
    """What a person acts on; a change of it is worth a notification (people reporting the
    incident too: tickets or help searches joined to it)."""
    return (b.is_open, b.severity, b.suppressed) + ((True,) if b.correlated else ())


@dataclass(slots=True)
class Group:
    tenant: str
    route: str
    receiver: str
    labels: dict[str, str]
    partition: int
    opened: float
    members: dict[str, IncidentBrief] = field(default_factory=dict)
    touched: dict[str, float] = field(default_factory=dict)
    sent: dict[str, tuple] = field(default_factory=dict)
    """Signature of each member as last told to the receiver."""
    source_time: float = 0.0
    last_flush: float | None = None
    sequence: int = 0
    epoch: str = ""
    """Set when the group opens: a group made again later under the same key (after its
    incidents resolved) gets new dedup keys, never the old ones."""


class NotifyProcessor:
    def __init__(self, routing: Routing, *, member_ttl_s: float = 3 * 86_400.0,
                 receiver_types: dict[str, str] | None = None) -> None:
        self.routing = routing
        self.tree: Resolved = resolve(routing.route)
        self.routes = {r.path: r for r in _flatten(self.tree)}
        self.types = receiver_types or {r.name: r.type for r in routing.receivers}
        self.member_ttl_s = member_ttl_s
        self.silences = SilenceBook()
        self.groups: dict[str, Group] = {}
        self._dirty: set[str] = set()
        self._partition_of: dict[str, int] = {}
        """Partition of every group key written to the state topic (for its tombstone)."""
        self._where: dict[tuple[str, str], set[str]] = {}
        """(tenant, incident id) -> keys of the groups it is a member of (derived state)."""
        self.dropped: dict[str, int] = {"muted": 0}

    # -- input ---------------------------------------------------------------------------------
    def on_side(self, event: SilenceEvent, *, now: float) -> list:
        """A silence record (side input): muting applies from the next flush on."""
        self.silences.put(event.tenant_id, event.data)
        return []

    def on_event(self, event: IncidentEvent | CorrelatedIncidentEvent | TicketEscalationEvent,
                 *, partition: int, now: float) -> list:
        if isinstance(event, CorrelatedIncidentEvent):
            return self._correlated(event, partition, now)
        if isinstance(event, TicketEscalationEvent):
            return self._incident(event, IncidentBrief.of_escalation(event.data), partition, now)
        return self._incident(event, IncidentBrief.of(event.data), partition, now)

    def _correlated(self, event: CorrelatedIncidentEvent, partition: int, now: float) -> list:
        """Marks the alert incidents it joined as correlated, with its evidence; one that
        joined no alert incident (people reporting what no alert sees) is a member itself."""
        c = event.data
        lines = [f"{e.kind}: {e.title or e.ref} ({e.why})" for e in c.evidence[-5:]][::-1]
        if not c.incident_ids:
            return self._incident(event, IncidentBrief.of_correlated(c, lines), partition, now)
        out = []
        for iid in c.incident_ids:
            for key in list(self._where.get((event.tenant_id, iid), ())):
                g = self.groups.get(key)
                b = g.members.get(iid) if g is not None else None
                if g is None or b is None or not b.is_open:
                    continue
                marked = b.model_copy(update={"correlated": True, "evidence": lines})
                out.extend(self._incident(event, marked, partition, now, only={key}))
        return out

    def _incident(self, event: IncidentEvent | CorrelatedIncidentEvent | TicketEscalationEvent,
                  brief: IncidentBrief, partition: int, now: float,
                  only: set[str] | None = None) -> list:
        tenant = event.tenant_id
        labels = incident_labels(tenant, brief)
        member = (tenant, brief.incident_id)
        out = []
        keys = set()
        for route in match(self.tree, labels):
            key, glabels = self._group_key(tenant, route, labels)
            if only is not None and key not in only:
                continue
            keys.add(key)
            g = self.groups.get(key)
            if g is None:
                if not brief.is_open:
                    continue  # resolved before anyone heard of it
                g = self.groups[key] = Group(tenant, route.path, route.receiver, glabels,
                                             partition, now, epoch=_epoch(now))
            out.extend(self._update(key, g, route, brief, event, now))
        # groups it no longer belongs to (its severity or scope changed): their receivers
        # are told it resolved there, so no page is left open that nothing will close
        for key in (self._where.get(member, set()) - keys) if only is None else ():
            g = self.groups.get(key)
            route = self.routes.get(g.route) if g is not None else None
            if g is not None and route is not None and brief.incident_id in g.members:
                gone = brief.model_copy(update={"state": "resolved"})
                out.extend(self._update(key, g, route, gone, event, now))
        return out

    def _update(self, key: str, g: Group, route: Resolved, brief: IncidentBrief,
                event: IncidentEvent | CorrelatedIncidentEvent | TicketEscalationEvent,
                now: float) -> list:
        old = g.members.get(brief.incident_id)
        if old is not None and old.version > brief.version:
            return []
        if old is not None and old.correlated and not brief.correlated:
            # a later version from clustering: what people reported still holds
            brief = brief.model_copy(update={"correlated": True, "evidence": old.evidence})
        g.members[brief.incident_id] = brief
        g.touched[brief.incident_id] = now
        self._where.setdefault((g.tenant, brief.incident_id), set()).add(key)
        # an escalation's time is its ticket text's; it was reported when it reached us
        reported = now if isinstance(event, TicketEscalationEvent) else event.time.timestamp()
        g.source_time = max(g.source_time, reported)
        self._dirty.add(key)
        return self._maybe_flush(key, g, route, now)

    def on_timer(self, now: float) -> list:
        out = []
        for key, g in list(self.groups.items()):
            for iid, t in list(g.touched.items()):
                if now - t > self.member_ttl_s:
                    self._remove(key, g, iid)
            if not g.members:
                self._delete(key)
                continue
            route = self.routes.get(g.route)
            if route is None:  # the tree changed under restored state
                self._delete(key)
                continue
            out.extend(self._maybe_flush(key, g, route, now))
        self.silences.expire_old(now)
        return out

    # -- flushing ------------------------------------------------------------------------------
    def _visible(self, g: Group, now: float) -> dict[str, IncidentBrief]:
        out = {}
        for iid, b in g.members.items():
            if not b.is_open and iid in g.sent:
                out[iid] = b  # a receiver told it is open hears that it resolved, muted or not
                continue
            if b.suppressed and not self.routing.send_suppressed:
                continue
            if self.silences.muting(g.tenant, incident_labels(g.tenant, b), now):
                continue
            out[iid] = b
        return out

    def _maybe_flush(self, key: str, g: Group, route: Resolved, now: float) -> list:
        # resolved and never told (or not to be told): nothing to say about it, ever
        for iid, b in list(g.members.items()):
            if not b.is_open and (iid not in g.sent or not self.routing.send_resolved):
                self._remove(key, g, iid)
        visible = self._visible(g, now)
        changed = [iid for iid, b in visible.items() if g.sent.get(iid) != _signature(b)]
        any_open = any(b.is_open for b in visible.values())
        if g.last_flush is None:
            if not changed or now < g.opened + route.group_wait:
                return self._gc(key, g)
            reason = "new"
        elif changed and now >= g.last_flush + route.group_interval:
            reason = "changed" if any_open else "resolved"
        elif not changed and any_open and now >= g.last_flush + route.repeat_interval:
            reason = "repeat"
        else:
            return self._gc(key, g)
        members = list(visible.values())
        g.sequence += 1
        g.last_flush = now
        for b in members:
            g.sent[b.incident_id] = _signature(b)
        self._dirty.add(key)
        n = self._notification(key, g, route, members, reason, now)
        for b in members:  # told it resolved, or a ticket told once: nothing more to say
            if not b.is_open or b.kind == "ticket":
                self._remove(key, g, b.incident_id)
        self._gc(key, g)
        return [n]

    def _remove(self, key: str, g: Group, iid: str) -> None:
        g.members.pop(iid, None)
        g.touched.pop(iid, None)
        g.sent.pop(iid, None)
        self._unindex(key, g.tenant, iid)
        self._dirty.add(key)

    def _unindex(self, key: str, tenant: str, iid: str) -> None:
        where = self._where.get((tenant, iid))
        if where is not None:
            where.discard(key)
            if not where:
                del self._where[(tenant, iid)]

    def _gc(self, key: str, g: Group) -> list:
        if not g.members:
            self._delete(key)
        return []

    def _delete(self, key: str) -> None:
        g = self.groups.pop(key, None)
        if g is not None:
            for iid in list(g.members):
                self._remove(key, g, iid)
            self._dirty.add(key)

    def _notification(self, key: str, g: Group, route: Resolved, members: list[IncidentBrief],
                      reason: str, now: float) -> NotificationEvent:
        members.sort(key=lambda b: (not b.is_open, -_RANK[b.severity], b.first_seen))
        firing = [b for b in members if b.is_open]
        worst = max(members, key=lambda b: _RANK[b.severity]).severity
        status = "firing" if firing else "resolved"
        head = firing[0] if firing else members[0]
        title = head.title if len(members) == 1 else f"{head.title} (+{len(members) - 1} more)"
        dedup = f"{g.tenant}/{g.receiver}/{_short(key + g.epoch)}/{g.sequence}"
        body = "\n".join(f"[{b.severity}] {b.title} — {b.alert_count} alert(s), "
                         f"{'open' if b.is_open else 'resolved'}" for b in members[:20])
        n = Notification(
            notification_id=_short(dedup), dedup_key=dedup, receiver=g.receiver,
            receiver_type=self.types[g.receiver], route=route.path,  # type: ignore[arg-type]
            group_key=f"{g.tenant}/{route.path}:{_braces(g.labels)}", group_labels=g.labels,
            status=status, reason=reason, severity=worst,  # type: ignore[arg-type]
            title=f"[{status.upper()}] {title}"[:1024], body=body, incidents=members,
            sequence=g.sequence, created_at=datetime.fromtimestamp(now, UTC),
            source_time=datetime.fromtimestamp(g.source_time or now, UTC))
        return NotificationEvent(id=n.notification_id, source=SOURCE, tenant_id=g.tenant,
                                 data=n)

    def _group_key(self, tenant: str, route: Resolved,
                   labels: dict[str, str | tuple[str, ...]]) -> tuple[str, dict[str, str]]:
        glabels = {}
        for name in route.group_by:
            v = labels.get(name, "")
            glabels[name] = ",".join(sorted(v)) if isinstance(v, tuple) else v
        return f"{tenant}|{route.path}|{_braces(glabels)}", glabels

    # -- state ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, tuple[int, bytes | None]]:
        out: dict[str, tuple[int, bytes | None]] = {}
        for key in self._dirty:
            g = self.groups.get(key)
            if g is not None:
                self._partition_of[key] = g.partition
                out[key] = (g.partition, pickle.dumps((STATE_VERSION, g)))
            elif key in self._partition_of:  # written before: its tombstone
                out[key] = (self._partition_of.pop(key), None)
        self._dirty.clear()
        return out

    def restore(self, key: str, blob: bytes | None, partition: int) -> None:
        old = self.groups.pop(key, None)
        if old is not None:
            for iid in list(old.members):
                self._remove(key, old, iid)
            self._dirty.discard(key)
        if blob is None:
            self._partition_of.pop(key, None)
            return
        self._partition_of[key] = partition
        version, g = pickle.loads(blob)
        route = self.routes.get(g.route) if version == STATE_VERSION else None
        if route is None or route.receiver != g.receiver or tuple(route.group_by) != tuple(
                g.labels):
            # made under another routing file (or release): forget it, tombstone included
            self.dropped["stale_group"] = self.dropped.get("stale_group", 0) + 1
            self._dirty.add(key)
            return
        g.partition = partition
        self.groups[key] = g
        for iid in g.members:
            self._where.setdefault((g.tenant, iid), set()).add(key)

    def drop_partitions(self, partitions: set[int]) -> None:
        for key, g in list(self.groups.items()):
            if g.partition in partitions:
                del self.groups[key]
                for iid in list(g.members):
                    self._unindex(key, g.tenant, iid)
                self._dirty.discard(key)
        for key in [k for k, p in self._partition_of.items() if p in partitions]:
            del self._partition_of[key]

    def __len__(self) -> int:
        return len(self.groups)


def _flatten(r: Resolved) -> list[Resolved]:
    out = [r]
    for c in r.routes:
        out.extend(_flatten(c))
    return out


def _braces(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _epoch(now: float) -> str:
    return f"{now:.6f}"


def _short(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()
