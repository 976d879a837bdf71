"""Detectors by name, for configuration (one name and parameters per metric)."""

from __future__ import annotations

from collections.abc import Callable

from models.base import Detector
from models.bocpd import BOCPD
from models.cad_ose import CadOse
from models.ensemble import Ensemble
from models.knn_cad import KnnCad
from models.relative_entropy import RelativeEntropy
from models.river_detector import RiverHST
from models.robust import Novelty, RobustZ
from models.seasonal import SeasonalRobust

DETECTORS: dict[str, Callable[..., Detector]] = {
    "ensemble": Ensemble,
    "robust_z": RobustZ,
    "novelty": Novelty,
    "seasonal": SeasonalRobust,
    "river_hst": RiverHST,
    "relative_entropy": RelativeEntropy,
    "bocpd": BOCPD,
    "cad_ose": CadOse,
    "knn_cad": KnnCad,
}
DEFAULT_DETECTOR = "ensemble"

# Scores at or above this are alerts. Scores are log anomaly likelihoods: 0.5 means the recent
# raw scores are as unusual as a 1-in-100,000 event under the series' own history.
ALERT_THRESHOLD = 0.5


def make_detector(name: str, **params: object) -> Detector:
    """A new detector by registry name, e.g. ``make_detector("seasonal", period="week")``."""
    try:
        factory = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; valid names: {sorted(DETECTORS)}") from None
    return factory(**params)
