"""Non-seasonal members: a robust z-score on a slow baseline and a new-extreme check."""

from __future__ import annotations

import math

from models.base import Sample
from models.features import RangeNovelty, RobustEW, squash
from models.likelihood import CalibratedDetector


class RobustZ(CalibratedDetector):
    """How far the value sits from a slow, outlier-clipped baseline, as an anomaly likelihood.

    The baseline (``RobustEW`` with memory ``~1 / alpha`` samples) is barely moved by the spikes
    it has seen, so a burst keeps scoring high; a lasting shift is absorbed in a few hundred
    samples, after which it stops alerting. The likelihood compares the last ``short`` raw
    scores with the series' own history, so a noisy series needs a bigger excursion.
    """

    def __init__(self, warmup: int = 150, alpha: float = 0.003, scale: float = 3.0,
                 short: int = 30, history: int = 1000, refractory: int = 100,
                 seed: int = 0) -> None:
        self.warmup = warmup
        self.alpha = alpha
        self.scale = scale
        self.short = short
        self.history = history
        self.refractory = refractory
        self.seed = seed  # deterministic anyway; kept for a uniform signature
        self._base = RobustEW(alpha)
        self._init_calibration(short, history)

    def _raw(self, x: Sample) -> float:
        b = self._base
        sd = math.sqrt(b.var) + 1e-9 * (abs(b.mean) + 1e-12)
        return squash(abs(x.value - b.mean) / sd, self.scale)

    def _update(self, x: Sample) -> None:
        self._base.update(x.value)


class Novelty(CalibratedDetector):
    """Scores 1 when a value leaves everything seen so far by more than ``tolerance`` of the range.

    Numenta pairs HTM with the same "spatial anomaly" check on NAB. Alone it misses anything
    inside the usual range; in the ensemble it catches the first sample of a new extreme.
    """

    def __init__(self, warmup: int = 150, tolerance: float = 0.05, refractory: int = 100,
                 seed: int = 0) -> None:
        self.warmup = warmup
        self.tolerance = tolerance
        self.refractory = refractory
        self.seed = seed
        self._range = RangeNovelty(tolerance)
        self._init_calibration()

    def _calibrated(self, x: Sample) -> float:
        return 1.0 if self._range.novel(x.value) else 0.0

    def learn_one(self, x: Sample) -> None:
        score = self._calibrated(x)
        if self._n >= self.warmup:
            self._ref.learn(score)
        self._n += 1
        self._range.update(x.value)
