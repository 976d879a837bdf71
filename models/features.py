"""Small, fixed-size online statistics that the detectors share.

Each scorer turns one value into a *raw* score in [0, 1) and keeps O(1) floats of state, so a
series costs a few hundred bytes pickled (the 4 KiB budget of issue 3) and a sample costs a few
microseconds. Raw scores are not calibrated across series; ``likelihood.AnomalyLikelihood`` does
that.
"""

from __future__ import annotations

import math


def squash(z: float, scale: float) -> float:
    """Map a non-negative deviation to [0, 1) smoothly: saturating maps lose rank information."""
    z2 = z * z
    return z2 / (z2 + scale * scale)


class RobustEW:
    """Exponentially weighted mean and variance with Huber-clipped updates.

    Clipping each residual at ``clip`` standard deviations bounds the pull of any one outlier,
    so a spike barely moves the baseline it is judged against, while a lasting level shift is
    still absorbed (at ``alpha * clip * std`` per sample). Until ``1 / alpha`` samples are seen
    the weights are those of a plain running mean, so the start is not biased towards zero.
    """

    __slots__ = ("alpha", "clip", "mean", "n", "var")

    def __init__(self, alpha: float, clip: float = 3.0) -> None:
        self.alpha = alpha
        self.clip = clip
        self.n = 0
        self.mean = 0.0
        self.var = 0.0

    def update(self, x: float) -> None:
        self.n += 1
        a = max(self.alpha, 1.0 / self.n)
        d = x - self.mean
        if self.n > 10:
            lim = self.clip * math.sqrt(self.var)
            if d > lim:
                d = lim
            elif d < -lim:
                d = -lim
        self.mean += a * d
        self.var = (1.0 - a) * (self.var + a * d * d)

    def __getstate__(self) -> tuple[float | int, ...]:
        return (self.alpha, self.clip, self.n, self.mean, self.var)

    def __setstate__(self, state: tuple[float | int, ...]) -> None:
        self.alpha, self.clip, self.n, self.mean, self.var = state  # type: ignore[assignment]


class RangeNovelty:
    """Flags values beyond everything seen so far by more than ``tolerance`` of the range.

    Numenta's NAB detector adds the same "spatial anomaly" check to HTM: a new extreme is worth
    an alert whatever the model's error says.
    """

    __slots__ = ("hi", "lo", "tolerance")

    def __init__(self, tolerance: float = 0.05) -> None:
        self.tolerance = tolerance
        self.lo = math.inf
        self.hi = -math.inf

    def novel(self, x: float) -> bool:
        span = self.hi - self.lo
        if not span > 0.0:
            return False
        tol = span * self.tolerance
        return x > self.hi + tol or x < self.lo - tol

    def update(self, x: float) -> None:
        if x < self.lo:
            self.lo = x
        if x > self.hi:
            self.hi = x

    def __getstate__(self) -> tuple[float, ...]:
        return (self.tolerance, self.lo, self.hi)

    def __setstate__(self, state: tuple[float, ...]) -> None:
        self.tolerance, self.lo, self.hi = state
