"""Help sessions and deflection: boundaries, the deflection window, tickets early and late,
unknown users and tenants kept apart."""

from __future__ import annotations

from processors.help.normalise import normalise_query
from processors.help.topics import topic_of
from tests.unit.test_help_fixtures import (
    START,
    at,
    drain,
    hi,
    make,
    run,
    sessions,
    ticket,
)


def test_a_session_ends_after_the_gap_exactly_and_a_reused_id_gets_its_own_event() -> None:
    proc = make(session_gap_s=1800, lateness_s=0)
    events = [hi(0), hi(60, "article_view"), hi(60 + 1799, "vote"),  # 1 s short of the gap
              hi(60 + 1799 + 1800, query="printer offline")]  # the gap exactly: a new one
    got = sessions(run(proc, events) + drain(proc))
    first = got["acme|s-1:session"]
    assert (first.interactions, first.started_at, first.ended_at) == (3, at(0), at(1859))
    again = got[f"acme|s-1@{START + 3659:.0f}:session"]
    assert again.session_id == "s-1" and again.interactions == 1
    assert again.queries == ["printer offline"] and len(got) == 2


def test_a_closed_session_says_what_was_read_and_asked() -> None:
    proc = make()
    events = [hi(0, query="¿Cómo configuro la VPN?", results=0),
              hi(10, "chat_question", query="VPN error 809!!"),
              hi(20, "search", query="vpn  error 809", results=3),
              hi(30, "article_view", article="kb-7"), hi(40, "article_view", article="kb-7"),
              hi(50, "vote", article="kb-7", vote="down")]
    [(eid, s)] = sessions(run(proc, events) + drain(proc)).items()
    assert eid == "acme|s-1:session"
    assert s.queries == ["configuro vpn", "vpn error 809", "vpn error 809"]
    assert s.zero_result_queries == ["configuro vpn"]  # a chat question has no result count
    assert (s.articles, s.interactions, s.site, s.user_id) == (["kb-7"], 6, "par1",
                                                               "ann@acme.example")
    assert (s.outcome, s.ticket_id, s.ended_at) == ("deflected", None, at(50))


def test_a_ticket_at_the_window_edge_is_a_failed_deflection_one_second_later_is_not() -> None:
    proc = make(session_gap_s=600, deflection_window_s=1800, lateness_s=60)
    events = [hi(0, session="a", user="ann"), hi(100, session="a", user="ann"),
              hi(0, session="b", user="bob"), hi(100, session="b", user="bob"),
              hi(900, session="c", user="cy"),  # moves the clock: a and b close
              ticket(100 + 1800, "T-ann", requester="ann"),
              ticket(100 + 1801, "T-bob", requester="bob")]
    out = run(proc, events)
    assert sessions(out)["acme|a:session"].ticket_id == "T-ann"  # known at once
    got = sessions(out + drain(proc))
    assert (got["acme|a:session"].outcome, got["acme|b:session"].outcome) == ("failed",
                                                                              "deflected")


def test_a_session_waits_for_the_window_before_it_is_called_deflected() -> None:
    proc = make(session_gap_s=600, deflection_window_s=1800, lateness_s=60)
    out = run(proc, [hi(0), hi(700, session="x", user="zed")])
    assert sessions(out) == {}  # closed, but a ticket may still come
    out = run(proc, [hi(0 + 1800 + 60, session="y", user="zed")])
    assert sessions(out) == {}  # the window and the lateness, not yet past
    [s] = sessions(run(proc, [hi(0 + 1800 + 61, session="z", user="zed")])).values()
    assert (s.session_id, s.outcome) == ("s-1", "deflected")


def test_a_ticket_that_arrives_before_the_session_closes_or_even_starts_links_it() -> None:
    proc = make()  # the ticket topic minutes ahead of the help topic, both ways round
    out = run(proc, [ticket(400, "T-9"), hi(100), hi(200, "article_view"),
                     hi(300, session="s-2", user="bob"), ticket(330, "T-10", requester="bob")])
    got = sessions(out + drain(proc))
    assert got["acme|s-1:session"].ticket_id == "T-9"
    assert got["acme|s-2:session"].ticket_id == "T-10"


