"""Urgency and sentiment of one text from its cue hits (``processors.tickets.cues``).

Urgency is a logit: a negative bias, plus what makes someone act within the hour, minus what
says it can wait. Facts combine the way an operator weighs them: many people or a deadline
matter when something is broken; a safety or security fact stands alone; "planned", "how
do I" and "fixed" take it back. A "fixed" followed by "but ... still" is not fixed. The
requester's own "URGENT!!!" is a tiny weight that never decides alone.

Sentiment is the writer's dominant feeling: VADER's word valences (English and code-mixed
texts; problem words such as "error" or "down" neutralised, since a factual report is neutral)
plus cues for what VADER misses: complaints without negative words ("third time I'm
writing"), worry, sarcasm (praise words about a failure), and thanks, which count as positive
when they close a fix and as politeness when they close a request. Agents' updates are
damped: they describe, they do not feel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from processors.tickets.cues import Hit

BIAS = -2.0
RAISE = ("safety", "facility", "security", "scope", "outage", "deadline", "impact", "pressure",
         "response")
STRONG = ("safety", "facility", "security")  # a tuple: reasons in a fixed order
LOWER = ("resolved", "handled", "planned", "howto", "minor", "single", "later")
CAPS = {"safety": 3.8, "facility": 3.4, "security": 3.8, "scope": 1.9, "outage": 1.2,
        "deadline": 1.8, "impact": 1.3, "pressure": 0.4, "response": 3.0, "resolved": 3.5,
        "handled": 2.5, "planned": 3.5, "howto": 2.0, "minor": 1.8, "single": 0.8, "later": 1.0}
FEELINGS = ("thanks", "praise", "relief", "complaint", "frustration", "worry")
CONTRAST = frozenset({"but", "however", "though", "except", "pero", "aunque", "lekin", "magar",
                      "par", "kani", "aber", "mais", "ma", "mas", "porem"})
_AFTER_CONTRAST = frozenset({"outage", "ongoing", "complaint", "safety", "facility", "security",
                             "deadline", "scope"})


@dataclass(slots=True)
class TextScore:
    """What one text says, before its thread is taken into account."""

    logit: float
    parts: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    resolution: float = 0.0
    ongoing: bool = False
    sentiment: float = 0.0
    """Raw sentiment total (tanh(total / 2.5) is the -1..1 score)."""
    feelings: dict[str, float] = field(default_factory=dict)
    agent: bool = False


def _families(hits: list[Hit]) -> tuple[dict[str, float], dict[str, str]]:
    total: dict[str, float] = {}
    seen: set[tuple[str, str]] = set()
    evidence: dict[str, str] = {}
    for h in hits:
        key = (h.family, h.evidence)
        if key in seen:
            continue
        seen.add(key)
        total[h.family] = total.get(h.family, 0.0) + h.weight
        if h.family not in evidence or abs(h.weight) > 1.0:
            evidence.setdefault(h.family, h.evidence)
    for f, v in total.items():
        cap = CAPS.get(f)
        if cap is not None:
            total[f] = max(-cap, min(cap, v))
    return total, evidence


def _clean(hits: list[Hit], toks: list[str], norm: str) -> list[Hit]:
    """Drop hits another, stronger hit overlaps with opposite effect ("apne aap chal raha" is a
    remote session, not "working"), deadlines next to "tomorrow", and fixes a "but ... still"
    takes back."""
    raise_hits = [h for h in hits if h.family in RAISE]
    lower_hits = [h for h in hits if h.family in ("resolved", "handled")]
    drop: set[int] = set()
    for lo in lower_hits:
        for hi in raise_hits:
            if lo.start < hi.end and hi.start < lo.end:
                drop.add(id(lo) if abs(hi.weight) >= abs(lo.weight) else id(hi))
    for g in (h for h in hits if h.family == "greeting"):  # "hope you had a lovely weekend"
        for h in hits:
            if h.family in ("praise", "thanks") and h.start < g.end and g.start < h.end:
                drop.add(id(h))
    later = [h for h in hits if h.family == "later"]
    for h in hits:
        if h.family == "deadline" and any(abs(h.start - x.start) < 40 for x in later):
            drop.add(id(h))
    if lower_hits:
        cut = _contrast_at(norm, hits)
        if cut is not None:
            drop.update(id(h) for h in lower_hits if h.start < cut)
    return [h for h in hits if id(h) not in drop] if drop else hits


def _contrast_at(norm: str, hits: list[Hit]) -> int | None:
    """Position of a "but" after a fix that is followed by a problem, if any."""
    first_fix = min((h.start for h in hits if h.family in ("resolved", "handled")), default=None)
    if first_fix is None:
        return None
    for h in hits:
        if h.start > first_fix and h.family in _AFTER_CONTRAST:
            between = norm[first_fix:h.start].split()
            for i, w in enumerate(between):
                if w.strip(".,;:!?") in CONTRAST:
                    return first_fix + len(" ".join(between[:i])) + 1
    return None


def score_text(hits: list[Hit], toks: list[str], norm: str, valence: float,
               readable: bool = True, *, first: bool = False, own_end: int | None = None,
               emoji: float = 0.0) -> TextScore:
    """Urgency logit and sentiment total of a text from its hits and word valence.

    ``first``: the text a ticket was opened with ("works fine" there says what is *not*
    broken, so fixes weigh less); ``own_end``: where quoted or forwarded text starts (the
    writer's feelings are in what comes before; facts count wherever they are)."""
    hits = _clean(hits, toks, norm)
    fam, evidence = _families(hits)
    agent = "agent" in evidence
    strong = sum(fam.get(f, 0.0) for f in STRONG)
    outage, impact = fam.get("outage", 0.0), fam.get("impact", 0.0)
    scope, deadline = fam.get("scope", 0.0), fam.get("deadline", 0.0)
    broken = outage > 0 or impact > 0 or strong > 0
    parts: dict[str, float] = {}
    for f in STRONG:
        if fam.get(f):
            parts[f] = fam[f]
    if scope:
        parts["scope"] = scope if broken or deadline else scope * 0.3
    if deadline:
        parts["deadline"] = deadline if broken or scope else deadline * 0.5
        if broken:  # a deadline within hours and something in the way
            parts["deadline"] += 0.5
    for f in ("outage", "impact", "pressure"):
        if fam.get(f):
            parts[f] = fam[f]
    if agent:  # an agent describes the problem; the thread carries its urgency
        for f in list(parts):
            parts[f] *= 0.5
    if fam.get("response"):  # an incident response under way, whoever says it
        parts["response"] = fam["response"]
    resolution = fam.get("resolved", 0.0) + fam.get("handled", 0.0)
    for f in LOWER:
        v = fam.get(f, 0.0)
        if not v or (f == "single" and deadline):
            continue
        if first and f in ("resolved", "handled"):
            v *= 0.4
        if strong and f not in ("resolved", "planned"):
            continue  # "how do I", "no rush" are about something else when there is a fire
        parts[f] = v
    logit = BIAS + sum(parts.values())
    s = TextScore(logit, parts, evidence, resolution=max(-3.5, resolution),
                  ongoing="ongoing" in fam, agent=agent)
    if readable:
        if own_end is not None:
            fam = _families([h for h in hits if h.start < own_end
                             or (h.family not in FEELINGS and h.family != "irony")])[0]
        _sentiment(s, fam, hits, valence + emoji, len(toks))
    return s


def _sentiment(s: TextScore, fam: dict[str, float], hits: list[Hit], valence: float,
               n_tokens: int) -> None:
    feel = {f: fam[f] for f in FEELINGS if fam.get(f)}
    problem = fam.get("outage", 0) > 0 or fam.get("complaint", 0) < 0 or "ongoing" in fam
    fixed = s.resolution < 0
    thanks = feel.get("thanks", 0.0)
    if thanks:  # thanks closing a fix (or alone) is gratitude; closing a request, politeness
        if fixed or feel.get("praise") or n_tokens <= 10 or not (
                problem or "howto" in fam or "minor" in fam):
            feel["thanks"] = thanks * 1.6
        else:
            feel["thanks"] = thanks * 0.2
    if "irony" in fam and problem and not fixed and not feel.get("thanks"):
        feel["sarcasm"] = -2.5
        feel.pop("praise", None)
        valence = min(valence, 0.0)
    elif valence > 0 and problem and not fixed and not feel.get("thanks"):
        valence = 0.0
    if s.agent:
        feel.pop("complaint", None)  # "sorry, auto-closed by a bug" is an apology
    total = sum(feel.values()) + valence
    if s.agent:
        total *= 0.6
    s.sentiment = total
    s.feelings = feel
    if valence:
        feel["words"] = valence


def sentiment_label(total: float, threshold: float = 0.9) -> tuple[str, float]:
    score = math.tanh(total / 2.5)
    if total >= threshold:
        return "positive", score
    if total <= -threshold:
        return "negative", score
    return "neutral", score


# -- VADER's lexicon, with ticket words made neutral --------------------------------------------
_NEUTRAL_WORDS = """successful success worked work works working
    error errors fail failed failing failure fails problem problems issue
    issues broken stuck lost loss down crash crashed kill killed dead fire fired smoke critical
    alert alerts warning urgent emergency help please support fix fixed block blocked attack
    threat risk virus spam junk bad wrong missing delete trapped stolen suspicious like yes
    ok okay sure no free clear backup save secure security protect protected sorry apologies
    apologize excuse pardon want wants need needs join joined share shared care true false
    best well matter lol hope hopefully kind lovely dear regards respect reach ready solid
    pretty miss low high top god cut reject rejected rejects leave leaving gross fine cheers
    accept accepted weird strange funny haha chance easy choke"""
_NEUTRAL = _NEUTRAL_WORDS.split()


@lru_cache(maxsize=1)
def vader_lexicon() -> dict[str, float]:
    """VADER's word valences (-4..4), loaded once, with ticket vocabulary neutralised."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    lex = dict(SentimentIntensityAnalyzer().lexicon)
    for w in _NEUTRAL:
        lex.pop(w, None)
    return lex


@lru_cache(maxsize=1)
def _vader_words() -> frozenset[str]:
    return frozenset(vader_lexicon())


_NEGATE = frozenset({"not", "no", "never", "isn't", "wasn't", "don't", "didn't", "doesn't",
                     "aren't", "can't", "cannot", "won't", "nothing", "hardly", "without"})


def word_valence(toks: list[str], scale: float = 0.4) -> float:
    """Sum of VADER valences, each flipped (times -0.74, as VADER does) after a negation in
    the three words before it, scaled to the cue weights."""
    lex = vader_lexicon()
    words = _vader_words().intersection(toks)
    if not words:
        return 0.0
    total = 0.0
    for i, t in enumerate(toks):
        if t not in words:
            continue
        v = lex[t]
        if any(w in _NEGATE for w in toks[max(0, i - 3):i]):
            v = -0.74 * v
        total += v
    return total * scale
