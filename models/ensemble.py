"""A meta-detector: the strongest calibrated member score, then one shared refractory period.

Members see different evidence (distance from a robust baseline, distance from the same hour on
earlier days, a new extreme, isolation in feature space). Each member's score is already an
anomaly likelihood, i.e. on a common scale, so taking the (weighted) maximum is meaningful and
fires as soon as any member is sure. The ensemble owns warm-up and refractory so that members
do not each suppress the others.
"""

from __future__ import annotations

from collections.abc import Callable

from models.base import Detector, Sample
from models.likelihood import FIRE_LEVEL, CalibratedDetector, Refractory
from models.relative_entropy import RelativeEntropy
from models.river_detector import RiverHST
from models.robust import Novelty, RobustZ
from models.seasonal import SeasonalRobust

MEMBERS: dict[str, Callable[..., CalibratedDetector]] = {
    "robust_z": RobustZ,
    "novelty": Novelty,
    "seasonal": SeasonalRobust,
    "river_hst": RiverHST,
    "relative_entropy": RelativeEntropy,
}


class Ensemble(Detector):
    """Weighted maximum of member likelihood scores (members named from ``MEMBERS``)."""

    def __init__(self, members: tuple[str, ...] = ("robust_z", "novelty"),
                 weights: tuple[float, ...] | None = None, warmup: int = 150,
                 refractory: int = 100, seed: int = 0) -> None:
        unknown = [m for m in members if m not in MEMBERS]
        if unknown or not members:
            raise ValueError(f"unknown ensemble members {unknown}; valid: {sorted(MEMBERS)}")
        if weights is not None and len(weights) != len(members):
            raise ValueError("weights must have one entry per member")
        self.members = tuple(members)
        self.weights = weights
        self.warmup = warmup
        self.refractory = refractory
        self.seed = seed
        self._members = [MEMBERS[m](warmup=0, seed=seed + i) for i, m in enumerate(members)]
        self._weights = tuple(weights) if weights is not None else (1.0,) * len(members)
        self._ref = Refractory(refractory, FIRE_LEVEL, 0.0)
        self._n = 0

    def _combined(self, x: Sample) -> float:
        best = 0.0
        for member, w in zip(self._members, self._weights, strict=True):
            s = w * member._calibrated(x)
            if s > best:
                best = s
        return min(best, 1.0)

    def score_one(self, x: Sample) -> float:
        if self._n < self.warmup:
            return 0.0
        return self._ref.apply(self._combined(x))

    def learn_one(self, x: Sample) -> None:
        if self._n >= self.warmup:
            self._ref.learn(self._combined(x))
        self._n += 1
        for member in self._members:
            member.learn_one(x)