def test_a_ticket_opened_mid_session_fails_it_and_one_before_it_does_not() -> None:
    proc = make()
    events = [ticket(-5, "T-old"), hi(0), ticket(30, "T-mid"), hi(60, "article_view")]
    [s] = sessions(run(proc, events) + drain(proc)).values()
    assert (s.outcome, s.ticket_id) == ("failed", "T-mid")


def test_a_late_ticket_is_counted_and_changes_no_decided_session() -> None:
    proc = make(session_gap_s=600, deflection_window_s=600, lateness_s=60)
    out = run(proc, [hi(0), hi(1500, session="x", user="zed")])
    assert sessions(out)["acme|s-1:session"].outcome == "deflected"
    assert run(proc, [ticket(300, "T-late")]) == []  # 300 + 60 is long past
    assert proc.dropped["late_tickets"] == 1
    assert "acme|s-1:session" not in sessions(drain(proc))  # never written twice


def test_without_a_user_id_the_outcome_is_unknown_and_written_at_once() -> None:
    proc = make(session_gap_s=600, lateness_s=0)
    out = run(proc, [hi(0, user=None), hi(10, user="  "), ticket(20, requester=None),
                     hi(611, session="other", user=None)])
    s = sessions(out)["acme|s-1:session"]  # no waiting for a deflection window
    assert (s.outcome, s.user_id, s.ticket_id) == ("unknown", None, None)


def test_users_match_case_insensitively_and_only_creation_texts_link() -> None:
    proc = make()
    events = [hi(0, user="Ann@ACME.example"), ticket(50, "T-c", requester="ann@acme.EXAMPLE",
                                                     seq=1),
              hi(0, session="s-2", user="bob"), ticket(60, "T-b", requester=" BOB ")]
    got = sessions(run(proc, events) + drain(proc))
    assert got["acme|s-1:session"].outcome == "deflected"  # a comment is not a new ticket
    assert got["acme|s-2:session"].ticket_id == "T-b"


def test_tenants_never_mix_users_sessions_or_clocks() -> None:
    proc = make(session_gap_s=600, lateness_s=60)
    out = run(proc, [hi(0, tenant="acme"), hi(0, tenant="globex"),
                     ticket(100, "T-g", tenant="globex"),
                     hi(5000, session="late-one", tenant="globex")])  # globex's clock only
    assert {e.tenant_id for e in out} == {"globex"}
    got = sessions(out + drain(proc))
    assert got["acme|s-1:session"].outcome == "deflected"
    assert got["globex|s-1:session"].ticket_id == "T-g"


def test_interactions_for_a_written_session_or_older_than_the_clock_are_late() -> None:
    proc = make(session_gap_s=600, lateness_s=60)
    run(proc, [hi(0), hi(700, session="x", user="zed")])  # s-1 closed at 661 < 700
    assert run(proc, [hi(500)]) == []  # would have extended the written session
    assert run(proc, [hi(10, session="new")]) == []  # 10 + 600 + 60 < 700
    assert proc.dropped["late_interactions"] == 2
    got = sessions(drain(proc))
    assert "acme|new:session" not in got and got["acme|s-1:session"].interactions == 1


def test_queries_are_normalised_and_topics_found_in_both_languages() -> None:
    assert normalise_query("  ¿Cómo cambio mi CONTRASEÑA?? ") == "cambio contrasena"
    assert normalise_query("VPN error 809!") == "vpn error 809"
    assert normalise_query("how to") == "how to"  # only function words: kept whole
    assert [topic_of(normalise_query(q)) for q in (
        "Outlook won't open", "e-mail not working", "wi-fi down", "no funciona la impresora",
        "invoice missing", "site slow", "how to", "¿dónde está mi nómina?")] == [
        "email", "email", "wifi", "printer", "invoice", "outage", None, "payroll"]
