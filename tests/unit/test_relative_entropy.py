"""The relative-entropy detector (models/relative_entropy.py): the paper's test, and the changes
made for an unbounded stream (a range that widens, a bounded set of hypotheses)."""

from __future__ import annotations

import pickle
import random
from datetime import datetime, timedelta

import numpy as np
import pytest

from models.base import Sample
from models.registry import ALERT_THRESHOLD
from models.relative_entropy import RelativeEntropy, _rebin_matrix

START = datetime(2024, 1, 1)
STEP = timedelta(minutes=5)


def _samples(values: list[float]) -> list[Sample]:
    return [Sample(v, START + i * STEP) for i, v in enumerate(values)]


def _noise(seed: int, n: int, mean: float = 10.0, sd: float = 1.0) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean, sd) for _ in range(n)]


def _alerts(det: RelativeEntropy, values: list[float]) -> list[int]:
    return [i for i, x in enumerate(_samples(values))
            if det.score_learn_one(x) >= ALERT_THRESHOLD]


def test_threshold_is_the_chi_square_quantile_of_the_paper() -> None:
    # chi-square with n_bins - 1 = 4 degrees of freedom, upper 1 % point
    assert RelativeEntropy()._threshold == pytest.approx(13.2767, abs=1e-3)
    assert RelativeEntropy(n_bins=10, significance=0.05)._threshold == pytest.approx(16.919,
                                                                                     abs=1e-3)


def test_first_full_window_is_the_first_hypothesis_not_an_alarm() -> None:
    det = RelativeEntropy(warmup=0, window=10)
    raws = []
    for x in _samples(_noise(0, 10)):
        raws.append(det._raw(x))
        det.learn_one(x)
    assert raws == [0.0] * 10
    assert det._m == 1 and det._hits[0] == 1


def test_distribution_shift_is_flagged_then_learned() -> None:
    values = _noise(1, 3000) + _noise(2, 3000, mean=14.0)
    alerts = _alerts(RelativeEntropy(), values)
    assert any(3000 <= i < 3000 + 52 for i in alerts), alerts
    # the new level becomes a known hypothesis: quiet again once its windows recur
    assert not [i for i in alerts if i >= 3600], alerts


def test_a_window_matching_no_hypothesis_becomes_one() -> None:
    det = RelativeEntropy(warmup=0)
    for x in _samples(_noise(3, 500)):
        det.learn_one(x)
    m = det._m
    spike = Sample(30.0, START + 500 * STEP)
    assert det._raw(spike) == 1.0
    det.learn_one(spike)
    assert det._m == m + 1
    # the next window still holds the spike and matches the hypothesis it just made
    assert det._raw(Sample(10.0, START + 501 * STEP)) == 0.0


def test_stationary_series_quiets_down() -> None:
    for seed in range(3):
        alerts = _alerts(RelativeEntropy(), _noise(seed, 20_000))
        late = [i for i in alerts if i >= 5000]
        assert len(late) <= 6, (seed, alerts)  # the paper's test, 1 % significance per window


def test_constant_then_a_new_value_is_an_anomaly() -> None:
    det = RelativeEntropy(warmup=0)
    for x in _samples([5.0] * 300):
        assert det.score_learn_one(x) == 0.0
    assert det._raw(Sample(6.0, START + 300 * STEP)) == 1.0


def test_rebinning_keeps_mass_and_places_it_by_overlap() -> None:
    m = _rebin_matrix(0.0, 1.0, 0.0, 1.5, 5)  # range [0, 5] widened to [0, 7.5]
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    np.testing.assert_allclose(m[0], [1.0, 0, 0, 0, 0])
    np.testing.assert_allclose(m[1], [0.5, 0.5, 0, 0, 0])
    np.testing.assert_allclose(m[4], [0, 0, 0.5, 0.5, 0])
    point = _rebin_matrix(3.0, 0.0, 3.0, 1.0, 5)  # one-value "range" widened to [3, 8]
    np.testing.assert_allclose(point[:, 0], 1.0)


def test_widened_range_rebins_the_window_exactly() -> None:
    det = RelativeEntropy(warmup=0, window=20)
    values = _noise(4, 100)
    for x in _samples(values):
        det.learn_one(x)
    big = Sample(100.0, START + 100 * STEP)
    det.learn_one(big)
    window = [*values[-19:], 100.0]
    w = (det._hi - det._lo) / det.n_bins
    expected = [0] * det.n_bins
    for v in window:
        expected[min(int((v - det._lo) / w), det.n_bins - 1)] += 1
    assert det._counts == expected
    assert det._hi == 100.0


def test_pickle_mid_stream_gives_identical_later_scores() -> None:
    values = [*_noise(5, 2000), 40.0, *_noise(6, 1500, mean=12.0)]  # widens after the cut
    xs = _samples(values)
    det = RelativeEntropy()
    for x in xs[:1500]:
        det.score_learn_one(x)
    restored = pickle.loads(pickle.dumps(det))
    rest = xs[1500:]
    assert [restored.score_learn_one(x) for x in rest] == [det.score_learn_one(x) for x in rest]


def test_score_one_does_not_change_state() -> None:
    det = RelativeEntropy(warmup=0)
    for x in _samples(_noise(7, 300)):
        det.learn_one(x)
    def state() -> tuple[object, ...]:
        return (det._lo, det._hi, list(det._counts), det._probs.tobytes(), det._m,
                bytes(det._values), bytes(det._bins), bytes(det._hits), det._seen)

    before = state()
    det.score_one(Sample(99.0, START + 300 * STEP))  # would widen the range if it learned
    assert state() == before


def test_state_stays_bounded_over_100k_samples() -> None:
    rng = random.Random(8)
    # noise on a slow random walk: new windows, hypothesis evictions and range widenings
    level, values = 0.0, []
    for _ in range(100_000):
        level += rng.gauss(0, 0.05)
        values.append(level + rng.gauss(0, 1))
    det = RelativeEntropy(max_hypotheses=16)
    sizes = []
    for i, x in enumerate(_samples(values)):
        det.score_learn_one(x)
        if i in (1_000, 99_999):
            sizes.append(len(pickle.dumps(det)))
    assert det._m == 16
    assert sizes[1] <= sizes[0] + 64 and sizes[1] <= 4096, sizes


def test_non_finite_and_extreme_values_neither_crash_nor_poison_the_state() -> None:
    values = _noise(9, 1200)
    values[300], values[310], values[320] = float("nan"), float("inf"), 1e300
    det = RelativeEntropy()
    scores = [det.score_learn_one(x) for x in _samples(values)]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[320] >= ALERT_THRESHOLD
    assert det._hi == 1e300 and det._seen == 1198
