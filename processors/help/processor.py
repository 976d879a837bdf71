"""The help stage's processor: closed help sessions with their deflection outcome, and
help-traffic spikes per (tenant, site, topic).

Time. Each tenant has one event-time clock: the newest event time seen on either input
(``help.interactions`` or ``aiops.ticket-insights``, co-partitioned by tenant but not merged in
time order). Everything waits ``lateness_s`` on that clock, so one input may run up to that far
ahead of the other, in any interleaving and at any replay speed, without changing a result:

- a session closes once the clock passes its last interaction + ``session_gap_s`` + lateness
  (its boundary is the gap alone: an interaction ``session_gap_s`` or more after the previous
  one starts a new session);
- a closed session of a known user is ``failed`` as soon as a linking ticket is known
  (``sessions.py``), and ``deflected`` once the clock passes its end + ``deflection_window_s``
  + lateness; without a user id it is ``unknown`` at once. One event per session, written
  when its outcome is known;
- a spike window closes once the clock passes its end + lateness (``spikes.py``).

Late input is counted (``dropped``, exported as ``aiops_stage_dropped_events``), never folded
into what was already written: a ticket older than the clock by more than the lateness (it
could only link sessions already decided), an interaction whose session has closed or that is
older than the clock by the gap plus the lateness, an interaction for a window already closed
(it still counts for its session).

Wall clock. A tenant nothing arrived for in ``max(session_gap_s, deflection_window_s) +
lateness_s`` of wall time (a paused stream) has its clock follow the wall clock from its last
event on, so its sessions close, outcomes are decided and state expires; a busy replay never
triggers this, so its results do not depend on its speed.

State, keyed ``<tenant>|...`` and snapshot to the partition the tenant's input came from: the
tenant's clock (``|~clock``), sessions (``|s|<id>``, remembered ``session_memory_s`` after they
close), users (``|u|<user>``: sessions waiting for an outcome, recent tickets; gone when
empty) and spike series (``|w|<site>|<topic>``, forgotten ``series_ttl_s`` after their last
traffic). Every key has an event-time TTL, and the wall-clock rule above moves quiet tenants'
clocks, so memory stays bounded.
"""

from __future__ import annotations

import heapq
import math
import pickle
from dataclasses import dataclass

from processors.help.normalise import normalise_query
from processors.help.sessions import Ended, Session, Ticket, User, fit, session_event, user_key
from processors.help.spikes import Series, SpikeRules
from processors.help.stage import HelpSettings
from processors.help.topics import topic_of
from schemas.envelope import Envelope
from schemas.events import HelpInteractionEvent
from schemas.insights import TicketInsightEvent

Snapshot = dict[str, tuple[int, bytes | None]]
_CLOCK = "~clock"


@dataclass(slots=True)
class Tenant:
    name: str
    partition: int
    clock: float = -math.inf
    first_help: float | None = None
    """Start of the spike window of the tenant's first help interaction."""
    closed_to: float = -math.inf
    """Spike windows starting before this are closed."""


