"""What operators taught us: a learned correction on top of the rule scores.

Each head is a linear model on hashed words and word pairs of the text, trained online on
operator feedback (``TicketExample``) as a *residual* of the rules: the model learns how far
the rule score should move for texts like this one, with the rule score as a fixed offset
(an offset is why this is our own few lines rather than river's ``LogisticRegression``, which
has none). Updates are passive-aggressive (Crammer et al. 2006, PA-I): the smallest change of
the weights that gets the judged text right by a margin, capped by ``C``. So one example
flips its own text, texts sharing most of its words move with it, and unrelated texts do not
move at all (common words are left out of the features).

The model is small (a dict of the weights examples touched, at most ``2**18`` keys) and
deterministic: the same examples in the same order give the same weights, on every worker.
"""

from __future__ import annotations

import math
import zlib
from itertools import pairwise

from processors.tickets.language import PROFILES

_STOP = frozenset().union(*PROFILES.values()) | frozenset(
    ("please", "thanks", "thank", "hi", "hello", "team", "regards", "agent", "update", "sir",
     "madam"))
MASK = (1 << 18) - 1
_CENTRE = {"negative": -2.5, "neutral": 0.0, "positive": 2.5}


def features(toks: list[str]) -> dict[int, float]:
    """Hashed content words and adjacent pairs of them, L2-normalised."""
    words = [t for t in toks if len(t) > 2 and t not in _STOP and not t[0].isdigit()]
    keys = [zlib.crc32(w.encode()) & MASK for w in words]
    keys += [zlib.crc32(f"{a} {b}".encode()) & MASK for a, b in pairwise(words)]
    if not keys:
        return {}
    x: dict[int, float] = {}
    for k in keys:
        x[k] = x.get(k, 0.0) + 1.0
    norm = math.sqrt(sum(v * v for v in x.values()))
    return {k: v / norm for k, v in x.items()}


class Learner:
    """``urgency(x)`` and ``sentiment(x)`` corrections; ``learn(...)`` from one example."""

    def __init__(self, c: float = 4.0, margin: float = 1.0, max_correction: float = 4.0,
                 epsilon: float = 0.5) -> None:
        self.c = c
        self.margin = margin
        self.max_correction = max_correction
        self.epsilon = epsilon
        self.w_urgent: dict[int, float] = {}
        self.w_sentiment: dict[int, float] = {}
        self.examples = 0

    def __bool__(self) -> bool:
        return self.examples > 0

    def _dot(self, w: dict[int, float], x: dict[int, float]) -> float:
        if not w:
            return 0.0
        get = w.get
        d = sum(get(k, 0.0) * v for k, v in x.items())
        return max(-self.max_correction, min(self.max_correction, d))

    def urgency(self, x: dict[int, float]) -> float:
        """Correction to add to the urgency logit."""
        return self._dot(self.w_urgent, x)

    def sentiment(self, x: dict[int, float]) -> float:
        """Correction to add to the raw sentiment total."""
        return self._dot(self.w_sentiment, x)

    def learn(self, x: dict[int, float], *, logit: float, urgent: bool | None,
              sentiment_total: float, sentiment: str | None) -> None:
        """One example: the rule scores of its text and the right answers given."""
        if not x:
            return
        self.examples += 1
        sq = sum(v * v for v in x.values())
        if urgent is not None:
            y = 1.0 if urgent else -1.0
            loss = max(0.0, self.margin - y * (logit + self.urgency(x)))
            if loss:
                self._step(self.w_urgent, x, y * min(self.c, loss / sq))
        if sentiment is not None:
            err = _CENTRE[sentiment] - (sentiment_total + self.sentiment(x))
            loss = max(0.0, abs(err) - self.epsilon)
            if loss:
                self._step(self.w_sentiment, x, math.copysign(min(self.c, loss / sq), err))

    @staticmethod
    def _step(w: dict[int, float], x: dict[int, float], tau: float) -> None:
        for k, v in x.items():
            nv = w.get(k, 0.0) + tau * v
            if nv:
                w[k] = nv
            else:
                w.pop(k, None)

    def size(self) -> int:
        return len(self.w_urgent) + len(self.w_sentiment)
