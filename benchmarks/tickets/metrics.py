"""Scores the tickets benchmark prints: F1 of urgency, per-class and macro F1 of sentiment,
language accuracy, and the plain baselines they are compared with."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

SENTIMENTS = ("negative", "neutral", "positive")


def prf(pred: list[bool], truth: list[bool]) -> dict[str, float]:
    tp = sum(p and t for p, t in zip(pred, truth, strict=True))
    fp = sum(p and not t for p, t in zip(pred, truth, strict=True))
    fn = sum(t and not p for p, t in zip(pred, truth, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def sentiment_f1(pred: list[str], truth: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in SENTIMENTS:
        out[c] = prf([p == c for p in pred], [t == c for t in truth])["f1"]
    out["macro_f1"] = sum(out[c] for c in SENTIMENTS) / len(SENTIMENTS)
    out["accuracy"] = sum(p == t for p, t in zip(pred, truth, strict=True)) / max(1, len(pred))
    return out


def confusion(pred: list[str], truth: list[str]) -> dict[str, dict[str, int]]:
    c = Counter(zip(truth, pred, strict=True))
    return {t: {p: c[(t, p)] for p in SENTIMENTS} for t in SENTIMENTS}


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_label(text: str) -> str:
    """Plain VADER: compound >= 0.05 positive, <= -0.05 negative."""
    c = _vader().polarity_scores(text)["compound"]
    return "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"


def naive_urgent(text: str, priority: str | None) -> bool:
    """The baseline a help desk starts with: the priority field, or "urgent" in the text."""
    low = text.lower()
    return priority in ("high", "urgent") or "urgent" in low or "urgente" in low