class HelpProcessor:
    def __init__(self, settings: HelpSettings | None = None) -> None:
        s = settings or HelpSettings()
        self.gap, self.window, self.lateness = s.session_gap_s, s.deflection_window_s, s.lateness_s
        self.memory = max(s.session_memory_s, s.session_gap_s + s.lateness_s)
        self.rules = SpikeRules.of(s)
        self.idle_s = max(self.gap, self.window) + self.lateness
        self.tenants: dict[str, Tenant] = {}
        self.sessions: dict[str, Session] = {}
        self.users: dict[str, User] = {}
        self.series: dict[str, Series] = {}
        self.keys: dict[str, set[str]] = {}
        """Per tenant: its session, user and series keys."""
        self.due: dict[str, list[tuple[float, str]]] = {}
        """Per tenant: a heap of (clock at which to look at a key again, key)."""
        self.heard: dict[str, tuple[float, float] | None] = {}
        """Per tenant: (wall time, its clock) at its last event; None: restored, not heard."""
        self.dirty: set[str] = set()
        self.deleted: dict[str, int] = {}
        self.late = {"late_interactions": 0, "late_tickets": 0, "late_for_window": 0}

    @classmethod
    def from_settings(cls, section: HelpSettings) -> HelpProcessor:
        return cls(section)

    def __len__(self) -> int:
        return len(self.tenants) + len(self.sessions) + len(self.users) + len(self.series)

    @property
    def dropped(self) -> dict[str, int]:
        return dict(self.late)

    # -- input -------------------------------------------------------------------------------
    def on_event(self, event: object, *, partition: int = -1, now: float) -> list[Envelope]:
        if isinstance(event, HelpInteractionEvent):
            ts = event.data.timestamp.timestamp()
            ten = self._tenant(event.tenant_id, partition)
            out = self._interaction(ten, event, ts)
        elif isinstance(event, TicketInsightEvent):
            ts = event.data.timestamp.timestamp()
            ten = self._tenant(event.tenant_id, partition)
            out = self._ticket(ten, event, ts)
        else:
            return []
        out += self._advance(ten, ts)
        self.heard[ten.name] = (now, ten.clock)
        return out

    def _interaction(self, ten: Tenant, ev: HelpInteractionEvent, ts: float) -> list[Envelope]:
        d = ev.data
        if ts + self.gap + self.lateness < ten.clock:
            self.late["late_interactions"] += 1
            return []
        if ten.first_help is None:
            ten.first_help = ts - ts % self.rules.window_s
            self._touch(self._clock_key(ten))
        out: list[Envelope] = []
        key = f"{ten.name}|s|{d.session_id}"
        sess = self.sessions.get(key)
        if sess is not None and not sess.closed and ts >= sess.last + self.gap:
            out += self._close(ten, key, sess)
        if sess is None or sess.closed:
            if sess is not None and ts < sess.last + self.gap:
                self.late["late_interactions"] += 1  # its session was written already
                return out
            repeats = 0 if sess is None else sess.repeats + 1
            stem = d.session_id if repeats == 0 else f"{d.session_id}@{ts:.0f}"
            sess = self.sessions[key] = Session(ten.name, d.session_id, stem, ts, ts,
                                                repeats=repeats)
            self.keys[ten.name].add(key)
            self._push(ten, ts + self.gap + self.lateness, key)
        query = normalise_query(d.query) if d.query else ""
        topic = topic_of(query) if query else None
        sess.add(d, ts, query or None, topic)
        self._touch(key)
        if (name := user_key(sess.user)) is not None:
            ukey, user = self._user(ten, name)
            if user.open.get(key) != sess.start:
                user.open[key] = sess.start
                self._touch(ukey)
        if d.kind != "vote":
            about = topic if d.kind != "article_view" else (sess.topic or d.article_id)
            if about:
                self._count(ten, d.site or "", about, ts, d.session_id, query or None)
        return out

    def _ticket(self, ten: Tenant, ev: TicketInsightEvent, ts: float) -> list[Envelope]:
        d = ev.data
        name = user_key(d.requester)
        if d.seq != 0 or name is None:
            return []
        if ts + self.lateness < ten.clock:
            self.late["late_tickets"] += 1  # it could only link sessions decided already
            return []
        ukey, user = self._user(ten, name)
        ticket = Ticket(fit(d.ticket_id, 256), ts)
        out: list[Envelope] = []
        for p in [p for p in user.pending if p.start <= ts <= p.end + self.window]:
            user.pending.remove(p)
            out.append(session_event(ten.name, p.stem, p.data, "failed", ticket.ticket_id))
        user.add_ticket(ticket)
        self._touch(ukey)
        return out + self._settle_user(ten, ukey)

    def _count(self, ten: Tenant, site: str, topic: str, ts: float, sid: str,
               query: str | None) -> None:
        w = ts - ts % self.rules.window_s
        if w < ten.closed_to:
            self.late["late_for_window"] += 1
            return
        key = f"{ten.name}|w|{site}|{topic}"
        series = self.series.get(key)
        if series is None:
            assert ten.first_help is not None
            series = self.series[key] = Series.new(ten.name, site, topic, ten.first_help,
                                                   ten.closed_to, self.rules)
            self.keys[ten.name].add(key)
        series.add(w, sid, query)
        self._touch(key)

    # -- event time --------------------------------------------------------------------------
    def _advance(self, ten: Tenant, ts: float) -> list[Envelope]:
        """Move the tenant's clock to ``ts`` (if later) and do what became due."""
        if ts > ten.clock:
            ten.clock = ts
            self._touch(self._clock_key(ten))
        out: list[Envelope] = []
        heap = self.due.get(ten.name, [])
        while heap and heap[0][0] < ten.clock:
            key = heapq.heappop(heap)[1]
            if key in self.sessions:
                out += self._session_due(ten, key)
            elif key in self.users:
                out += self._settle_user(ten, key)
        return out + self._close_windows(ten)

    def _session_due(self, ten: Tenant, key: str) -> list[Envelope]:
        sess = self.sessions[key]
        if not sess.closed:
            if sess.last + self.gap + self.lateness < ten.clock:
                return self._close(ten, key, sess)
            self._push(ten, sess.last + self.gap + self.lateness, key)
        elif sess.last + self.memory < ten.clock:
            self._delete(ten, key)
        else:
            self._push(ten, sess.last + self.memory, key)
        return []

    def _close(self, ten: Tenant, key: str, sess: Session) -> list[Envelope]:
        data = sess.summary()
        sess.forget_content()
        self._touch(key)
        self._push(ten, sess.last + self.memory, key)
        name = user_key(sess.user)
        if name is None:
            return [session_event(ten.name, sess.stem, data, "unknown")]
        ukey, user = self._user(ten, name)
        user.open.pop(key, None)
        self._touch(ukey)
        out: list[Envelope] = []
        if (ticket := user.first_ticket(sess.start, sess.last, self.window)) is not None:
            out.append(session_event(ten.name, sess.stem, data, "failed", ticket.ticket_id))
        elif sess.last + self.window + self.lateness < ten.clock:
            out.append(session_event(ten.name, sess.stem, data, "deflected"))
        else:
            user.pending.append(Ended(sess.stem, sess.start, sess.last, data))
        return out + self._settle_user(ten, ukey)

    def _settle_user(self, ten: Tenant, ukey: str) -> list[Envelope]:
        """Decide what the clock has decided, forget tickets that can link nothing any more,
        and look again when the next of the rest falls due."""
        user, clock = self.users[ukey], ten.clock
        out: list[Envelope] = []
        for p in [p for p in user.pending if p.end + self.window + self.lateness < clock]:
            user.pending.remove(p)
            out.append(session_event(ten.name, p.stem, p.data, "deflected"))

        def needed(t: Ticket) -> bool:  # a session that may still link it is open, or may come
            return (t.ts + self.gap + self.lateness >= clock
                    or any(start <= t.ts for start in user.open.values()))

        kept = [t for t in user.tickets if needed(t)]
        if len(kept) != len(user.tickets) or out:
            user.tickets = kept
            self._touch(ukey)
        if user.empty():
            self._delete(ten, ukey)
            return out
        times = [p.end + self.window + self.lateness for p in user.pending]
        times += [t.ts + self.gap + self.lateness for t in kept
                  if t.ts + self.gap + self.lateness >= clock]
        if times:
            self._push(ten, min(times), ukey)
        return out

    def _close_windows(self, ten: Tenant) -> list[Envelope]:
        ws = self.rules.window_s
        if ten.first_help is None or not math.isfinite(ten.clock):
            return []
        limit = math.ceil((ten.clock - self.lateness) / ws) * ws - ws
        if limit <= ten.closed_to:
            return []
        ten.closed_to = limit
        self._touch(self._clock_key(ten))
        out: list[Envelope] = []
        for key in sorted(k for k in self.keys[ten.name] if k in self.series):
            series = self.series[key]
            out += series.advance(limit, self.rules)
            if series.expired(limit, self.rules):
                self._delete(ten, key)
            else:
                self._touch(key)
        return out

    # -- wall clock --------------------------------------------------------------------------
    def on_timer(self, now: float) -> list[Envelope]:
        """A tenant quiet for ``idle_s`` of wall time has its clock follow the wall clock."""
        out: list[Envelope] = []
        for name in sorted(self.heard):
            ten, heard = self.tenants.get(name), self.heard[name]
            if ten is None:
                self.heard.pop(name)
                continue
            if heard is None:
                self.heard[name] = (now, ten.clock)  # restored: its full idle time from now
                continue
            wall, clock = heard
            if now - wall < self.idle_s:
                continue
            out += self._advance(ten, clock + (now - wall))
            if not self.keys[name]:  # nothing left: forget the tenant too
                self.deleted[self._clock_key(ten)] = ten.partition
                self.dirty.discard(self._clock_key(ten))
                for d in (self.tenants, self.keys, self.due, self.heard):
                    d.pop(name, None)
        return out

    # -- state -------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        out: Snapshot = {}
        for key in self.dirty:
            tenant, rest = key.split("|", 1)
            obj = self.tenants.get(tenant) if rest == _CLOCK else self._record(key)
            if obj is not None and tenant in self.tenants:
                out[key] = (self.tenants[tenant].partition, pickle.dumps(obj, protocol=5))
        out.update({k: (p, None) for k, p in self.deleted.items()})
        self.dirty.clear()
        self.deleted.clear()
        return out

    def restore(self, key: str, blob: bytes | None, partition: int) -> None:
        tenant = key.split("|", 1)[0]
        ten = self._tenant(tenant, partition)
        self.heard[tenant] = None
        if blob is None:
            for d in (self.sessions, self.users, self.series):
                d.pop(key, None)
            self.keys[tenant].discard(key)
            return
        obj = pickle.loads(blob)  # our own changelog topic: trusted
        if isinstance(obj, Tenant):
            obj.partition = partition
            obj.clock = max(obj.clock, ten.clock)
            self.tenants[tenant] = obj
            return
        self.keys[tenant].add(key)
        if isinstance(obj, Session):
            self.sessions[key] = obj
            self._push(ten, obj.last + (self.memory if obj.closed else self.gap + self.lateness),
                       key)
        elif isinstance(obj, User):
            self.users[key] = obj
            times = [p.end + self.window for p in obj.pending] + [t.ts for t in obj.tickets]
            self._push(ten, min(times, default=ten.clock), key)
        elif isinstance(obj, Series):
            self.series[key] = obj

    def drop_partitions(self, partitions: set[int]) -> None:
        for name in [n for n, t in self.tenants.items() if t.partition in partitions]:
            for key in self.keys.pop(name, set()) | {f"{name}|{_CLOCK}"}:
                for d in (self.sessions, self.users, self.series):
                    d.pop(key, None)
                self.dirty.discard(key)
                self.deleted.pop(key, None)
            for m in (self.tenants, self.due, self.heard):
                m.pop(name, None)

    # -- helpers -----------------------------------------------------------------------------
    def _tenant(self, name: str, partition: int) -> Tenant:
        ten = self.tenants.get(name)
        if ten is None:
            ten = self.tenants[name] = Tenant(name, partition)
            self.keys.setdefault(name, set())
        elif ten.partition != partition:
            ten.partition = partition  # keyed by tenant: only if the topic was repartitioned
            self.dirty.update(self.keys[name])
        return ten

    def _user(self, ten: Tenant, name: str) -> tuple[str, User]:
        key = f"{ten.name}|u|{name}"
        user = self.users.get(key)
        if user is None:
            user = self.users[key] = User(ten.name, name)
            self.keys[ten.name].add(key)
            self._touch(key)
        return key, user

    def _record(self, key: str) -> Session | User | Series | None:
        return self.sessions.get(key) or self.users.get(key) or self.series.get(key)

    def _push(self, ten: Tenant, at: float, key: str) -> None:
        heapq.heappush(self.due.setdefault(ten.name, []), (at, key))

    def _touch(self, key: str) -> None:
        self.dirty.add(key)
        self.deleted.pop(key, None)

    def _delete(self, ten: Tenant, key: str) -> None:
        for d in (self.sessions, self.users, self.series):
            d.pop(key, None)
        self.keys[ten.name].discard(key)
        self.dirty.discard(key)
        self.deleted[key] = ten.partition

    @staticmethod
    def _clock_key(ten: Tenant) -> str:
        return f"{ten.name}|{_CLOCK}"
