"""Seasonal robust baseline: a clipped location and scale per time-of-day (or -week) bucket.

Operational metrics follow the clock (traffic by day, batch jobs by night), so "high" must be
judged against the same hour on earlier days, not against the last hour. Each bucket keeps a
Huber-clipped exponentially weighted mean and variance (see ``features.RobustEW``): an anomaly
seen in a bucket is clipped, so it does not become the bucket's normal. State is two float32 per
bucket plus a count (24 buckets by day: ~300 bytes; 168 by week: ~1.5 KB).
"""

from __future__ import annotations

import math
from array import array
from typing import Literal

from models.base import Sample
from models.features import squash
from models.likelihood import CalibratedDetector

_BUCKETS = {"day": 24, "week": 168}


class SeasonalRobust(CalibratedDetector):
    """Robust z of the value against its hour-of-day (``period="day"``) or hour-of-week bucket."""

    def __init__(self, warmup: int = 150, period: Literal["day", "week"] = "day",
                 alpha: float = 0.2, clip: float = 3.0, min_count: int = 4, scale: float = 3.0,
                 short: int = 30, history: int = 1000, refractory: int = 100,
                 seed: int = 0) -> None:
        if period not in _BUCKETS:
            raise ValueError(f"period must be one of {sorted(_BUCKETS)}, got {period!r}")
        self.warmup = warmup
        self.period = period
        self.alpha = alpha
        self.clip = clip
        self.min_count = min_count
        self.scale = scale
        self.short = short
        self.history = history
        self.refractory = refractory
        self.seed = seed
        k = _BUCKETS[period]
        self._mean = array("f", bytes(4 * k))
        self._var = array("f", bytes(4 * k))
        self._count = array("H", bytes(2 * k))
        self._init_calibration(short, history)

    def _bucket(self, x: Sample) -> int:
        t = x.timestamp
        return t.hour if self.period == "day" else t.weekday() * 24 + t.hour

    def _raw(self, x: Sample) -> float:
        b = self._bucket(x)
        if self._count[b] < self.min_count:
            return 0.0
        m = self._mean[b]
        sd = math.sqrt(self._var[b]) + 1e-6 * (abs(m) + 1e-12)
        return squash(abs(x.value - m) / sd, self.scale)

    def _update(self, x: Sample) -> None:
        b = self._bucket(x)
        n = self._count[b] + 1
        if n < 65535:
            self._count[b] = n
        a = max(self.alpha, 1.0 / n)
        m, v = self._mean[b], self._var[b]
        d = x.value - m
        if n > self.min_count:
            lim = self.clip * math.sqrt(v)
            d = min(max(d, -lim), lim)
        self._mean[b] = m + a * d
        self._var[b] = (1.0 - a) * (v + a * d * d)
