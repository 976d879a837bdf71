"""Per-ticket and per-requester state, and how a thread changes what a comment means.

A comment is judged in its thread: while an urgent problem is going on (``active``), a text
that does not say it is fixed or handled ("still down", "any update?", an agent's "engineer
on the way") stays urgent; "fixed, thanks" ends it. A problem that comes back after a fix
("works now but 1400 still says period not open") is urgent again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from processors.tickets.scoring import TextScore

THREAD_CARRY = 1.0
"""Logit of a text that continues an urgent problem without saying it is over."""
RESOLVING = -1.5
"""A text whose fix/handled cues sum to this or less ends an urgent problem."""
KEEP_TEXTS = 4


@dataclass(slots=True)
class TextRecord:
    """A recent text of the thread, kept so feedback can name it and become an example."""

    text_id: str
    text: str
    language: str
    urgent: bool
    sentiment: str
    escalated: bool = False


@dataclass(slots=True)
class Thread:
    tenant: str
    ticket_id: str
    partition: int
    opened: float
    last_seen: float
    seq: int = 0
    requester: str | None = None
    site: str | None = None
    service: str | None = None
    subject: str = ""
    priority: str | None = None
    language: str | None = None
    active: bool = False
    """An urgent problem is going on now."""
    was_urgent: bool = False
    peak: float = 0.0
    first_sentiment: float | None = None
    sentiments: list[float] = field(default_factory=list)
    agent_responded: bool = False
    closed: bool = False
    fired: dict[str, float] = field(default_factory=dict)
    """Escalation rule name -> event time it last fired."""
    texts: list[TextRecord] = field(default_factory=list)
    last_text_id: str = ""
    last_urgency: float = 1.0
    """Urgency (0..1) of the thread's last text: how sure the carry into the next one is. Last
    of the fields, so state pickled before it existed restores (without it: read as 1.0)."""

    def remember(self, rec: TextRecord) -> None:
        """Keep the last few texts and the one that escalated."""
        self.texts.append(rec)
        while len(self.texts) > KEEP_TEXTS:
            drop = next((i for i, r in enumerate(self.texts) if not r.escalated), 0)
            del self.texts[drop]

    def find_text(self, text_id: str | None) -> TextRecord | None:
        if text_id:
            text_id = text_id.removesuffix(":insight")
            return next((r for r in self.texts if r.text_id == text_id), None)
        escalated = [r for r in self.texts if r.escalated]
        return escalated[-1] if escalated else (self.texts[-1] if self.texts else None)


@dataclass(slots=True)
class Requester:
    tenant: str
    requester: str
    partition: int
    contacts: list[tuple[float, str]] = field(default_factory=list)
    """(event time, ticket id) of their texts, oldest first, within the longest window."""

    def count(self, now: float, window: float) -> int:
        return sum(1 for t, _ in self.contacts if now - t <= window)

    def trim(self, now: float, window: float) -> None:
        self.contacts = [c for c in self.contacts if now - c[0] <= window][-64:]


@dataclass(slots=True)
class ThreadJudgement:
    logit: float
    thread_urgent: bool
    """The thread was urgent before this text."""
    ends: bool
    """This text ends the urgent problem."""
    reason: str = ""


def judge_in_thread(th: Thread | None, s: TextScore, logit: float, status: str | None
                    ) -> ThreadJudgement:
    """The urgency logit of a text given its thread so far."""
    if th is None or th.seq == 0:
        return ThreadJudgement(logit, False, False)
    feel = s.feelings
    grateful = not s.agent and feel.get("thanks", 0.0) > 0.5 and (
        feel.get("praise", 0.0) >= 2.0 or feel.get("relief", 0.0) > 0) and not s.ongoing \
        and s.parts.get("outage", 0.0) <= 0 and feel.get("complaint", 0.0) >= 0
    """"Thank you, you saved me" with no problem left in it: the requester is back at work."""
    fixed = grateful or s.resolution <= RESOLVING or (status or "").lower() in (
        "resolved", "closed", "done", "solved", "fixed")
    if th.active:
        if fixed:
            return ThreadJudgement(min(logit, -0.5), True, True, "the problem is over")
        if logit < THREAD_CARRY:
            return ThreadJudgement(THREAD_CARRY, True, False,
                                   "continues an urgent problem that is not over")
        return ThreadJudgement(logit, True, False)
    back = s.parts.get("outage", 0.0) > 0 or (s.ongoing and not feel.get("thanks"))
    if th.was_urgent and not fixed and back and logit < THREAD_CARRY:
        return ThreadJudgement(THREAD_CARRY, False, False,
                               "an urgent problem of this ticket is back")
    return ThreadJudgement(logit, False, False)
