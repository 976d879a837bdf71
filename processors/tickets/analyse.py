"""One ticket text read and judged: language, cues, the shipped model over the text's words and
the cue scores (``processors.tickets.model``), urgency, sentiment, topics, the operators'
learned correction on top, and the reasons an analyst reads. The processor and the benchmark
both call this, so the figures the benchmark prints are those of the stage."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from processors.tickets.cues import Hit, Lexicon
from processors.tickets.language import DEFAULT_CANDIDATES, READABLE, LanguageDetector
from processors.tickets.learner import Learner, features
from processors.tickets.lexicons import find_hits
from processors.tickets.model import (
    NO_TEXT,
    TextModel,
    TextPart,
    rule_features,
    sentiment_total,
    shipped_model,
    text_features,
)
from processors.tickets.scoring import TextScore, score_text, sentiment_label, word_valence
from processors.tickets.text import emoji_valence, normalise, own_part, tokens
from processors.tickets.thread import Thread, ThreadJudgement, judge_in_thread
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
    part: TextPart = NO_TEXT
    """What the model makes of the text's words (nothing without a model)."""
    tx: dict[str, float] = field(default_factory=dict)
    """The model's text features, kept only while tracing (training)."""


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


_SHIPPED = object()


class Analyser:
    """``model``: the supervised model over words and rule scores (default: the shipped one;
    None: the rules alone). ``thread_rules``: also force the rules' thread carry on the
    model's logit; off by default: the model sees the thread's state (was the last text
    urgent, how sure) and weighs it, so one wrong opener does not decide every comment."""

    def __init__(self, learner: Learner | None = None,
                 candidates: tuple[str, ...] = DEFAULT_CANDIDATES,
                 sentiment_threshold: float = 0.9, model: object = _SHIPPED,
                 thread_rules: bool = False) -> None:
        self.detector = LanguageDetector(candidates)
        self.learner = learner or Learner()
        self.sentiment_threshold = sentiment_threshold
        self.model: TextModel | None = shipped_model() if model is _SHIPPED else model  # type: ignore[assignment]
        self.thread_rules = thread_rules
        self.trace: list[tuple[dict[str, float], dict[str, float]]] | None = None
        """Set to a list to collect each judged text's model inputs (training)."""

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
        if self.model is None and self.trace is None:
            return Reading(lang, conf, readable, toks, score, x)
        part = self.model.read(toks, lang) if self.model is not None else NO_TEXT
        tx = text_features(toks, lang) if self.trace is not None else {}
        return Reading(lang, conf, readable, toks, score, x, part, tx)

    def judge(self, r: Reading, thread: Thread | None = None, status: str | None = None
              ) -> Verdict:
        s = r.score
        logit = s.logit
        reasons = [(k, s.evidence.get(k, ""), round(v, 2)) for k, v in s.parts.items()
                   if abs(v) >= 0.25]
        model_total = None
        if self.model is not None or self.trace is not None:
            first = thread is None or thread.seq == 0
            rx = rule_features(s, r.readable, first, thread is not None and thread.active,
                               thread is not None and thread.was_urgent, status,
                               getattr(thread, "last_urgency", 1.0))
            if self.trace is not None:
                self.trace.append((r.tx, rx))
            if self.model is not None:
                logit, classes = self.model.score(r.part, rx)
                model_total = sentiment_total(classes, self.sentiment_threshold)
                sign = 1.0 if logit > 0 else -1.0
                top = self.model.top_inputs(rx, sign) + r.part.top(sign)
                reasons.append(("model", ", ".join([f"{w} {c:+.2f}" for w, c in top]),
                                round(logit - s.logit, 2)))
                carried = self.model.part(rx, "t:") if not first else 0.0
                if abs(carried) >= 0.25:
                    reasons.append(("thread", "the thread's state (its last text "
                                    + ("urgent)" if thread and thread.active else
                                       "not urgent)" if not (thread and thread.was_urgent)
                                       else "ended an urgent problem)"), round(carried, 2)))
        learned_u = self.learner.urgency(r.x) if r.x else 0.0
        if learned_u:
            changed = (logit > 0) != (logit + learned_u > 0)
            logit += learned_u
            if changed or abs(learned_u) >= 0.25:
                reasons.append(("learned", "operator feedback on similar texts"
                                + (" changed the decision" if changed else ""),
                                round(learned_u, 2)))
        if self.thread_rules or self.model is None or thread is None or not thread.active:
            tj = judge_in_thread(thread, s, logit, status)  # with a model: "it's back" only
        else:
            tj = ThreadJudgement(logit, True, False)
        if tj.reason:
            reasons.append(("thread", tj.reason, round(tj.logit - logit, 2)))
        urgency = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, tj.logit))))
        total = s.sentiment if model_total is None else model_total
        if r.readable:
            learned_s = self.learner.sentiment(r.x) if r.x else 0.0
            if learned_s:
                before = sentiment_label(total, self.sentiment_threshold)[0]
                total += learned_s
                if before != sentiment_label(total, self.sentiment_threshold)[0]:
                    reasons.append(("learned", "operator feedback changed the sentiment",
                                    round(learned_s, 2)))
            label, sscore = sentiment_label(total, self.sentiment_threshold)
            if model_total is not None:
                cues = sentiment_label(s.sentiment, self.sentiment_threshold)[0]
                if cues != label:
                    reasons.append(("model", f"sentiment {label}; the cues alone: {cues}",
                                    round(model_total - s.sentiment, 2)))
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
        logit, total = r.score.logit, r.score.sentiment
        if self.model is not None:  # the learner corrects what the model says, not the rules
            rx = rule_features(r.score, r.readable, True, False, False, None)
            logit, classes = self.model.score(r.part, rx)
            total = sentiment_total(classes, self.sentiment_threshold)
        self.learner.learn(x, logit=logit, urgent=urgent, sentiment_total=total,
                           sentiment=sentiment if r.readable else None)
