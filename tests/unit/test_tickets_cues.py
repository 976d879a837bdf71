"""Cue families of the tickets stage, each with the traps that must not fire."""

from __future__ import annotations

import pytest

from processors.tickets.analyse import Analyser
from processors.tickets.cues import Lexicon, compile_phrase
from processors.tickets.lexicons import find_hits, lexicons
from processors.tickets.text import normalise, tokens


def families(text: str, lang: str = "en") -> set[str]:
    norm = normalise(text)
    return {h.family for h in find_hits(lang, norm, tokens(norm))}


def urgent(text: str) -> bool:
    a = Analyser()
    return a.judge(a.read(text, first=True)).urgent


@pytest.mark.parametrize("text,family", [
    ("We smell gas near the boiler room", "safety"),
    ("there is smoke coming from the UPS", "safety"),
    ("The shredder caught fire", "safety"),
    ("Fire alarm panel shows ZONE 4 FAULT", "safety"),
    ("two people are stuck in the lift between floors 4 and 5", "safety"),
    ("water is dripping onto the server rack", "facility"),
    ("server room is at 38 degrees and the AC is silent", "facility"),
    ("I clicked the link and typed my password on that page", "security"),
    ("all my files are encrypted and there is a ransom note", "security"),
    ("my mouse is moving by itself, someone is controlling my PC", "security"),
    ("I got an MFA push I didn't start", "security"),
    ("nobody on the 3rd floor can log in", "scope"),
    ("the whole warehouse lost network", "scope"),
    ("about 40 people are affected", "scope"),
    ("the VPN is down", "outage"),
    ("cannot connect to the ERP", "outage"),
    ("the bank file must go by 4pm today", "deadline"),
    ("I'm presenting in 90 min", "deadline"),
    ("customers can't pay at the tills", "impact"),
    ("fixed, thanks", "resolved"),
    ("it's working again", "resolved"),
    ("planned maintenance window on Saturday", "planned"),
    ("how do I change my signature?", "howto"),
    ("no rush, whenever you have a moment", "minor"),
    ("still down", "ongoing"),
    ("third time this week I'm writing about this", "complaint"),
    ("I'm really worried we'll miss the cut-off", "worry"),
    ("this is so frustrating", "frustration"),
    ("thank you so much", "thanks"),
])
def test_each_family_fires_on_its_phrase(text: str, family: str) -> None:
    assert family in families(text)


@pytest.mark.parametrize("text,family", [
    ("I'll fire up the laptop after lunch", "safety"),
    ("the smoke tests on staging are red", "safety"),
    ("smoke detector chirping, low battery I think", "safety"),
    ("can you kill the cron job on batch01", "safety"),
    ("phishing training next week", "security"),
    ("download is slow today", "outage"),
    ("the critical path of the project moved", "pressure"),
    ("there is no smoke and no smell", "safety"),
    ("we ran a ransomware tabletop exercise", "security"),
    ("messages pile up in the dead-letter queue", "outage"),
])
def test_traps_do_not_fire(text: str, family: str) -> None:
    assert family not in families(text)


@pytest.mark.parametrize("text", [
    "We smell gas near the boiler room, people are leaving",
    "Hola, perdonad que os moleste, seguramente no sea nada, pero huele un poco a gas abajo",
    "I clicked the link in the payroll mail and entered my password, then saw the address",
    "Nobody in engineering can save to the S: drive, ~30 people losing work",
    "All six terminals on the trading desk are down and the market is open",
    "Payroll portal down for the whole team, the bank file must go by 4pm today",
    "poore accounts department ka server se connection nahi ho raha, 11 log baithe hain",
    "motham 3rd floor lo wifi ledu, 50 mandi paina unnaru",
    "So sorry to bother you, the whole 6th floor has no power, around 30 of us",
])
def test_urgent_texts(text: str) -> None:
    assert urgent(text)


@pytest.mark.parametrize("text", [
    "URGENT!!! how do I change my email signature??",
    "Fire up the laptop is taking 10 minutes every morning, annoying",
    "Reminder: phishing training next week, simulated emails from training-notice.example",
    "Planned: core switch upgrade Saturday 22:00, expect a full network outage at lon2",
    "smoke tests on staging have been red since this morning's build, not blocking anyone",
    "Please kill the cron job on batch01, it's spamming the log",
    "Download speeds from the file share are slow today, is it just me?",
    "The smoke detector in the pantry is chirping, low battery. There's no smoke.",
    "VPN icon disappeared from the taskbar but VPN works fine. urgent!!!",
    "Would love a dark mode on the portal. No rush at all :)",
    "FYI the SLA breach report for last month is attached",
])
def test_not_urgent_texts(text: str) -> None:
    assert not urgent(text)


def test_a_phrase_compiles_to_a_word_bounded_regex() -> None:
    rx, triggers, weight, anchored = compile_phrase("smell|smells ?of gas =2.5")
    assert triggers == {"smell", "smells"} and weight == 2.5 and anchored
    assert rx.match("smells of gas") and rx.match("smell gas")
    assert not rx.match("smellsgas") and not rx.match("smell gasoline")


def test_a_common_first_word_is_triggered_by_a_rarer_one() -> None:
    _, triggers, _, anchored = compile_phrase("is|are down")
    assert triggers == {"down"} and not anchored
    lx = Lexicon("xx", {"outage": (1.0, ["is|are down"])}, (), ())
    assert [h.evidence for h in lx.find("the vpn is down", tokens("the vpn is down"))] == [
        "is down"]
    assert lx.find("this download", tokens("this download")) == []


def test_phrases_must_start_with_a_literal_word() -> None:
    with pytest.raises(ValueError, match="must start with a word"):
        compile_phrase("_2 down")
    with pytest.raises(ValueError, match="literal"):
        compile_phrase("work* again")


def test_negation_after_the_cue_in_hindi() -> None:
    assert "safety" in families("gas ki smell aa rahi hai", "hi-latn")
    assert "safety" not in families("gas ki smell nahi hai", "hi-latn")


def test_every_lexicon_compiles() -> None:
    assert {k: len(v[0]) > 50 for k, v in lexicons().items()} == dict.fromkeys(
        ("en", "es", "hi-latn", "te-latn", "de", "fr", "it", "pt"), True)
