"""KNN-CAD: a repeated shape stops scoring, a new one is surprising, pickling is exact."""

from __future__ import annotations

import math
import pickle
import random
from datetime import datetime, timedelta

import pytest

from models.base import Sample
from models.knn_cad import KnnCad
from models.registry import ALERT_THRESHOLD

START = datetime(2024, 1, 1)
STEP = timedelta(minutes=5)
WARMUP = 150
PERIOD = 40  # shorter than the warm-up, so training holds every phase


def _periodic(n: int, seed: int = 0) -> list[float]:
    rng = random.Random(seed)
    return [10 + 5 * math.sin(2 * math.pi * i / PERIOD) + rng.gauss(0, 0.2) for i in range(n)]


def _samples(values: list[float]) -> list[Sample]:
    return [Sample(v, START + i * STEP) for i, v in enumerate(values)]


def _run(det: KnnCad, samples: list[Sample]) -> list[float]:
    return [det.score_learn_one(x) for x in samples]


def _raws(det: KnnCad, samples: list[Sample]) -> list[float]:
    out = []
    for x in samples:
        det.score_one(x)
        out.append(det._craw)
        det.learn_one(x)
    return out


def test_repeated_shape_does_not_alert() -> None:
    scores = _run(KnnCad(warmup=WARMUP), _samples(_periodic(1500)))
    assert max(scores[2 * WARMUP:]) < ALERT_THRESHOLD


def test_new_shape_is_far_beyond_calibration_and_alerts() -> None:
    values = _periodic(1500)
    onset = 1200
    values[onset:onset + 10] = [values[onset - 1]] * 10  # the wave stalls (a flat stretch)
    det = KnnCad(warmup=WARMUP)
    raws = _raws(det, _samples(values[:onset + 10]))
    top = -math.log(1 / (len(det._calib) + 1))  # just beyond every calibration score
    assert max(raws[onset:onset + 10]) > 2 * top  # far beyond: the fitted tail says how far
    before = raws[2 * WARMUP:onset]
    assert sum(r >= top for r in before) / len(before) < 0.05  # rare on the learnt shape
    det = KnnCad(warmup=WARMUP)
    scores = _run(det, _samples(values[:onset + 10]))
    assert max(scores[onset:]) >= ALERT_THRESHOLD


def test_constant_series_scores_zero() -> None:
    raws = _raws(KnnCad(warmup=WARMUP), _samples([3.0] * 600))
    assert max(raws) == pytest.approx(0.0)


@pytest.mark.parametrize("cut", [10, WARMUP, WARMUP + 1, 2 * WARMUP, 2 * WARMUP + WARMUP // 2,
                                 777])
def test_pickle_mid_stream_gives_identical_scores(cut: int) -> None:
    samples = _samples(_periodic(1100, seed=3))
    det = KnnCad(warmup=WARMUP)
    _run(det, samples[:cut])
    restored = pickle.loads(pickle.dumps(det))
    assert _run(restored, samples[cut:]) == _run(det, samples[cut:])


def test_state_stays_bounded() -> None:
    det = KnnCad(warmup=WARMUP)
    samples = _samples(_periodic(3000, seed=4))
    _run(det, samples[:1000])
    size = len(pickle.dumps(det))
    _run(det, samples[1000:])
    assert len(pickle.dumps(det)) <= size + 64
    assert len(det._vals) <= int(2.5 * WARMUP) + det.dim
    assert len(det._calib) == WARMUP - det.dim


def test_non_finite_values_do_not_poison_the_state() -> None:
    values = _periodic(800)
    values[500] = float("nan")
    values[600] = float("inf")
    scores = _run(KnnCad(warmup=WARMUP), _samples(values))
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_warmup_must_hold_k_plus_one_windows() -> None:
    with pytest.raises(ValueError, match="warmup"):
        KnnCad(warmup=40)
