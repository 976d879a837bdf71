"""Anomaly-likelihood post-processing of raw scores, after Numenta (Ahmad et al. 2017).

A raw score (a prediction error, a robust z mapped to [0, 1]) means different things on a quiet
and on a noisy series, so one alert threshold cannot serve both. The likelihood asks instead how
unusual the *recent average* raw score is compared with the series' own history of raw scores,
which makes scores comparable across series. Numenta keeps thousands of past scores; we keep an
exponentially weighted mean and variance and a short ring of recent raw scores, so the state is a
few hundred bytes.

``Refractory`` then damps the output for a while after it fired: one alert per episode, as a NOC
wants (and as NAB rewards: only the first detection in a window counts).
"""

from __future__ import annotations

import math
from array import array

from models.base import Detector, Sample

# log(1 - 0.9999999999): maps likelihood 1 - 1e-10 to 1.0, as Numenta's log score does.
_LOG_FLOOR = math.log(1e-10)
# A calibrated score at or above this starts the refractory period (likelihood ~ 1 - 1e-5).
FIRE_LEVEL = 0.5


class AnomalyLikelihood:
    """Turn raw scores into log-likelihood scores in [0, 1] relative to the series' history."""

    __slots__ = ("alpha", "count", "idx", "mean", "ring", "short", "std_floor", "var")

    def __init__(self, short: int = 10, alpha: float = 1e-3, std_floor: float = 0.01) -> None:
        self.short = short
        self.alpha = alpha
        self.std_floor = std_floor
        self.ring = array("d", bytes(8 * short))  # 8 bytes a slot, not a float object
        self.idx = 0
        self.count = 0
        self.mean = 0.0
        self.var = 0.0

    def _avg_with(self, raw: float) -> float:
        """Mean of the last ``short - 1`` raw scores and this one."""
        ring = self.ring
        return (sum(ring) - ring[self.idx] + raw) / self.short

    def score(self, raw: float) -> float:
        if self.count < self.short:
            return 0.0
        avg = self._avg_with(raw)
        std = max(math.sqrt(self.var), self.std_floor)
        z = (avg - self.mean) / std
        if z <= 0.0:
            return 0.0
        tail = 0.5 * math.erfc(z * 0.7071067811865476)
        if tail <= 1e-10:
            return 1.0
        return math.log(tail) / _LOG_FLOOR

    def learn(self, raw: float) -> None:
        avg = self._avg_with(raw)
        self.ring[self.idx] = raw
        self.idx = (self.idx + 1) % self.short
        self.count += 1
        if self.count < self.short:
            return
        # Mean of all averages so far until the window is full, then exponential forgetting.
        a = max(self.alpha, 1.0 / (self.count - self.short + 1))
        d = avg - self.mean
        self.mean += a * d
        self.var = (1.0 - a) * (self.var + a * d * d)

    def __getstate__(self) -> tuple[float | int | list[float], ...]:
        return tuple(getattr(self, s) for s in self.__slots__)

    def __setstate__(self, state: tuple[float | int | list[float], ...]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            setattr(self, name, value)


class Refractory:
    """After a score reaches ``level``, scale scores by ``damp`` for ``period`` samples."""

    __slots__ = ("damp", "left", "level", "period")

    def __init__(self, period: int, level: float, damp: float = 0.2) -> None:
        self.period = period
        self.level = level
        self.damp = damp
        self.left = 0

    def apply(self, score: float) -> float:
        return score * self.damp if self.left > 0 else score

    def learn(self, score: float) -> None:
        """``score`` is the undamped score of the sample just seen."""
        if self.left > 0:
            self.left -= 1
        elif score >= self.level:
            self.left = self.period

    def __getstate__(self) -> tuple[float | int, ...]:
        return (self.period, self.level, self.damp, self.left)

    def __setstate__(self, state: tuple[float | int, ...]) -> None:
        self.period, self.level, self.damp, self.left = state  # type: ignore[assignment]


class CalibratedDetector(Detector):
    """Plumbing shared by the detectors: raw score -> likelihood -> refractory, with warm-up.

    Subclasses give ``_raw(x)`` (uncalibrated, no state change) and ``_update(x)``. The raw score
    computed by ``score_one`` is reused by ``learn_one`` on the same sample, so score-then-learn
    costs one evaluation. ``_calibrated`` (before the refractory damping) is what an ensemble
    combines.
    """

    warmup: int
    refractory: int

    def _init_calibration(self, short: int = 1, history: int = 1) -> None:
        """``short``: samples averaged; ``history``: memory of the raw-score distribution."""
        self._lk = AnomalyLikelihood(short, 1.0 / history)
        self._ref = Refractory(self.refractory, FIRE_LEVEL, 0.0)
        self._n = 0
        self._cx: Sample | None = None
        self._craw = 0.0
        self._cscore = 0.0

    def _raw(self, x: Sample) -> float:
        raise NotImplementedError

    def _update(self, x: Sample) -> None:
        raise NotImplementedError

    def _calibrated(self, x: Sample) -> float:
        if self._cx is not x:
            self._craw = raw = self._raw(x)
            self._cscore = self._lk.score(raw)
            self._cx = x
        return self._cscore

    def score_one(self, x: Sample) -> float:
        if self._n < self.warmup:
            return 0.0
        return self._ref.apply(self._calibrated(x))

    def learn_one(self, x: Sample) -> None:
        score = self._calibrated(x)
        self._lk.learn(self._craw)
        if self._n >= self.warmup:
            self._ref.learn(score)
        self._n += 1
        self._update(x)
        self._cx = None

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_cx"] = None  # a cache, not state
        return state
