"""A small supervised model on top of the cue rules: why the rules alone over-fit one author.

The cue lexicon was written from one author's tickets; a linear model over the words of the
text *and* the rule scores (cue families, the rule logit, the thread's state) learns which
rule parts to trust and which everyday words ("freezer", "whole floor", "third time") carry
urgency or feeling the lexicon never listed. Two heads:

- urgency: a logistic regression logit, used as the text's urgency logit (the operator
  learner and the thread logic still apply on top);
- sentiment: three class logits (negative, neutral, positive), mapped onto the rule scale's
  single total (``sentiment_label`` thresholds keep their meaning, so the operator learner's
  residual still works on it).

Features are plain strings (words and 5-letter prefixes of long words: language agnostic,
cheap), looked up in the shipped weight table: words never seen in training weigh
nothing. The table is ``tickets_model.npz`` next to this file, trained deterministically by
``python -m benchmarks.tickets.train``; it is loaded once per process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from processors.tickets.language import PROFILES
from processors.tickets.scoring import FEELINGS, LOWER, RAISE, TextScore

MODEL_PATH = Path(__file__).with_name("tickets_model.npz")
HEADS = ("urgent", "negative", "neutral", "positive")
_ZERO = (0.0, 0.0, 0.0, 0.0)
_PLAIN = frozenset().union(*PROFILES.values())
"""Grammar words ("the", "in", "ka"): they weigh in the model, but say nothing as evidence."""
_LABEL = {"r:logit": "cue score", "r:sent": "cue sentiment", "t:active": "thread urgent",
          "t:sure": "thread urgent (sure)", "t:was_urgent": "thread was urgent",
          "t:first": "first text", "r:fixed": "fixed", "r:agent": "agent's voice"}
_FIXED_STATUS = frozenset({"resolved", "closed", "done", "solved", "fixed"})
_RULE_KEYS = tuple((f, "r:" + f) for f in RAISE + LOWER)
_FEEL_KEYS = {f: "f:" + f for f in (*FEELINGS, "sarcasm", "words")}


def text_features(toks: list[str], lang: str) -> dict[str, float]:
    """Words and 5-letter prefixes of long words (a cheap stem that also reads "urgente",
    "urgently"), L2-normalised. Word pairs were tried: no better across authors, slower."""
    words = [t for t in toks[:200] if len(t) > 1 and not t[0].isdigit()]
    keys = {"w:" + w for w in words}
    keys.update("p:" + w[:5] for w in words if len(w) > 6)
    if not keys:
        return {"lang:" + lang: 1.0}
    v = 1.0 / math.sqrt(len(keys))
    out = dict.fromkeys(keys, v)
    out["lang:" + lang] = 1.0
    return out


def rule_features(s: TextScore, readable: bool, first: bool, active: bool, was_urgent: bool,
                  status: str | None, last: float = 1.0) -> dict[str, float]:
    """The rule scores and thread state as model inputs (scaled to about -2..2)."""
    fixed = s.resolution <= -1.5 or (status or "").lower() in _FIXED_STATUS
    x = {"r:logit": max(-6.0, min(6.0, s.logit)) / 3.0,
         "r:sent": max(-6.0, min(6.0, s.sentiment)) / 2.5, "r:bias": 1.0}
    get = s.parts.get
    for f, name in _RULE_KEYS:
        v = get(f)
        if v:
            x[name] = v / 2.0
    for f, v in s.feelings.items():
        name = _FEEL_KEYS.get(f)
        if name is not None:
            x[name] = v / 2.5
    if s.agent:
        x["r:agent"] = 1.0
    if not readable:
        x["r:unread"] = 1.0
    if s.ongoing:
        x["r:ongoing"] = 1.0
    if fixed:
        x["r:fixed"] = 1.0
    if first:
        x["t:first"] = 1.0
    elif active:
        x["t:active"] = 1.0
        x["t:sure"] = max(0.0, 2.0 * last - 1.0)  # a wavering opener carries less
        if fixed:
            x["t:active_fixed"] = 1.0
        if s.agent:
            x["t:active_agent"] = 1.0
    elif was_urgent:
        x["t:was_urgent"] = 1.0
    return x


class TextModel:
    """The shipped weight table: ``score(text_x, rule_x)``."""

    def __init__(self, names: list[str], weights: np.ndarray, bias: np.ndarray) -> None:
        self.weights: dict[str, tuple[float, float, float, float]] = {
            n: (float(a), float(b), float(c), float(d))
            for n, (a, b, c, d) in zip(names, weights.tolist(), strict=True)}
        self.bias = tuple(float(b) for b in bias)
        self._by_kind: dict[str, dict[str, tuple[float, float, float, float]]] = {
            kind: {} for kind in ("w:", "p:", "lang:")}
        for name, w in self.weights.items():
            kind, sep, key = name.partition(":")
            if sep and kind + sep in self._by_kind:
                self._by_kind[kind + sep][key] = w
        self._words = self._by_kind["w:"]
        self._prefixes = self._by_kind["p:"]
        self._langs = self._by_kind["lang:"]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TextModel:
        with np.load(path, allow_pickle=False) as z:
            names = str(z["names"].tobytes(), "utf-8").split("\n")
            return cls(names, z["weights"].astype(np.float64), z["bias"].astype(np.float64))

    def save(self, path: Path) -> None:
        names = list(self.weights)
        w = np.array([self.weights[n] for n in names], dtype=np.float32).reshape(-1, 4)
        np.savez_compressed(path, names=np.frombuffer("\n".join(names).encode(), np.uint8),
                            weights=w, bias=np.array(self.bias, dtype=np.float32))

    def read(self, toks: list[str], lang: str) -> TextPart:
        """What the text's own features add per head (the thread does not change it, so this
        runs once per text): ``text_features`` looked up per kind, without building its
        dict."""
        words = [t for t in toks[:200] if len(t) > 1 and not t[0].isdigit()]
        # sorted: sums and ties must not depend on the process's hash seed (every worker and
        # every restart must say the same)
        uniq = sorted(set(words))
        prefixes = sorted({w[:5] for w in uniq if len(w) > 6})
        n_keys = len(uniq) + len(prefixes)
        if not n_keys:
            return TextPart(self._by_kind["lang:"].get(lang, _ZERO), [], 0.0)
        get = self._words.get
        found = [(k, w) for k in uniq if (w := get(k)) is not None]
        if prefixes:
            get = self._prefixes.get
            found += [(k, w) for k in prefixes if (w := get(k)) is not None]
        u = n = z = p = 0.0
        for _, (a, b, c, d) in found:
            u += a
            n += b
            z += c
            p += d
        v = 1.0 / math.sqrt(n_keys)
        lw = self._langs.get(lang, _ZERO)
        return TextPart((u * v + lw[0], n * v + lw[1], z * v + lw[2], p * v + lw[3]),
                        [(k, w[0]) for k, w in found], v)

    def score(self, part: TextPart, rule_x: dict[str, float]) -> tuple[float, tuple[
            float, float, float]]:
        """Urgency logit and the negative, neutral, positive logits."""
        b, t = self.bias, part.sums
        u, n, z, p = b[0] + t[0], b[1] + t[1], b[2] + t[2], b[3] + t[3]
        get = self.weights.get
        for k, v in rule_x.items():
            w = get(k)
            if w is not None:
                u += w[0] * v
                n += w[1] * v
                z += w[2] * v
                p += w[3] * v
        return u, (n, z, p)


    def top_inputs(self, rule_x: dict[str, float], sign: float, k: int = 2
                   ) -> list[tuple[str, float]]:
        """The ``k`` rule or thread inputs that pushed urgency most toward ``sign``."""
        get = self.weights.get
        c = [(_LABEL.get(n, n.partition(":")[2]), w[0] * v) for n, v in rule_x.items()
             if n != "r:bias" and (w := get(n)) is not None and w[0] * v * sign > 0]
        c = sorted(c, key=lambda f: (-f[1] * sign, f[0]))[:k]
        return [(n, round(x, 2)) for n, x in c]

    def part(self, rule_x: dict[str, float], prefix: str) -> float:
        """Urgency logit the inputs named ``prefix...`` gave (``t:``: the thread's state)."""
        get = self.weights.get
        return sum((w[0] * v for k, v in rule_x.items()
                    if k.startswith(prefix) and (w := get(k)) is not None), 0.0)


@dataclass(frozen=True, slots=True)
class TextPart:
    sums: tuple[float, float, float, float]
    found: list[tuple[str, float]]
    """Known text features and their urgency weight (before normalising)."""
    scale: float

    def top(self, sign: float, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` words or word pairs that pushed urgency most toward ``sign``."""
        best = [f for f in self.found if f[1] * sign > 0 and f[0] not in _PLAIN]
        best = sorted(best, key=lambda f: (-f[1] * sign, f[0]))[:k]
        return [(name, round(w * self.scale, 2)) for name, w in best]


NO_TEXT = TextPart((0.0, 0.0, 0.0, 0.0), [], 0.0)


def sentiment_total(classes: tuple[float, float, float], threshold: float) -> float:
    """The three class logits as one total on the rule scale: beyond ``threshold`` exactly
    when the class wins, by its margin; inside it for neutral, leaning to the stronger side."""
    n, z, p = classes
    if p >= n and p > z:
        return threshold + (p - max(n, z))
    if n > p and n > z:
        return -(threshold + (n - max(p, z)))
    lean = (p - n) / (abs(p - n) + 2.0 * (z - max(n, p)) + 1e-9)
    return threshold * 0.95 * max(-1.0, min(1.0, lean))


@lru_cache(maxsize=1)
def shipped_model() -> TextModel | None:
    """The shipped model, loaded once per process (None if the file is absent)."""
    return TextModel.load() if MODEL_PATH.exists() else None
