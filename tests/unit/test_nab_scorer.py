"""The NAB scorer on hand-computed cases, and its fast sweep against a row-by-row reference.

Shared setup: a 100-row file has a probationary period of min(floor(0.15 * 100), 750) = 15 rows;
its window covers rows 40..49 (width 10). With S(x) = 2 / (1 + e^(5x)) - 1 = tanh(-5x / 2):
a detection at row i of the window is worth S(-(49 - i + 1) / 10) / S(-1), an FP at row j > 49
costs fpWeight * -S((j - 49) / 9).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks.nab.data import load_corpus
from benchmarks.nab.scorer import (
    NAB_PROFILES,
    CostMatrix,
    probationary_length,
    scaled_sigmoid,
    score_at_threshold,
    score_corpus,
    sweep,
)
from benchmarks.nab.scorer import prepare as prepare_corpus

STANDARD = NAB_PROFILES["standard"]
LOW_FN = NAB_PROFILES["reward_low_FN_rate"]
N = 100
WINDOW = (40, 49)


def raw(rows: list[int], cost: CostMatrix = STANDARD, windows=(WINDOW,), n: int = N) -> float:
    """Raw score of one file whose detector fires exactly on ``rows``."""
    scores = np.zeros(n)
    scores[rows] = 1.0
    return score_at_threshold(prepare_corpus([(n, windows)]), [scores], cost, 0.5).raw


def test_sigmoid_and_probation_follow_nab() -> None:
    assert float(scaled_sigmoid(-1.0)) == pytest.approx(math.tanh(2.5))  # 0.98661
    assert float(scaled_sigmoid(0.0)) == 0.0
    assert float(scaled_sigmoid(3.5)) == -1.0
    assert probationary_length(100) == 15
    assert probationary_length(4032) == 604
    assert probationary_length(22_695) == 750


def test_early_detection_beats_late() -> None:
    early, late = raw([40]), raw([49])
    assert early == pytest.approx(1.0)  # the window's first row earns the full tpWeight
    assert late == pytest.approx(math.tanh(0.25) / math.tanh(2.5))  # 0.2482
    assert early > late > 0


def test_only_first_detection_in_window_counts() -> None:
    assert raw([40, 45, 49]) == pytest.approx(1.0)
    assert raw([45, 49]) == pytest.approx(math.tanh(1.25) / math.tanh(2.5))  # 0.8598
    assert raw([45, 46, 47, 48, 49]) == pytest.approx(raw([45]))


def test_fp_in_probation_is_ignored_after_costs_fp_weight() -> None:
    missed = -1.0  # the window is missed in all three cases
    assert raw([]) == pytest.approx(missed)
    assert raw([5]) == pytest.approx(missed)  # row 5 < 15: probationary
    assert raw([20]) == pytest.approx(missed - 0.11)  # no preceding window: full fpWeight
    low_fp = NAB_PROFILES["reward_low_FP_rate"]
    assert raw([20], low_fp) == pytest.approx(missed - 0.22)


def test_fp_right_after_window_costs_less_than_far_away() -> None:
    near = raw([50]) + 1.0  # FP part only
    far = raw([90]) + 1.0  # (90 - 49) / 9 > 3: the full fpWeight
    assert near == pytest.approx(0.11 * -math.tanh(5 / 18))  # -0.0298
    assert far == pytest.approx(-0.11)
    assert far < near < 0


def test_no_detection_costs_fn_weight_per_window() -> None:
    two = ((20, 29), (60, 69))
    assert raw([], windows=two) == pytest.approx(-2.0)
    assert raw([], LOW_FN, windows=two) == pytest.approx(-4.0)
    assert raw([20], LOW_FN, windows=two) == pytest.approx(1.0 - 2.0)


def _corpus() -> tuple[list[tuple[int, tuple[tuple[int, int], ...]]], list[np.ndarray]]:
    """File A: window 40..49, score 0.9 at row 42, an FP scored 0.7 at row 20.
    File B: window 30..39, score 0.6 at row 30, an FP scored 0.65 at row 90."""
    files = [(N, (WINDOW,)), (N, ((30, 39),))]
    a, b = np.zeros(N), np.zeros(N)
    a[42], a[20] = 0.9, 0.7
    b[30], b[90] = 0.6, 0.65
    return files, [a, b]


def test_threshold_sweep_picks_the_best_threshold() -> None:
    files, scores = _corpus()
    prep = prepare_corpus(files)
    sw = sweep(prep, scores, STANDARD)
    tp_a = math.tanh(2.0) / math.tanh(2.5)  # row 42: position -0.8
    expected = {  # threshold: raw corpus score, by hand
        1.1: -2.0,
        0.9: -1.0 + tp_a,
        0.7: -1.0 + tp_a - 0.11,
        0.65: -1.0 + tp_a - 0.22,
        0.6: tp_a + 1.0 - 0.22,
    }
    got = dict(zip(sw.thresholds.tolist(), sw.raw.tolist(), strict=True))
    for t, r in expected.items():
        assert got[t] == pytest.approx(r)
    assert sw.thresholds[sw.best] == 0.6
    result = score_corpus(prep, scores)["standard"]
    assert result.threshold == 0.6
    assert result.raw == pytest.approx(tp_a + 0.78)
    assert result.score == pytest.approx(100 * (tp_a + 0.78 + 2.0) / 4.0)
    assert (result.windows_detected, result.windows_missed, result.fp_rows) == (2, 0, 2)


def test_normalisation_null_is_zero_perfect_is_hundred() -> None:
    files = [(N, (WINDOW,)), (N, ((30, 39), (70, 79))), (N, ())]
    prep = prepare_corpus(files)
    null = [np.zeros(N) for _ in files]
    perfect = [np.zeros(N) for _ in files]
    for arr, (_, windows) in zip(perfect, files, strict=True):
        for left, _right in windows:
            arr[left] = 1.0
    for name in NAB_PROFILES:
        assert score_corpus(prep, null)[name].score == 0.0
        assert score_corpus(prep, perfect)[name].score == pytest.approx(100.0, abs=1e-9)


def _reference_raw(n: int, windows: tuple[tuple[int, int], ...], detections: np.ndarray,
                   cost: CostMatrix) -> float:
    """Row-by-row statement of the rules, independent of the vectorised scorer."""
    start = min(math.floor(0.15 * n), 0.15 * 5000)
    total, prev = 0.0, None
    for left, right in windows:
        width = right - left + 1
        firsts = [i for i in range(left, right + 1) if i >= start and detections[i]]
        if any(i >= start for i in range(left, right + 1)):
            if firsts:
                p = -(right - firsts[0] + 1) / width
                total += cost.tp_weight * float(scaled_sigmoid(p)) / math.tanh(2.5)
            else:
                total -= cost.fn_weight
    for i in range(n):
        if i < start or not detections[i] or any(a <= i <= b for a, b in windows):
            continue
        prev = max((w for w in windows if w[1] < i), default=None)
        if prev is None:
            total -= cost.fp_weight
        else:
            pos = (i - prev[1]) / max(prev[1] - prev[0], 1)
            total += cost.fp_weight * float(scaled_sigmoid(pos))
    return total


def test_sweep_matches_row_by_row_rules_on_random_corpora() -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        files, scores = [], []
        for _f in range(3):
            n = int(rng.integers(60, 200))
            cuts = np.sort(rng.choice(np.arange(5, n - 5), size=4, replace=False))
            files.append((n, ((int(cuts[0]), int(cuts[1])), (int(cuts[2]), int(cuts[3])))))
            scores.append(np.round(rng.random(n), 2))  # ties between rows on purpose
        prep = prepare_corpus(files)
        for cost in NAB_PROFILES.values():
            sw = sweep(prep, scores, cost)
            for t, r in zip(sw.thresholds[::7], sw.raw[::7], strict=True):
                ref = sum(_reference_raw(n, w, s >= t, cost)
                          for (n, w), s in zip(files, scores, strict=True))
                assert r == pytest.approx(ref, abs=1e-9)
                assert score_at_threshold(prep, scores, cost, t).raw == pytest.approx(ref)


def test_load_corpus_reads_nab_layout(tmp_path: Path) -> None:
    (tmp_path / "cat").mkdir()
    rows = "\n".join(f"2024-01-01 00:{m:02d}:00,{m}" for m in range(30))
    (tmp_path / "cat" / "s.csv").write_text("timestamp,value\n" + rows + "\n")
    (tmp_path / "cat" / "unlabelled.csv").write_text("timestamp,value\n" + rows + "\n")
    (tmp_path / "windows.json").write_text(json.dumps(
        {"cat/s.csv": [["2024-01-01 00:10:00.000000", "2024-01-01 00:14:30.000000"]]}))
    corpus = load_corpus(tmp_path)
    assert [s.name for s in corpus.series] == ["cat/s.csv", "cat/unlabelled.csv"]
    assert corpus.series[0].windows == ((10, 14),)
    assert corpus.series[1].windows is None
    assert [s.name for s in corpus.labelled] == ["cat/s.csv"]
    assert corpus.profiles == NAB_PROFILES
    assert corpus.series[0].values[3] == 3.0
    assert corpus.series[0].datetimes()[1].minute == 1


def test_shared_corpus_null_is_zero_perfect_is_hundred() -> None:
    try:
        corpus = load_corpus()
    except FileNotFoundError:
        pytest.skip("shared NAB data not present")
    prep = corpus.prepare()
    null = [np.zeros(len(s)) for s in corpus.labelled]
    perfect = [np.zeros(len(s)) for s in corpus.labelled]
    for arr, s in zip(perfect, corpus.labelled, strict=True):
        arr[[left for left, _ in s.windows or ()]] = 1.0
    for result in score_corpus(prep, null, corpus.profiles).values():
        assert result.score == 0.0
    for result in score_corpus(prep, perfect, corpus.profiles).values():
        assert result.score == pytest.approx(100.0, abs=1e-9)


def test_runner_streams_scores_and_writes_nab_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.nab.runner import run

    data = tmp_path / "data"
    (data / "cat").mkdir(parents=True)
    rows = "\n".join(f"2024-01-01 {h:02d}:{m:02d}:00,{m % 7}" for h in range(2) for m in range(60))
    (data / "cat" / "s.csv").write_text("timestamp,value\n" + rows + "\n")
    (data / "windows.json").write_text(json.dumps(
        {"cat/s.csv": [["2024-01-01 01:00:00.000000", "2024-01-01 01:09:00.000000"]]}))
    out = run(data, ["null", "random"], results_out=tmp_path / "res", as_json=True)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == json.loads(json.dumps(out))
    assert {p["score"] for p in out["detectors"]["null"]["profiles"].values()} == {0.0}
    written = (tmp_path / "res" / "random" / "cat" / "random_s.csv").read_text().splitlines()
    assert written[0] == "timestamp,value,anomaly_score,label"
    assert len(written) == 121
    assert written[61].startswith("2024-01-01 01:00:00,") and written[61].endswith(",1")
