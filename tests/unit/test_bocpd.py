"""Bayesian online changepoint detection (models/bocpd.py): the run-length recursion, the
truncation, and the score built on the predictive surprise."""

from __future__ import annotations

import math
import pickle
import random
from datetime import datetime, timedelta

import numpy as np
import pytest

from models.base import Sample
from models.bocpd import BOCPD, _probit_of_tail
from models.registry import ALERT_THRESHOLD

START = datetime(2024, 1, 1)
STEP = timedelta(minutes=5)


def _samples(values: list[float]) -> list[Sample]:
    return [Sample(v, START + i * STEP) for i, v in enumerate(values)]


def _noise(seed: int, n: int, mean: float = 10.0, sd: float = 1.0) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean, sd) for _ in range(n)]


def _scores(det: BOCPD, values: list[float]) -> list[float]:
    return [det.score_learn_one(x) for x in _samples(values)]


def _alerts(scores: list[float]) -> list[int]:
    return [i for i, s in enumerate(scores) if s >= ALERT_THRESHOLD]


def test_level_shift_fires_at_onset_and_the_posterior_moves_to_a_short_run() -> None:
    det = BOCPD()
    scores = _scores(det, _noise(1, 2000))
    assert not _alerts(scores[500:])
    shifted = _noise(2, 40, mean=16.0)
    scores = _scores(det, shifted)
    assert scores[0] >= ALERT_THRESHOLD
    assert int(np.argmax(det._run)) in (39, 40, 41)  # the run began at the shift
    # and the new level is the new normal: no alarm for the rest of the regime
    assert not _alerts(_scores(BOCPD(refractory=0), _noise(1, 2000) + _noise(2, 2000, 16.0))[
        2010:])


def test_spike_fires_on_the_sample() -> None:
    values = _noise(3, 2000)
    values[1500] += 9.0
    assert _alerts(_scores(BOCPD(), values)) == [1500]


def test_stationary_noise_stays_quiet() -> None:
    for seed in range(3):
        assert len(_alerts(_scores(BOCPD(), _noise(seed, 20_000)))) <= 2, seed


def test_score_is_unit_free() -> None:
    values = _noise(4, 1500)
    values[1200] += 7.0

    def surprise(det: BOCPD, vals: list[float]) -> list[float]:
        out = []
        for x in _samples(vals):
            out.append(det._predict(x)[1])
            det.learn_one(x)
        return out

    a = surprise(BOCPD(), values)
    b = surprise(BOCPD(), [1e6 + 250.0 * v for v in values])
    # the first few samples differ through the variance floor (relative to the level, for a
    # constant series); the recursion forgets them
    np.testing.assert_allclose(a[300:], b[300:], rtol=1e-8)
    assert a[1200] > 5.0


def test_posterior_is_a_distribution_over_a_fixed_number_of_run_lengths() -> None:
    det = BOCPD(max_run=32)
    _scores(det, _noise(5, 500))
    assert det._run.shape == (32,)
    assert det._run.sum() == pytest.approx(1.0)
    assert (det._run >= 0).all()
    # steady state: most mass on the "32 or longer" slot, the new-run slot at the hazard
    assert det._run[-1] > 0.5
    assert det._run[0] == pytest.approx(1 / 250, rel=1e-9)


def test_expected_surprise_is_the_z_score_for_a_settled_gaussian_run() -> None:
    det = BOCPD(max_run=64)
    _scores(det, _noise(6, 3000))
    center = float(np.mean(det._values))
    sd = float(np.std(det._values))
    _, z = det._predict(Sample(center + 4 * sd, START))
    assert z == pytest.approx(4.0, rel=0.15)


def test_probit_of_tail_is_standard_normal_for_calibrated_z() -> None:
    rng = np.random.default_rng(0)
    raw = np.array([_probit_of_tail(abs(z)) for z in rng.standard_normal(20_000)])
    assert abs(raw.mean()) < 0.03 and abs(raw.std() - 1.0) < 0.03
    assert _probit_of_tail(50.0) == 50.0 and math.isfinite(_probit_of_tail(0.0))


def test_constant_series_then_a_step() -> None:
    det = BOCPD(warmup=0)
    assert max(_scores(det, [3.0] * 500)) == 0.0
    assert det.score_one(Sample(3.5, START)) >= ALERT_THRESHOLD


def test_pickle_mid_stream_gives_identical_later_scores() -> None:
    values = _noise(7, 1000) + _noise(8, 1000, mean=13.0)
    xs = _samples(values)
    det = BOCPD()
    for x in xs[:900]:
        det.score_learn_one(x)
    restored = pickle.loads(pickle.dumps(det))
    rest = xs[900:]
    assert [restored.score_learn_one(x) for x in rest] == [det.score_learn_one(x) for x in rest]


def test_state_stays_bounded_over_100k_samples() -> None:
    rng = random.Random(9)
    values, level = [], 0.0
    for i in range(100_000):
        if i % 5000 == 0:
            level = rng.uniform(-50, 50)
        values.append(level + rng.gauss(0, 1))
    det = BOCPD()
    sizes = []
    for i, x in enumerate(_samples(values)):
        det.score_learn_one(x)
        if i in (1_000, 99_999):
            sizes.append(len(pickle.dumps(det)))
    assert sizes[1] <= sizes[0] + 64 and sizes[1] <= 4096, sizes
    assert np.isfinite(det._run).all() and det._run.sum() == pytest.approx(1.0)


@pytest.mark.filterwarnings("error")
def test_non_finite_and_extreme_values_neither_crash_nor_poison_the_state() -> None:
    values = _noise(10, 1200)
    values[300], values[310], values[320], values[330] = math.nan, math.inf, 1e300, -1e300
    scores = _scores(BOCPD(), values)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert 320 in _alerts(scores) and not _alerts(scores[600:])
