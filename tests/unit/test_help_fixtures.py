"""Builders the help-stage tests share: interactions, ticket insights, a processor and a
changelog that keeps the newest record per key (as a compacted topic does)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from processors.help.processor import HelpProcessor
from processors.help.stage import HelpSettings
from schemas.envelope import Envelope
from schemas.events import HelpInteractionEvent
from schemas.insights import HelpSession, HelpSpike, TicketInsightEvent

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
START = T0.timestamp()
DRAIN_WALL = 10**10
"""A wall time far past every test's events: on_timer(DRAIN_WALL) settles everything."""


def at(sec: float) -> datetime:
    return T0 + timedelta(seconds=sec)


def hi(sec: float, kind: str = "search", *, session: str = "s-1",
       user: str | None = "ann@acme.example", tenant: str = "acme", site: str | None = "par1",
       query: str = "VPN not connecting", results: int = 0, article: str = "kb-1",
       vote: str = "up") -> HelpInteractionEvent:
    data: dict = {"kind": kind, "timestamp": at(sec), "session_id": session, "user_id": user,
                  "site": site}
    if kind in ("search", "chat_question"):
        data["query"] = query
    if kind == "search":
        data["result_count"] = results
    if kind in ("article_view", "vote"):
        data["article_id"] = article
    if kind == "vote":
        data["vote"] = vote
    return HelpInteractionEvent(id=f"{tenant}-{session}-{sec}-{kind}", source="test",
                                tenant_id=tenant, data=data)


def ticket(sec: float, ticket_id: str = "T-1", *, requester: str | None = "ann@acme.example",
           tenant: str = "acme", seq: int = 0) -> TicketInsightEvent:
    return TicketInsightEvent(
        id=f"{ticket_id}-{seq}:insight", source="aiops/tickets", tenant_id=tenant, data={
            "ticket_id": ticket_id, "text_id": f"{ticket_id}-{seq}", "seq": seq,
            "action": "created" if seq == 0 else "commented", "timestamp": at(sec),
            "requester": requester, "site": "par1", "language": "en", "readable": True,
            "sentiment": "negative", "sentiment_score": -0.5, "urgency": 0.5,
            "urgent": False, "topics": ["vpn"]})


def make(**settings: float) -> HelpProcessor:
    return HelpProcessor.from_settings(HelpSettings(**settings))


def run(proc: HelpProcessor, events: Iterable[Envelope], *, partition: int = 0,
        wall: float = 1000.0, step: float = 0.001) -> list[Envelope]:
    """Feed ``events`` as a fast replay does: the wall clock barely moves."""
    out: list[Envelope] = []
    for i, ev in enumerate(events):
        out += proc.on_event(ev, partition=partition, now=wall + i * step)
    return out


def drain(proc: HelpProcessor) -> list[Envelope]:
    """The stream stops for good: the wall-clock rule closes and decides everything (twice:
    a tenant restored and not heard from since gets its idle time from the first timer)."""
    return proc.on_timer(DRAIN_WALL) + proc.on_timer(2 * DRAIN_WALL)


def sessions(out: Iterable[Envelope]) -> dict[str, HelpSession]:
    return {e.id: e.data for e in out if e.type == "aiops.help-session"}


def spikes(out: Iterable[Envelope]) -> dict[str, HelpSpike]:
    return {e.id: e.data for e in out if e.type == "aiops.help-spike"}


def canonical(out: Iterable[Envelope]) -> list[str]:
    """Outputs as comparable text, order aside (the content is what must not change)."""
    return sorted(e.model_dump_json() for e in out)


class Changelog:
    """A compacted state topic: the newest record per key."""

    def __init__(self) -> None:
        self.records: dict[str, tuple[int, bytes | None]] = {}

    def take(self, proc: HelpProcessor) -> None:
        self.records.update(proc.snapshot())

    def restore_into(self, proc: HelpProcessor) -> HelpProcessor:
        for key, (partition, blob) in self.records.items():
            proc.restore(key, blob, partition)
        return proc

    def live(self) -> set[str]:
        return {k for k, (_, blob) in self.records.items() if blob is not None}


def test_the_builders_make_valid_events() -> None:
    assert hi(0).data.query == "VPN not connecting" and hi(0, "vote").data.vote == "up"
    assert ticket(5).data.seq == 0 and ticket(5, seq=2).data.action == "commented"
    assert make(lateness_s=0).lateness == 0
