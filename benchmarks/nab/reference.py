"""NAB's two reference detectors, so the benchmark's ends of the scale can be checked, and
published figures scored with the cross-validation protocol of ``--cv``.

``null`` never fires and defines NAB's 0; ``random`` (uniform scores, reseeded for every file
as NAB's random detector is) shows what the threshold sweep alone can make of noise.
"""

from __future__ import annotations

import random

from models.base import Detector, Sample


class NullDetector(Detector):
    """Always 0."""

    def __init__(self) -> None:  # an explicit (empty) signature keeps clone() working
        pass

    def learn_one(self, x: Sample) -> None:
        return None

    def score_one(self, x: Sample) -> float:
        return 0.0


class RandomDetector(Detector):
    """Uniform scores in [0, 1) from a seeded generator; a clone restarts the sequence."""

    def __init__(self, seed: int = 42) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def learn_one(self, x: Sample) -> None:
        return None

    def score_one(self, x: Sample) -> float:
        return self._rng.random()


REFERENCE_DETECTORS: dict[str, type[Detector]] = {
    "null": NullDetector,
    "random": RandomDetector,
}

# NAB's published result files (numenta/NAB results/) scored with ``--cv``'s protocol on the
# 44 public files, as issue 8 reports them: leave one category with windows out, threshold
# chosen on the other categories, mean of the four folds, standard profile. Those detectors'
# parameters were fixed by their authors, not chosen per fold.
PUBLISHED_CV_STANDARD: dict[str, float] = {
    "CAD OSE": 72.2,
    "ARTime": 70.9,
    "Numenta HTM": 70.6,
    "KNN-CAD": 60.3,
    "relative entropy": 50.8,
}
