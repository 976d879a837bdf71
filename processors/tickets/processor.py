"""The tickets processor: every ticket text in, its insight (and maybe an escalation) out.

State, per tenant and partition (``tickets.events`` is keyed by tenant, so a tenant's
tickets and feedback arrive in one partition, in order):

- a thread per ticket (``{tenant}|t|{ticket_id}``): what the thread said so far, which
  escalation rules fired, its last texts (so feedback can name one); forgotten
  ``thread_ttl_s`` of event time after its last text;
- a contact list per requester (``{tenant}|r|{requester}``) for the repeat-contact rule,
  forgotten when it has no contact within the rule's window.

Time is event time: each partition's clock is the latest timestamp read from it, so TTLs and
SLA ages do not depend on how fast a replay runs (an idle partition's clock stands still).
Feedback becomes a ``TicketExample`` (the judged text and the right answer); every worker
learns from those on the side input, in the same order, so all hold the same model.
"""

from __future__ import annotations

import pickle
from typing import Any

from processors.tickets.analyse import Analyser, Verdict
from processors.tickets.escalate import SOURCE, age_rules, escalation, text_rules
from processors.tickets.learner import Learner
from processors.tickets.rules import TicketRules, load_rules
from processors.tickets.thread import Requester, TextRecord, Thread
from schemas.envelope import Envelope
from schemas.events import TicketEventEvent
from schemas.insights import (
    Reason,
    TicketExample,
    TicketExampleEvent,
    TicketFeedbackEvent,
    TicketInsight,
    TicketInsightEvent,
)

STATE_VERSION = 1
_VALIDATE = TicketInsightEvent.model_validate
_MAX_ID = 512 - len(":insight")
_SCHEMA_VERSION = TicketInsightEvent.model_fields["schema_version"].default
_set = object.__setattr__


def _build(cls: type[Any], values: dict[str, Any]) -> Any:
    """A pydantic model from values already valid, every field given (what
    ``model_construct`` does, without its per-field Python loop)."""
    m = cls.__new__(cls)
    _set(m, "__dict__", values)
    _set(m, "__pydantic_fields_set__", set(values))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


def _fast_ok() -> bool:
    """Whether ``_build`` makes what validation makes, with this pydantic (checked once)."""
    from datetime import UTC, datetime

    t = datetime(2026, 1, 1, tzinfo=UTC)
    data = {"ticket_id": "t", "text_id": "e", "seq": 0, "action": "created", "timestamp": t,
            "requester": None, "site": None, "service": None, "subject": "", "excerpt": "",
            "language": "en", "readable": True, "sentiment": "neutral",
            "sentiment_score": 0.0, "urgency": 0.5, "urgent": False, "thread_urgent": False,
            "reasons": [{"kind": "k", "evidence": "", "weight": 0.0}], "topics": [],
            "escalated": False}
    values = {"id": "e:insight", "source": SOURCE, "time": t, "tenant_id": "acme",
              "data": data}
    try:
        want = TicketInsightEvent.model_validate(values)
        got = _build(TicketInsightEvent, {
            "specversion": "1.0", "id": "e:insight", "source": SOURCE, "time": t,
            "tenant_id": "acme", "schema_version": _SCHEMA_VERSION,
            "type": "aiops.ticket-insight", "data": _build(TicketInsight, {
                **data, "reasons": [_build(Reason, data["reasons"][0])]})})
        return got == want and got.model_dump_json() == want.model_dump_json() and list(
            TicketInsight.model_fields) == list(data)
    except Exception:  # a pydantic whose internals differ: validate instead
        return False


_FAST = _fast_ok()
_AGENT_STATUSES = frozenset({"status_changed", "closed"})


