"""The tickets processor: threads, state, tenants, the learning loop."""

from __future__ import annotations

from schemas.insights import TicketExampleEvent, TicketInsightEvent
from tests.unit.tickets_events import (
    escalations,
    feedback,
    insights,
    proc,
    run,
    ticket,
)

OUTAGE = "Nobody on the 2nd floor can log in, about 40 people, the whole floor lost network"


def outage_thread(tid: str = "T-1", tenant: str = "acme") -> list:
    return [
        ticket(f"{tenant}-1", tid, 0, OUTAGE, action="created", subject="Network down",
               tenant=tenant, requester="ann@acme.example", site="par1", service="network"),
        ticket(f"{tenant}-2", tid, 10, "still down, any update?", tenant=tenant),
        ticket(f"{tenant}-3", tid, 30, "fixed, thanks!", tenant=tenant),
        ticket(f"{tenant}-4", tid, 50, "the printer queue on floor 2 is empty now", tenant=tenant),
    ]


def test_a_comment_is_judged_in_its_thread() -> None:
    first, still, fixed, later = insights(run(proc(), outage_thread()))
    assert first.urgent and first.seq == 0 and not first.thread_urgent
    assert "scope" in {r.kind for r in first.reasons}
    assert still.urgent and still.thread_urgent and still.seq == 1
    assert any(r.kind == "thread" for r in still.reasons)  # "still down": the outage goes on
    assert not fixed.urgent and fixed.thread_urgent and fixed.sentiment == "positive"
    assert not later.urgent and not later.thread_urgent


def test_a_problem_that_comes_back_is_urgent_again() -> None:
    events = [*outage_thread()[:3], ticket("acme-5", "T-1", 40, "it dropped again, still down")]
    *_, back = insights(run(proc(), events))
    assert back.urgent and any("back" in r.evidence for r in back.reasons if r.kind == "thread")


def test_insight_ids_times_and_fields_are_valid() -> None:
    out = run(proc(), outage_thread()[:1])
    [ev] = out
    assert (ev.id, ev.source, ev.time) == ("acme-1:insight", "aiops/tickets", ev.data.timestamp)
    assert TicketInsightEvent.model_validate(ev.model_dump()) == ev
    d = ev.data
    assert (d.ticket_id, d.text_id, d.site, d.service, d.language) == (
        "T-1", "acme-1", "par1", "network", "en")
    assert "network" in d.topics and d.subject == "Network down"


def test_same_ticket_id_in_two_tenants_is_two_threads() -> None:
    p = proc()
    run(p, outage_thread("T-1", "acme")[:1])
    out = run(p, [ticket("b-2", "T-1", 5, "ok, the printer on my desk works", tenant="beta")])
    assert not insights(out)[0].thread_urgent and insights(out)[0].seq == 0
    assert {k for k in p.threads} == {"acme|t|T-1", "beta|t|T-1"}


def test_snapshot_restore_continues_exactly() -> None:
    events = outage_thread()
    whole = insights(run(proc(), events))
    p = proc()
    run(p, events[:2])
    snap = p.snapshot()
    assert set(snap) >= {"acme|t|T-1"} and all(part == 0 for part, _ in snap.values())
    q = proc()
    for key, (part, blob) in snap.items():
        q.restore(key, blob, part)
    rest = insights(run(q, events[2:]))
    assert [(i.urgent, i.seq, i.thread_urgent) for i in rest] == [
        (i.urgent, i.seq, i.thread_urgent) for i in whole[2:]]
    assert p.snapshot() == {}  # nothing changed since


def test_threads_expire_after_their_ttl_in_event_time() -> None:
    p = proc(ttl=3600.0)
    run(p, outage_thread()[:1])
    p.snapshot()
    assert p.on_timer(now=10**9) == [] and len(p) == 1  # wall time alone expires nothing
    run(p, [ticket("x-1", "T-2", 120, "how do I add a shared mailbox?", action="created")])
    p.on_timer(now=0.0)
    assert "acme|t|T-1" not in p.threads and "acme|t|T-2" in p.threads
    assert p.snapshot()["acme|t|T-1"] == (0, None)  # its tombstone


