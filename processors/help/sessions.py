"""Help sessions, and the ticket that shows one did not deflect: the records the help processor
keeps per session and per user, and the linking rule.

A session is the interactions of one ``session_id`` with less than the session gap between
consecutive ones (event time). A ticket links to a session when its requester is the session's
user (case-folded) and it was created (``seq == 0``) between the session's first interaction
and ``deflection_window_s`` after its last: the user searched or read, then asked a person
anyway. A ticket opened mid-session counts too (the session did not answer the question).
Several sessions can fail on one ticket; a session fails on the first linking ticket to
arrive, which is the first in the ticket topic's own order, so the link does not depend on how
the two inputs interleave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import blake2b

from schemas.events import HelpInteraction
from schemas.insights import HelpSession, HelpSessionEvent

SOURCE = "aiops/help"
CAP = 50
"""Articles, queries and zero-result queries kept per session (the first ones)."""
TICKETS_PER_USER = 20
"""Recent tickets kept per user to link sessions to (the oldest go first)."""


def user_key(user_id: str | None) -> str | None:
    """How users are compared: requester and user id, case-folded and trimmed."""
    key = (user_id or "").strip().casefold()
    return key or None


def at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, a digest of the whole keeping it distinct."""
    if len(text) <= limit:
        return text
    return text[: limit - 17] + "~" + blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass(slots=True)
class Session:
    """An open session, or (``closed``) the memory of one: when it ended, and how many
    sessions that id has had, so a late interaction is recognised and a reused id gets a
    distinct event id."""

    tenant: str
    sid: str
    stem: str
    """Event id stem: the session id, with ``@<start epoch>`` for a reused id's later ones."""
    start: float
    last: float
    user: str | None = None
    site: str | None = None
    interactions: int = 0
    articles: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    zero: list[str] = field(default_factory=list)
    topic: str | None = None
    """Topic of its latest query: what an article view that follows is about."""
    closed: bool = False
    repeats: int = 0

    def add(self, d: HelpInteraction, ts: float, query: str | None, topic: str | None) -> None:
        self.interactions += 1
        self.start, self.last = min(self.start, ts), max(self.last, ts)
        self.user = self.user or (d.user_id.strip() if d.user_id and d.user_id.strip()
                                  else None)
        self.site = self.site or d.site
        if (d.kind == "article_view" and d.article_id and d.article_id not in self.articles
                and len(self.articles) < CAP):
            self.articles.append(d.article_id)
        if query:
            self.topic = topic or self.topic
            if len(self.queries) < CAP:
                self.queries.append(query)
            if d.kind == "search" and d.result_count == 0 and len(self.zero) < CAP:
                self.zero.append(query)

    def summary(self) -> HelpSession:
        """The closed session, outcome still to decide (``unknown`` until then)."""
        return HelpSession(
            session_id=self.sid, user_id=self.user, site=self.site, started_at=at(self.start),
            ended_at=at(self.last), interactions=self.interactions, articles=self.articles,
            queries=self.queries, zero_result_queries=self.zero, outcome="unknown")

    def forget_content(self) -> None:
        self.closed = True
        self.articles, self.queries, self.zero, self.topic = [], [], [], None


@dataclass(slots=True)
class Ticket:
    ticket_id: str
    ts: float


@dataclass(slots=True)
class Ended:
    """A closed session of a known user whose outcome waits for the deflection window."""

    stem: str
    start: float
    end: float
    data: HelpSession


@dataclass(slots=True)
class User:
    """One user's open sessions (key -> start), closed sessions waiting for an outcome, and
    recent tickets (arrival order)."""

    tenant: str
    name: str
    open: dict[str, float] = field(default_factory=dict)
    pending: list[Ended] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)

    def first_ticket(self, start: float, end: float, window: float) -> Ticket | None:
        return next((t for t in self.tickets if start <= t.ts <= end + window), None)

    def add_ticket(self, ticket: Ticket) -> None:
        if all(t.ticket_id != ticket.ticket_id for t in self.tickets):
            self.tickets.append(ticket)
            del self.tickets[:-TICKETS_PER_USER]

    def empty(self) -> bool:
        return not (self.open or self.pending or self.tickets)


def session_event(tenant: str, stem: str, data: HelpSession, outcome: str,
                  ticket_id: str | None = None) -> HelpSessionEvent:
    """The one event of a closed session; its id is the same on every replay."""
    data = data.model_copy(update={"outcome": outcome, "ticket_id": ticket_id})
    return HelpSessionEvent(id=fit(f"{tenant}|{stem}", 500) + ":session", source=SOURCE,
                            time=data.ended_at, tenant_id=tenant, data=data)
