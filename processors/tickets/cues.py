"""Cue patterns: how lexicons are written, compiled once, and found in a text with context.

A cue is a short phrase pattern in a small notation that reads like the phrase itself
(compiled to a regex on the normalised text, ``processors.tickets.text.normalise``):

- words separated by spaces match words separated by any punctuation or space;
- ``a|b|c`` is one word out of several, ``work*`` a word starting with ``work``; a hyphen
  also matches a space or nothing (``wi-fi``: wi-fi, wi fi, wifi); an alternative is one
  word, never a phrase (``a b|c d`` is a, then b or c, then d);
- ``?the|a`` is an optional word, ``_3`` up to three words of anything, ``#`` a number,
  ``##`` a number of 5 or more (a crowd, not a pair);
- ``=2.5`` at the end overrides the family's weight for this cue;
- ``@again,back REGEX``: a raw regex, run when the text holds one of the listed words (for
  the few cues the notation cannot say, such as "any verb in -ing, then again").

Bare keywords are what makes "fire up the laptop" a fire: cues are phrases, and the guarded
families (safety, security, scope, outage) are also checked for context around the match:
a negation just before it (after it for Hindi and Telugu, whose negation follows), or a trap
nearby (test, training, drill, simulation, low battery...). Matching is triggered by tokens:
a cue's regex runs only when the text holds one of the words its phrase starts with, so the
cost grows with the cues a text may hold, not with the size of the lexicons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

GUARDED = frozenset({"safety", "facility", "security", "scope", "outage", "deadline", "impact",
                     "resolved", "handled"})
"""Families whose cues a negation just before them cancels."""
TRAPPED = frozenset({"safety", "facility", "security", "pressure"})
"""Families whose cues a trap nearby (test, drill, training...) cancels."""
_NEGATED_AFTER = TRAPPED | {"resolved", "handled"}
"""Where Hindi and Telugu negation after the cue applies ("gas smell ledu"); a scope cue is
not undone by the "ledu" of the outage that follows it."""


@dataclass(frozen=True, slots=True)
class Cue:
    family: str
    weight: float
    rx: re.Pattern[str]
    phrase: str
    anchored: bool = True
    """Matched where its trigger word stands; raw ``@`` cues are searched for instead."""


@dataclass(frozen=True, slots=True)
class Hit:
    family: str
    weight: float
    start: int
    end: int
    evidence: str


def _alts(element: str) -> str:
    parts = []
    for a in element.split("|"):
        if a.endswith("*"):
            parts.append(re.escape(a[:-1]) + r"\w*")
        elif a == "#":
            parts.append(r"\d+(?:[.,:]\d+)?(?:am|pm|h|hrs|min|mins|m)?")
        elif a == "##":
            parts.append(r"(?:[5-9]|[1-9][\d,.]*\d)")
        else:
            parts.append(r"\W?".join(re.escape(x) for x in a.split("-")))
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


_COMMON_WORDS = """a an the i it in on at to of for and or no not all we you my our this
    that is are was were be been has have had can do does still just so by with from as there
    here get got any one me us they he she its it's i'm we're e o y de la el en que se lo le
    un una es ka ki ke ko hai se lo ni ga ee"""
COMMON = frozenset(_COMMON_WORDS.split())
"""Words so frequent that a cue starting with one is triggered by a rarer word of its own."""


_START = r"(?<![\w'])"


def _trigger_words(element: str) -> frozenset[str]:
    return frozenset(NUMBER if a in ("#", "##") else a.split("-")[0] if "-" in a else a
                     for a in element.split("|"))


def compile_phrase(phrase: str) -> tuple[re.Pattern[str], frozenset[str], float | None, bool]:
    """The regex of a phrase, the words that trigger it, its weight override, and whether it
    is matched anchored at its trigger (its first word) or searched for (a rarer later
    word triggers it: "is down" is looked for only in texts that say "down")."""
    weight = None
    body = phrase.strip()
    if body.startswith("@"):
        head, _, rx = body.partition(" ")
        return re.compile(rx), frozenset(head[1:].split(",")), None, False
    if "=" in body:
        body, _, w = body.rpartition("=")
        weight = float(w)
        body = body.strip()
    elements = body.split()
    if not elements or elements[0].startswith(("?", "_")):
        raise ValueError(f"cue {phrase!r} must start with a word")
    first = elements[0]
    if "*" in first:
        raise ValueError(f"cue {phrase!r}: its first word must be literal (it is the trigger)")
    out = _START + _alts(first)
    for el in elements[1:]:
        if el.startswith("_") and el[1:].isdigit():
            out += r"(?:\W+[\w']+){0," + str(int(el[1:])) + "}"
        elif el.startswith("?"):
            out += r"(?:\W+" + _alts(el[1:]) + ")?"
        else:
            out += r"\W+" + _alts(el)
    out += r"(?![\w])"
    triggers = _trigger_words(first)
    if triggers & COMMON or NUMBER in triggers:
        for el in elements[1:]:
            if el.startswith(("?", "_")) or "*" in el or "#" in el:
                continue
            rare = _trigger_words(el)
            if not rare & COMMON:  # searched: no look-behind first, so re can skip ahead
                return re.compile(out.removeprefix(_START)), rare, weight, False
    return re.compile(out), triggers, weight, True


NUMBER = "<number>"
"""The trigger of cues that start with a number."""
_DIGIT = re.compile(r"\d")


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "'"


class _Index:
    """Cues by trigger word, split into those matched at the trigger and those searched."""

    def __init__(self, cues: Iterable[tuple[Cue, frozenset[str]]]) -> None:
        by_trigger: dict[str, list[Cue]] = {}
        for cue, triggers in cues:
            for t in triggers:
                by_trigger.setdefault(t, []).append(cue)
        self.numbered = tuple(by_trigger.pop(NUMBER, ()))
        self.words = frozenset(by_trigger)
        self.split = {t: (tuple(c for c in cs if c.anchored),
                          tuple(c for c in cs if not c.anchored))
                      for t, cs in by_trigger.items()}
        self.size = sum(len(a) + len(b) for a, b in self.split.values()) + len(self.numbered)

    def scan(self, norm: str, toks: list[str]) -> list[tuple[Cue, re.Match[str]]]:
        out: list[tuple[Cue, re.Match[str]]] = []
        append = out.append
        find = norm.find
        n = len(norm)
        search: dict[int, Cue] = {}
        split = self.split
        for t in self.words.intersection(toks):
            anchored, searched = split[t]
            if anchored:
                size = len(t)
                pos = find(t)
                while pos >= 0:
                    end = pos + size
                    if pos:
                        ch = norm[pos - 1]
                        if ch.isalnum() or ch == "'":
                            pos = find(t, end)
                            continue
                    if end != n:
                        ch = norm[end]
                        if ch.isalnum() or ch == "'":
                            pos = find(t, end)
                            continue
                    for c in anchored:
                        m = c.rx.match(norm, pos)
                        if m is not None:
                            append((c, m))
                    pos = find(t, end)
            for c in searched:
                search[id(c)] = c  # once, however many of its trigger words are here
        for c in search.values():
            for m in c.rx.finditer(norm):
                s = m.start()
                if s:
                    ch = norm[s - 1]
                    if ch.isalnum() or ch == "'":
                        continue
                append((c, m))
        if self.numbered and _DIGIT.search(norm) is not None:
            for c in self.numbered:
                out.extend(_at_word_start(norm, c.rx.finditer(norm), c))
        return out


def _at_word_start(norm: str, matches: Iterable[re.Match[str]], c: Cue
                   ) -> Iterable[tuple[Cue, re.Match[str]]]:
    for m in matches:
        s = m.start()
        if s == 0 or not _word(norm[s - 1]):
            yield c, m


def _cues(family: str, default: float, phrases: Iterable[str]
          ) -> Iterable[tuple[Cue, frozenset[str]]]:
    for phrase in phrases:
        rx, triggers, weight, anchored = compile_phrase(phrase)
        yield Cue(family, default if weight is None else weight, rx, phrase, anchored), triggers


class Lexicon:
    """The cues of one language, indexed by trigger word, with its context words."""

    def __init__(self, lang: str, families: dict[str, tuple[float, Iterable[str]]],
                 negators: Iterable[str], traps: Iterable[str], negation_after: bool = False
                 ) -> None:
        self.lang = lang
        self.families = {f: w for f, (w, _) in families.items()}
        self.index = _Index(c for f, (w, ps) in families.items() for c in _cues(f, w, ps))
        self.traps = _Index(_cues("trap", 0.0, traps))
        self.negators = frozenset(negators)
        self.negation_after = negation_after

    def __len__(self) -> int:
        return self.index.size

    def find(self, norm: str, toks: list[str]) -> list[Hit]:
        """Every cue in the text, in text order; guarded ones with their context checked.

        Each cue is tried only where one of its trigger words stands (an anchored match costs
        a tenth of a search through the text); traps are found the same way, once."""
        found = self.index.scan(norm, toks)
        if not found:
            return []
        traps: list[tuple[int, int]] | None = None
        hits: list[Hit] = []
        for c, m in found:
            s, e = m.span()
            if c.family in GUARDED and self._negated(norm, s, e, c.family):
                continue
            if c.family in TRAPPED:
                if traps is None:
                    traps = [m.span() for _, m in self.traps.scan(norm, toks)]
                if any(ts < e + 90 and te > s - 90 for ts, te in traps):
                    continue
            hits.append(Hit(c.family, c.weight, s, e, m.group()))
        if len(hits) > 1:
            hits.sort(key=lambda h: h.start)
            uniq = [hits[0]]
            for h in hits[1:]:  # a cue met through two of its triggers counts once
                last = uniq[-1]
                if h.start != last.start or h.family != last.family or h.end != last.end:
                    uniq.append(h)
            hits = uniq
        return hits

    def _negated(self, norm: str, s: int, e: int, family: str) -> bool:
        """A negator among the three words before the cue, in its clause ("no smoke", not
        "no sea nada, pero huele a gas"); or, in Hindi and Telugu, just after a fact cue."""
        before = norm[max(0, s - 28):s]
        cut = max(before.rfind(p) for p in ".,;:!?")
        before_words = before[cut + 1:].split()[-3:]
        if any(w in self.negators for w in before_words):
            return True
        if self.negation_after and family in _NEGATED_AFTER:
            after = norm[e:e + 24].split()[:3]
            if any(w.strip(".,;:!?") in self.negators for w in after):
                return True
        return False