class TicketsProcessor:
    def __init__(self, rules: TicketRules | None = None, *, thread_ttl_s: float = 14 * 86_400.0,
                 analyser: Analyser | None = None) -> None:
        self.rules = rules if rules is not None else load_rules()
        self.thread_ttl_s = thread_ttl_s
        self.analyser = analyser or Analyser(Learner())
        self.threads: dict[str, Thread] = {}
        self.requesters: dict[str, Requester] = {}
        self.clock: dict[int, float] = {}
        self._dirty: set[str] = set()
        self._gone: dict[str, int] = {}
        self.dropped: dict[str, int] = {"feedback_unknown_text": 0}

    @classmethod
    def from_settings(cls, section: Any) -> TicketsProcessor:
        rules = load_rules(getattr(section, "rules_path", "") or None)
        return cls(rules, thread_ttl_s=section.thread_ttl_s, analyser=Analyser(
            Learner(), sentiment_threshold=getattr(section, "sentiment_threshold", 0.9)))

    def __len__(self) -> int:
        return len(self.threads) + len(self.requesters)

    # -- input ---------------------------------------------------------------------------------
    def on_event(self, event: Any, *, partition: int, now: float) -> list[Envelope]:
        if isinstance(event, TicketFeedbackEvent):
            return self._feedback(event)
        return self._text(event, partition)

    def on_side(self, event: TicketExampleEvent, *, now: float = 0.0) -> list[Envelope]:
        """A learning example (from any worker's feedback): learn it, in stream order."""
        d = event.data
        self.analyser.learn(d.text, d.language, d.urgent, d.sentiment)
        return []

    def _text(self, ev: TicketEventEvent, partition: int) -> list[Envelope]:
        d = ev.data
        t = d.timestamp.timestamp()
        self.clock[partition] = max(self.clock.get(partition, t), t)
        key = f"{ev.tenant_id}|t|{d.ticket_id}"
        th = self.threads.get(key)
        if th is None:
            th = self.threads[key] = Thread(ev.tenant_id, d.ticket_id, partition, t, t)
            self._gone.pop(key, None)
        th.partition = partition
        th.last_seen = max(th.last_seen, t)
        if d.requester:
            th.requester = d.requester
        if d.site:
            th.site = d.site
        if d.service:
            th.service = d.service
        if d.priority:
            th.priority = d.priority
        if d.subject and not th.subject:
            th.subject = d.subject
        if d.action in _AGENT_STATUSES:
            th.agent_responded = True
        if d.action == "closed":
            th.closed, th.active = True, False
        self._dirty.add(key)
        text = f"{d.subject}\n{d.text}" if d.action == "created" and d.subject else d.text
        if not text.strip():
            return []
        reading = self.analyser.read(text, th.language, first=th.seq == 0)
        v = self.analyser.judge(reading, th, d.status)
        seq = th.seq
        self._update_thread(th, v)
        req = self._contact(ev.tenant_id, d.requester or th.requester, partition, t,
                            d.ticket_id) if not v.agent else None
        fired = text_rules(self.rules, th, v, req, t)
        out: list[Envelope] = [self._insight(ev, th, v, seq, text, escalated=bool(fired))]
        th.remember(TextRecord(ev.id, text[:4096], v.language, v.urgent, v.sentiment,
                               escalated=bool(fired)))
        th.last_text_id = ev.id
        if fired:
            out.append(escalation(th, ev.id, f"{ev.id}:escalation", fired, v.urgency,
                                  v.sentiment, t))
        return out

    def _update_thread(self, th: Thread, v: Verdict) -> None:
        th.seq += 1
        if not v.agent and v.language != "und":  # the requester's language is the prior
            th.language = v.language
        th.active = v.urgent and not v.ends_problem
        th.was_urgent = th.was_urgent or v.urgent
        th.peak = max(th.peak, v.urgency)
        th.last_urgency = v.urgency
        if v.agent:
            th.agent_responded = True
        elif v.readable:
            if th.first_sentiment is None:
                th.first_sentiment = v.sentiment_score
            th.sentiments = [*th.sentiments[-7:], v.sentiment_score]

    def _contact(self, tenant: str, requester: str | None, partition: int, t: float,
                 ticket_id: str) -> Requester | None:
        window = self.rules.contact_window
        if not requester or not window:
            return None
        key = f"{tenant}|r|{requester}"
        req = self.requesters.get(key)
        if req is None:
            req = self.requesters[key] = Requester(tenant, requester, partition)
            self._gone.pop(key, None)
        req.partition = partition
        req.contacts.append((t, ticket_id))
        req.trim(t, window)
        self._dirty.add(key)
        return req

    def _insight(self, ev: TicketEventEvent, th: Thread, v: Verdict, seq: int, text: str,
                 escalated: bool) -> TicketInsightEvent:
        """Built without re-validation when safe: every value is ours, typed and bounded here
        (ids and tenant from the validated input, strings cut to their limits, scores
        clamped); validating them again cost a tenth of the stage's time. An id too long for
        the ``:insight`` suffix takes the validating path (and fails there)."""
        values = self._insight_dict(ev, th, v, seq, escalated)
        if not _FAST or len(ev.id) > _MAX_ID:
            return _VALIDATE(values)
        data = values["data"]
        data["reasons"] = [_build(Reason, r) for r in data["reasons"]]
        return _build(TicketInsightEvent, {
            "specversion": "1.0", "id": values["id"], "source": SOURCE, "time": values["time"],
            "tenant_id": values["tenant_id"], "schema_version": _SCHEMA_VERSION,
            "type": "aiops.ticket-insight", "data": _build(TicketInsight, data)})

    @staticmethod
    def _insight_dict(ev: TicketEventEvent, th: Thread, v: Verdict, seq: int, escalated: bool
                      ) -> dict[str, Any]:
        d = ev.data
        return {
            "id": f"{ev.id}:insight", "source": SOURCE, "time": d.timestamp,
            "tenant_id": ev.tenant_id, "data": {
                "ticket_id": d.ticket_id, "text_id": ev.id, "seq": seq, "action": d.action,
                "timestamp": d.timestamp, "requester": _short(d.requester or th.requester),
                "site": _short(d.site or th.site), "service": _short(d.service or th.service),
                "subject": th.subject[:1024], "excerpt": (d.text or d.subject)[:512],
                "language": v.language[:256], "readable": v.readable, "sentiment": v.sentiment,
                "sentiment_score": round(v.sentiment_score, 4), "urgency": round(v.urgency, 4),
                "urgent": v.urgent, "thread_urgent": v.thread_urgent,
                "reasons": [{"kind": k[:256], "evidence": e[:256], "weight": w}
                            for k, e, w in v.reasons],
                "topics": v.topics, "escalated": escalated}}

    def _feedback(self, ev: TicketFeedbackEvent) -> list[Envelope]:
        fb = ev.data
        th = self.threads.get(f"{ev.tenant_id}|t|{fb.ticket_id}")
        rec = th.find_text(fb.insight_id) if th is not None else None
        if rec is None:  # the ticket was forgotten (TTL) or the text is not among its last
            self.dropped["feedback_unknown_text"] += 1
            return []
        if fb.verdict == "right":
            urgent, sentiment = (rec.urgent if fb.urgent is None else fb.urgent), fb.sentiment
        else:
            urgent = fb.urgent if fb.urgent is not None else (
                None if fb.sentiment is not None else not rec.urgent)
            sentiment = fb.sentiment
        return [TicketExampleEvent(
            id=f"{ev.id}:example", source=SOURCE, time=fb.timestamp, tenant_id=ev.tenant_id,
            data=TicketExample(
                ticket_id=fb.ticket_id, text_id=rec.text_id, timestamp=fb.timestamp,
                text=rec.text, language=rec.language, urgent=urgent, sentiment=sentiment,
                predicted_urgent=rec.urgent,
                predicted_sentiment=rec.sentiment))]  # type: ignore[arg-type]

    # -- time ----------------------------------------------------------------------------------
    def on_timer(self, now: float) -> list[Envelope]:
        """SLA ages and TTLs, each partition on its own event-time clock."""
        out: list[Envelope] = []
        window = self.rules.contact_window
        for key, th in list(self.threads.items()):
            clock = self.clock.get(th.partition)
            if clock is None:
                continue
            if clock - th.last_seen > self.thread_ttl_s:
                self._forget(key, th.partition, self.threads)
                continue
            fired = age_rules(self.rules, th, clock)
            if fired and th.last_text_id:
                names = "+".join(n for n, _ in fired)
                out.append(escalation(th, th.last_text_id,
                                      f"{th.last_text_id}:escalation:{names}", fired,
                                      th.peak, "neutral", clock))
                self._dirty.add(key)
        for key, req in list(self.requesters.items()):
            clock = self.clock.get(req.partition)
            if clock is None:
                continue
            req.trim(clock, window)
            if not req.contacts:
                self._forget(key, req.partition, self.requesters)
        return out

    def _forget(self, key: str, partition: int, table: dict) -> None:
        del table[key]
        self._dirty.discard(key)
        self._gone[key] = partition

    # -- state ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, tuple[int, bytes | None]]:
        out: dict[str, tuple[int, bytes | None]] = {k: (p, None) for k, p in self._gone.items()}
        for key in self._dirty:
            obj = self.threads.get(key) or self.requesters.get(key)
            if obj is not None:
                out[key] = (obj.partition, pickle.dumps((STATE_VERSION, obj), protocol=5))
        self._dirty.clear()
        self._gone.clear()
        return out

    def restore(self, key: str, blob: bytes | None, partition: int) -> None:
        table = self.threads if "|t|" in key else self.requesters
        if blob is None:
            table.pop(key, None)
            return
        version, obj = pickle.loads(blob)  # our own changelog topic: trusted
        if version != STATE_VERSION:
            return
        obj.partition = partition
        table[key] = obj
        seen = obj.last_seen if isinstance(obj, Thread) else max(
            (c[0] for c in obj.contacts), default=None)
        if seen is not None:
            self.clock[partition] = max(self.clock.get(partition, seen), seen)

    def drop_partitions(self, partitions: set[int]) -> None:
        for table in (self.threads, self.requesters):
            for key in [k for k, o in table.items() if o.partition in partitions]:
                del table[key]
                self._dirty.discard(key)
        for key in [k for k, p in self._gone.items() if p in partitions]:
            del self._gone[key]
        for p in partitions:
            self.clock.pop(p, None)


def _short(v: str | None) -> str | None:
    return v[:256] if v else v
