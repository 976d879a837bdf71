"""Escalation rules: each kind fires as its rule says, once per ticket unless told otherwise,
and a wrong rule file fails naming the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from processors.tickets.rules import DEFAULT_PATH, load_rules
from schemas.alert_rules import RuleError
from schemas.insights import TicketEscalationEvent
from tests.unit.tickets_events import escalations, insights, proc, run, ticket

URGENCY = {"name": "urgency", "kind": "urgency", "min_urgency": 0.5}
GAS = "We smell gas near the boiler room on level -1"


def test_the_shipped_rule_file_is_valid() -> None:
    rules = load_rules(DEFAULT_PATH)
    assert {r.kind for r in rules.rules} == {"urgency", "sentiment_worsening", "repeat_contact",
                                             "sla_age"}


def test_urgency_threshold_escalates_once_per_ticket() -> None:
    p = proc(URGENCY)
    out = run(p, [ticket("e-1", "T-1", 0, GAS, action="created", subject="gas"),
                  ticket("e-2", "T-1", 5, "still smells, nobody came yet")])
    [esc] = escalations(out)
    assert isinstance(esc, TicketEscalationEvent) and esc.id == "e-1:escalation"
    assert (esc.data.rules, esc.data.text_id, esc.data.subject) == (["urgency"], "e-1", "gas")
    first, second = insights(out)
    assert first.escalated and not second.escalated and second.urgent


def test_a_rule_may_re_escalate_after_its_cooldown() -> None:
    p = proc({**URGENCY, "re_escalate": True, "cooldown": "30m"})
    out = run(p, [ticket("e-1", "T-1", 0, GAS, action="created"),
                  ticket("e-2", "T-1", 10, "still smells of gas"),
                  ticket("e-3", "T-1", 45, "still smells of gas, stronger now")])
    assert [e.data.text_id for e in escalations(out)] == ["e-1", "e-3"]


def test_below_the_threshold_nothing_escalates() -> None:
    p = proc({**URGENCY, "min_urgency": 0.99})
    assert escalations(run(p, [ticket("e-1", "T-1", 0, GAS, action="created")])) == []


def test_sentiment_worsening_across_comments() -> None:
    p = proc({"name": "mood", "kind": "sentiment_worsening", "min_drop": 0.5, "min_texts": 3})
    out = run(p, [
        ticket("e-1", "T-1", 0, "Hi, could you add me to the sales mailbox? Thanks",
               action="created"),
        ticket("e-2", "T-1", 60, "any news on this?"),
        ticket("e-3", "T-1", 600, "Third time I'm asking. This is ridiculous, nobody answers."),
    ])
    [esc] = escalations(out)
    assert esc.data.rules == ["mood"] and esc.data.text_id == "e-3"
    assert esc.data.sentiment == "negative" and "over 3 texts" in esc.data.detail


def test_repeat_contact_by_the_same_requester_within_the_window() -> None:
    p = proc({"name": "repeat", "kind": "repeat_contact", "min_contacts": 3, "window": "1h"})
    who = {"requester": "bob@acme.example"}
    out = run(p, [ticket("e-1", "T-1", 0, "printer jammed", action="created", **who),
                  ticket("e-2", "T-2", 20, "outlook keeps asking for my password",
                         action="created", **who),
                  ticket("e-3", "T-3", 40, "and now teams does not start", action="created",
                         **who),
                  ticket("e-4", "T-4", 200, "the screen flickers", action="created", **who)])
    [esc] = escalations(out)
    assert (esc.data.ticket_id, esc.data.rules) == ("T-3", ["repeat"])
    assert "acme|r|bob@acme.example" in p.requesters
    assert p.requesters["acme|r|bob@acme.example"].count(
        p.clock[0], 3600) == 1  # only the last one is within the hour now
    p.on_timer(now=0.0)
    assert "acme|r|bob@acme.example" in p.requesters  # still one contact in the window


def test_sla_age_fires_on_the_timer_by_event_time() -> None:
    p = proc({"name": "sla", "kind": "sla_age", "max_age": "2h", "priorities": ["high"]})
    run(p, [ticket("e-1", "T-1", 0, "ERP slow for me", action="created", priority="high"),
            ticket("e-2", "T-2", 0, "ERP slow for me too", action="created", priority="low")])
    assert p.on_timer(now=10**9) == []  # the wall clock does not age tickets
    run(p, [ticket("e-3", "T-9", 150, "unrelated question about fonts", action="created")])
    [esc] = p.on_timer(now=0.0)
    assert (esc.id, esc.data.ticket_id, esc.data.rules) == ("e-1:escalation:sla", "T-1",
                                                            ["sla"])
    assert "2.5h" in esc.data.detail
    assert p.on_timer(now=0.0) == []  # once per ticket


def test_an_agent_answer_stops_the_sla_clock() -> None:
    p = proc({"name": "sla", "kind": "sla_age", "max_age": "2h"})
    run(p, [ticket("e-1", "T-1", 0, "ERP slow for me", action="created"),
            ticket("e-2", "T-1", 30, "Agent update: we are looking into it now.")])
    run(p, [ticket("e-3", "T-9", 300, "font question", action="created")])
    assert p.on_timer(now=0.0) == [] and p.threads["acme|t|T-1"].agent_responded


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tickets.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("body,field,line,message", [
    ("rules:\n  - name: u\n    kind: urgency\n    window: 1h\n", "rules[0]", 2,
     "window is not used by kind 'urgency'"),
    ("rules:\n  - name: u\n    kind: urgent\n", "rules[0].kind", 3, "urgency"),
    ("rules:\n  - name: s\n    kind: sla_age\n    max_age: 4x\n", "rules[0].max_age", 4,
     "bad duration"),
    ("rules:\n  - name: u\n    kind: urgency\n    colour: red\n", "rules[0].colour", 4,
     "unknown key"),
    ("rules:\n  - name: u\n    kind: urgency\n  - name: u\n    kind: urgency\n", "(root)", 1,
     "unique"),
    ("rules:\n  - name: u\n    kind: urgency\n    cooldown: 1h\n", "rules[0]", 2,
     "cooldown needs re_escalate"),
    ("rules:\n  - name: r\n    kind: repeat_contact\n    min_contacts: 1\n",
     "rules[0].min_contacts", 4, "greater than or equal to 2"),
])
def test_bad_rule_files_name_the_file_line_and_field(tmp_path: Path, body: str, field: str,
                                                     line: int, message: str) -> None:
    with pytest.raises(RuleError) as info:
        load_rules(write(tmp_path, body))
    err = info.value
    assert (err.field, err.line) == (field, line), str(err)
    assert message in str(err) and "tickets.yaml" in str(err)


def test_defaults_fill_in_what_a_kind_takes() -> None:
    from tests.unit.tickets_events import rules

    [r] = rules({"name": "r", "kind": "repeat_contact"}).rules
    assert (r.min_contacts, r.window, r.min_urgency) == (3, 86_400.0, None)
