"""CAD OSE: learns a repeated sequence, flags a new one, survives pickling and a memory bound."""

from __future__ import annotations

import math
import pickle
import random
from datetime import datetime, timedelta

import pytest

from models.base import Sample
from models.cad_ose import CadOse
from models.registry import ALERT_THRESHOLD

START = datetime(2024, 1, 1)
STEP = timedelta(minutes=5)
PATTERN = [0.0, 1.0, 3.0, 7.0, 4.0, 2.0, 6.0, 5.0]  # one period, every level of the range


def _samples(values: list[float]) -> list[Sample]:
    return [Sample(v, START + i * STEP) for i, v in enumerate(values)]


def _raw_scores(det: CadOse, samples: list[Sample]) -> list[float]:
    """CAD's own score (``calibrate=False`` shows it undamped only outside rest periods)."""
    out = []
    for x in samples:
        det.score_one(x)
        out.append(det._craw)
        det.learn_one(x)
    return out


def test_repeated_sequence_is_learned_and_stops_scoring() -> None:
    det = CadOse(warmup=40)
    samples = _samples(PATTERN * 100)
    raw = _raw_scores(det, samples)
    assert max(raw[-200:]) == 0.0  # every fact of every value is predicted
    scores = [det.score_learn_one(x) for x in _samples(PATTERN * 20)]
    assert max(scores) < ALERT_THRESHOLD


def test_new_sequence_scores_high_and_alerts() -> None:
    det = CadOse(warmup=40)
    for x in _samples(PATTERN * 100):
        det.score_learn_one(x)
    # Same values, new order: no value is new, the sequence is.
    novel = _samples([7.0, 0.0, 6.0, 1.0, 5.0, 2.0, 4.0, 3.0])
    scores = [det.score_learn_one(x) for x in novel]
    assert max(scores) >= ALERT_THRESHOLD


def test_new_sequence_raw_score_is_high_without_calibration() -> None:
    det = CadOse(warmup=40, calibrate=False)
    for x in _samples(PATTERN * 100):
        det.score_learn_one(x)
    scores = [det.score_learn_one(x) for x in _samples([7.0, 0.0, 6.0, 1.0])]
    assert max(scores) >= det.base_threshold


def test_rest_period_silences_the_raw_score() -> None:
    det = CadOse(warmup=40, calibrate=False, refractory=30)
    for x in _samples(PATTERN * 100):
        det.score_learn_one(x)
    rng = random.Random(0)
    noise = _samples([rng.uniform(0.0, 7.0) for _ in range(30)])
    scores = [det.score_learn_one(x) for x in noise]
    first = next(i for i, s in enumerate(scores) if s >= det.base_threshold)
    assert max(scores[first + 1:first + 30]) == 0.0


def test_value_beyond_the_warmup_range_gets_new_facts() -> None:
    det = CadOse(warmup=8)
    for x in _samples(PATTERN):
        det.learn_one(x)
    assert (det._lo, det._step) == (0.0, 1.0)  # range 0..7 over 7 steps, as NAB's 3 bits
    inside = {f for v in PATTERN for f in det.facts(v)}
    assert len(inside) == 6  # 3 bits, each 0 or 1
    for v in (8.0, -1.0, 100.0, float("nan"), float("inf"), -1e300):
        facts = det.facts(v)
        assert len(facts) == 3 and not set(facts) & inside


def test_constant_warmup_still_quantises() -> None:
    det = CadOse(warmup=10)
    for x in _samples([5.0] * 10):
        det.learn_one(x)
    assert det._step > 0.0
    assert det.facts(5.0) != det.facts(6.0)


def _noisy(n: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [50 + 10 * math.sin(2 * math.pi * i / 96) + rng.gauss(0, 1) for i in range(n)]


@pytest.mark.parametrize("cut", [5, 60, 250])  # in warm-up, just after it, later
def test_pickle_mid_stream_gives_identical_scores(cut: int) -> None:
    samples = _samples(_noisy(400))
    det = CadOse(warmup=60)
    for x in samples[:cut]:
        det.score_learn_one(x)
    restored = pickle.loads(pickle.dumps(det))
    rest = samples[cut:]
    assert [restored.score_learn_one(x) for x in rest] == [det.score_learn_one(x) for x in rest]


def test_memory_bound_holds_and_pickling_still_round_trips() -> None:
    samples = _samples(_noisy(600, seed=2))
    det = CadOse(warmup=60, max_contexts=300)
    sizes = []
    for x in samples[:400]:
        s = det.score_learn_one(x)
        assert 0.0 <= s <= 1.0
        sizes.append(len(det._mem))
    assert max(sizes) <= 300
    restored = pickle.loads(pickle.dumps(det))
    rest = samples[400:]
    assert [restored.score_learn_one(x) for x in rest] == [det.score_learn_one(x) for x in rest]


def test_bits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="bits"):
        CadOse(bits=0)


def test_expand_policy_widens_the_range_to_a_new_extreme() -> None:
    det = CadOse(warmup=8, range_policy="expand")
    for x in _samples(PATTERN):
        det.learn_one(x)
    before = det.facts(7.0)
    det.score_learn_one(Sample(14.0, START))
    assert (det._lo, det._hi, det._step) == (0.0, 14.0, 2.0)
    assert det.facts(14.0) == before  # the new extreme is now the top level
    with pytest.raises(ValueError, match="range_policy"):
        CadOse(range_policy="guess")