def test_drop_partitions_forgets_their_state() -> None:
    p = proc({"name": "repeat", "kind": "repeat_contact", "min_contacts": 5, "window": "1h"})
    run(p, outage_thread()[:1], partition=0)
    run(p, outage_thread("T-9", "beta")[:1], partition=1)
    assert len(p) == 4  # two threads, two requesters
    p.drop_partitions({0})
    assert set(p.threads) == {"beta|t|T-9"} and set(p.requesters) == {
        "beta|r|ann@acme.example"}


def test_feedback_becomes_an_example_and_the_loop_changes_later_decisions() -> None:
    text = "Everyone on the 3rd floor cannot print to the big printer in the corridor"
    p = proc()
    [first] = insights(run(p, [ticket("e-1", "T-5", 0, text, action="created")]))
    assert first.urgent
    [ex] = run(p, [feedback("fb-1", "T-5", 5, "wrong", comment="they have 3 other printers")])
    assert isinstance(ex, TicketExampleEvent) and ex.id == "fb-1:example"
    assert (ex.data.text_id, ex.data.urgent, ex.data.predicted_urgent) == ("e-1", False, True)
    assert ex.data.text == text and ex.data.language == "en"
    p.on_side(ex, now=0.0)
    similar = "Everyone on the 4th floor cannot print to the big printer by the lifts"
    [after] = insights(run(p, [ticket("e-2", "T-6", 10, similar, action="created")]))
    assert not after.urgent
    assert any(r.kind == "learned" for r in after.reasons)
    unrelated = "Nobody in the warehouse can log in, 30 people are blocked"
    [other] = insights(run(p, [ticket("e-3", "T-7", 11, unrelated, action="created")]))
    assert other.urgent  # a different text does not move


def test_feedback_can_correct_sentiment() -> None:
    p = proc()
    text = "We'll see."
    run(p, [ticket("e-1", "T-5", 0, "Second monitor, requested again", action="created"),
            ticket("e-2", "T-5", 1, text)])
    [ex] = run(p, [feedback("fb-1", "T-5", 2, "wrong", insight_id="e-2:insight",
                            sentiment="negative")])
    assert (ex.data.text, ex.data.sentiment, ex.data.urgent) == (text, "negative", None)


def test_feedback_about_a_forgotten_ticket_is_counted() -> None:
    p = proc()
    assert run(p, [feedback("fb-1", "T-404", 0)]) == []
    assert p.dropped["feedback_unknown_text"] == 1


def test_learning_is_deterministic() -> None:
    a, b = proc(), proc()
    examples = [("smoke tests failing for the whole team", False, "neutral"),
                ("gas smell in the kitchen", True, "negative"),
                ("thanks, fixed", False, "positive")]
    for p in (a, b):
        for text, urgent, sentiment in examples:
            p.analyser.learn(text, "en", urgent, sentiment)
    assert a.analyser.learner.w_urgent == b.analyser.learner.w_urgent
    assert a.analyser.learner.w_sentiment == b.analyser.learner.w_sentiment
    assert 0 < a.analyser.learner.size() < 100


def test_texts_without_words_update_the_thread_only() -> None:
    p = proc()
    out = run(p, [*outage_thread()[:1], ticket("acme-9", "T-1", 5, "", action="status_changed",
                                               status="in_progress")])
    assert len(insights(out)) == 1 and p.threads["acme|t|T-1"].agent_responded
    assert escalations(out) == []


def test_the_stage_builds_its_processor_from_settings(tmp_path) -> None:
    from processors.protocol import Processor
    from processors.tickets.stage import STAGE, TicketsSettings

    p = STAGE.build(TicketsSettings())
    assert isinstance(p, Processor) and p.rules.of("urgency")
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - name: only\n    kind: urgency\n")
    p = STAGE.build(TicketsSettings(rules_path=str(rules), thread_ttl_s=60))
    assert [r.name for r in p.rules.rules] == ["only"] and p.thread_ttl_s == 60
