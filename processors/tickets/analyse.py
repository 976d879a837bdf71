"""One ticket text read and judged: language, cues, urgency, sentiment, topics, the learned
correction, and the reasons an analyst reads. The processor and the benchmark both call this,
so the figures the benchmark prints are those of the stage."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from processors.tickets.cues import Hit, Lexicon
from processors.tickets.language import DEFAULT_CANDIDATES, READABLE, LanguageDetector
from processors.tickets.learner import Learner, features
from processors.tickets.lexicons import find_hits
from processors.tickets.scoring import TextScore, score_text, sentiment_label, word_valence
from processors.tickets.text import emoji_valence, normalise, own_part, tokens
from processors.tickets.thread import Thread, judge_in_thread
from processors.tickets.topics import topics_of

_VALENCE_LANGS = frozenset({"en", "hi-latn", "te-latn"})
"""Languages whose texts carry English emotion words VADER knows."""


@lru_cache(maxsize=1)
def _universal() -> Lexicon:
    """Facts readable in any language: security words everyone borrows from English."""
    return Lexicon("und", {"security": (3.2, [
        "ransomware", "malware|trojan|keylogger =1.6", "ddos", "bitcoin =1.6",
        "anydesk|teamviewer =1.2"])}, (), ())


@dataclass(slots=True)
class Reading:
    """The text alone: what it says before its thread is considered."""

    language: str
    confidence: float
    readable: bool
    toks: list[str]
    score: TextScore
    x: dict[int, float]


@dataclass(slots=True)
class Verdict:
    language: str
    readable: bool
    sentiment: str
    sentiment_score: float
    urgency: float
    urgent: bool
    thread_urgent: bool
    ends_problem: bool
    topics: list[str]
    reasons: list[tuple[str, str, float]] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)
    agent: bool = False
    text_logit: float = 0.0
    sentiment_total: float = 0.0


class Analyser:
    def __init__(self, learner: Learner | None = None,
                 candidates: tuple[str, ...] = DEFAULT_CANDIDATES,
                 sentiment_threshold: float = 0.9) -> None:
        self.detector = LanguageDetector(candidates)
        self.learner = learner or Learner()
        self.sentiment_threshold = sentiment_threshold

    def read(self, raw: str, prior: str | None = None, first: bool = False) -> Reading:
        norm = normalise(raw)
        toks = tokens(norm)
        own = own_part(raw)
        own_end, own_toks = None, toks
        if own is not raw:  # a reply above a quote, or a note above a forwarded mail
            own_norm = normalise(own)
            own_end, own_toks = len(own_norm), tokens(own_norm)
        lang, conf = self.detector.detect(own, own_toks or toks, prior)
        readable = lang in READABLE
        hits: list[Hit] = find_hits(lang, norm, toks) if readable else \
            _universal().find(norm, toks)
        valence = word_valence(own_toks) if lang in _VALENCE_LANGS else 0.0
        score = score_text(hits, toks, norm, valence, readable, first=first, own_end=own_end,
                           emoji=emoji_valence(own))
        x = features(toks) if self.learner else {}
        return Reading(lang, conf, readable, toks, score, x)

    def judge(self, r: Reading, thread: Thread | None = None, status: str | None = None
              ) -> Verdict:
        s = r.score
        logit = s.logit
        reasons = [(k, s.evidence.get(k, ""), round(v, 2)) for k, v in s.parts.items()
                   if abs(v) >= 0.25]
        learned_u = self.learner.urgency(r.x) if r.x else 0.0
        if learned_u:
            changed = (logit > 0) != (logit + learned_u > 0)
            logit += learned_u
            if changed or abs(learned_u) >= 0.25:
                reasons.append(("learned", "operator feedback on similar texts"
                                + (" changed the decision" if changed else ""),
                                round(learned_u, 2)))
        tj = judge_in_thread(thread, s, logit, status)
        if tj.reason:
            reasons.append(("thread", tj.reason, round(tj.logit - logit, 2)))
        urgency = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, tj.logit))))
        total = s.sentiment
        if r.readable:
            learned_s = self.learner.sentiment(r.x) if r.x else 0.0
            if learned_s:
                before = sentiment_label(total, self.sentiment_threshold)[0]
                total += learned_s
                if before != sentiment_label(total, self.sentiment_threshold)[0]:
                    reasons.append(("learned", "operator feedback changed the sentiment",
                                    round(learned_s, 2)))
            label, sscore = sentiment_label(total, self.sentiment_threshold)
            for k, v in s.feelings.items():
                if abs(v) >= 0.3:
                    kind = k if k != "words" else ("negative_words" if v < 0 else
                                                   "positive_words")
                    reasons.append((kind, s.evidence.get(k, ""), round(v, 2)))
        else:
            label, sscore = "neutral", 0.0
            reasons.append(("language", f"{r.language}: not read, scored neutral", 0.0))
        parts = dict(s.parts)
        parts.update({f"sentiment.{k}": v for k, v in s.feelings.items()})
        if learned_u:
            parts["learned"] = learned_u
        if tj.logit != logit:
            parts["thread"] = tj.logit - logit
        return Verdict(
            language=r.language, readable=r.readable, sentiment=label,
            sentiment_score=max(-1.0, min(1.0, sscore)), urgency=urgency, urgent=tj.logit > 0,
            thread_urgent=tj.thread_urgent, ends_problem=tj.ends, topics=topics_of(r.toks),
            reasons=reasons, parts=parts, agent=s.agent, text_logit=s.logit,
            sentiment_total=total)

    def learn(self, text: str, language: str | None, urgent: bool | None,
              sentiment: str | None) -> None:
        """One operator example: the rule scores of its text against the right answers."""
        r = self.read(text, language)
        x = r.x or features(r.toks)
        self.learner.learn(x, logit=r.score.logit, urgent=urgent,
                           sentiment_total=r.score.sentiment,
                           sentiment=sentiment if r.readable else None)
