"""Language detection of ticket texts, romanised Hindi and Telugu included, and what an
unreadable language does to the scores."""

from __future__ import annotations

import pytest

from benchmarks.tickets.lang_samples import SAMPLES
from processors.tickets.analyse import Analyser
from processors.tickets.language import LanguageDetector
from processors.tickets.text import normalise, tokens


def detect(text: str, prior: str | None = None) -> str:
    return LanguageDetector().detect(text, tokens(normalise(text)), prior)[0]


@pytest.mark.parametrize("text,lang", [
    ("VPN nahi chal raha, subah se kaam band hai", "hi-latn"),
    ("printer phir se atak gaya hai, jaldi dekho please", "hi-latn"),
    ("Poore accounts department ka Tally server se connection nahi ho raha", "hi-latn"),
    ("VPN pani cheyyatledu, podduna nundi login avvatledu", "te-latn"),
    ("3rd floor motham wifi ledu, chala tension ga undi", "te-latn"),
    ("naa password reset cheyyandi please", "te-latn"),
    ("No puedo entrar al correo desde esta mañana", "es"),
    ("The whole warehouse lost network, scanners are offline", "en"),
    ("Hab mein Passwort vergessen und das Portal schickt den Code an mein altes Handy", "de"),
    ("Bonjour, est-il possible de changer la police par défaut dans Outlook ?", "fr"),
    ("Non riesco ad accedere a Outlook da stamattina", "it"),
    ("O escritório de Lisboa inteiro está sem internet desde as 9h", "pt"),
])
def test_languages(text: str, lang: str) -> None:
    assert detect(text) == lang


def test_hand_written_samples_are_mostly_right() -> None:
    """py3langid and the function-word profiles on short ticket texts of eight languages."""
    pairs = [(lang, detect(t)) for lang, texts in SAMPLES.items() for t in texts]
    right = sum(a == b for a, b in pairs)
    assert right / len(pairs) >= 0.93, [p for p in pairs if p[0] != p[1]]


def test_a_short_reply_inherits_its_thread_language() -> None:
    assert detect("vachindi. thanks", prior="te-latn") == "te-latn"
    assert detect("mil gaya, thanks", prior="hi-latn") == "hi-latn"
    assert detect("Klappt, danke!", prior="de") == "de"


def test_other_scripts_and_languages_go_to_the_library() -> None:
    assert detect("Het hele kantoor heeft geen internet sinds vanochtend") == "nl"
    russian = ("\u0412\u0435\u0441\u044c \u043e\u0444\u0438\u0441 \u0431\u0435\u0437 "
               "\u0438\u043d\u0442\u0435\u0440\u043d\u0435\u0442\u0430, "
               "\u043d\u0438\u043a\u0442\u043e \u043d\u0435 "
               "\u043c\u043e\u0436\u0435\u0442 "
               "\u0440\u0430\u0431\u043e\u0442\u0430\u0442\u044c")
    assert detect(russian) == "ru"  # "the whole office has no internet, nobody can work"


def test_an_unreadable_language_is_not_scored_as_english() -> None:
    """Dutch: no lexicon, so neutral and no cue read as English ("is" / "down" / "fire")."""
    a = Analyser()
    v = a.judge(a.read("Het hele kantoor is down, de brandweer is er, echt verschrikkelijk"))
    assert (v.language, v.readable, v.sentiment, v.sentiment_score) == ("nl", False, "neutral",
                                                                         0.0)
    assert not v.urgent
    assert any(k == "language" for k, _, _ in v.reasons)


def test_an_unreadable_language_still_sees_language_free_facts() -> None:
    a = Analyser()
    v = a.judge(a.read("Alle bestanden zijn versleuteld door ransomware, bitcoin gevraagd"))
    assert not v.readable and v.urgent
