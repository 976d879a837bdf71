"""Which escalation rules a text (or a ticket's age) fires, and the event that says so."""

from __future__ import annotations

from datetime import UTC, datetime

from processors.tickets.analyse import Verdict
from processors.tickets.rules import TicketRules, may_fire
from processors.tickets.thread import Requester, Thread
from schemas.insights import TicketEscalation, TicketEscalationEvent

SOURCE = "aiops/tickets"


def text_rules(rules: TicketRules, th: Thread, v: Verdict, req: Requester | None,
               now: float) -> list[tuple[str, str]]:
    """(rule name, what it saw) for every rule this text fires."""
    fired: list[tuple[str, str]] = []
    for r in rules.rules:
        if not may_fire(r, th.fired, now):
            continue
        if r.kind == "urgency" and v.urgency >= (r.min_urgency or 0.0):
            fired.append((r.name, f"urgency {v.urgency:.2f} >= {r.min_urgency}"))
        elif r.kind == "sentiment_worsening" and th.first_sentiment is not None \
                and len(th.sentiments) >= (r.min_texts or 2) and v.sentiment == "negative" \
                and th.first_sentiment - v.sentiment_score >= (r.min_drop or 0.0):
            fired.append((r.name, f"sentiment {th.first_sentiment:+.2f} -> "
                                  f"{v.sentiment_score:+.2f} over {len(th.sentiments)} texts"))
        elif r.kind == "repeat_contact" and req is not None and not v.agent:
            n = req.count(now, r.window or 0.0)
            if n >= (r.min_contacts or 0):
                fired.append((r.name, f"{req.requester}: {n} texts within "
                                      f"{(r.window or 0) / 3600:g}h"))
    return fired


def age_rules(rules: TicketRules, th: Thread, now: float) -> list[tuple[str, str]]:
    """(rule name, what it saw) for SLA rules an open, unanswered ticket fires at ``now``."""
    if th.closed or th.agent_responded:
        return []
    out = []
    for r in rules.of("sla_age"):
        if r.priorities and th.priority not in r.priorities:
            continue
        age = now - th.opened
        if age >= (r.max_age or 0.0) and may_fire(r, th.fired, now, th.last_seen):
            out.append((r.name, f"open {age / 3600:.1f}h without an agent's answer "
                                f"(max {(r.max_age or 0) / 3600:g}h)"))
    return out


def escalation(th: Thread, text_id: str, event_id: str, fired: list[tuple[str, str]],
               urgency: float, sentiment: str, at: float) -> TicketEscalationEvent:
    when = datetime.fromtimestamp(at, UTC)
    for name, _ in fired:
        th.fired[name] = at
    return TicketEscalationEvent(
        id=event_id, source=SOURCE, time=when, tenant_id=th.tenant,
        data=TicketEscalation(
            ticket_id=th.ticket_id, text_id=text_id, timestamp=when,
            rules=[n for n, _ in fired], urgency=round(urgency, 4),
            sentiment=sentiment,  # type: ignore[arg-type]
            subject=th.subject[:1024], requester=_short(th.requester), site=_short(th.site),
            service=_short(th.service), detail="; ".join(d for _, d in fired)[:1024]))


def _short(v: str | None) -> str | None:
    return v[:256] if v else v
