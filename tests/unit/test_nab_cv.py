"""`aiops bench nab --cv` on tiny synthetic NAB-layout folders, and files whose clock steps back.

Shared setup: each file has 200 rows five minutes apart (probation: the first 30), value 0 except
planted anomalies. ``catA`` files have an anomaly of value 10 at the first row of a window,
``catB`` files one of value 20; ``noAnomaly`` has no window. ``Bump(target)`` fires (score 1)
on values within 0.5 of ``target`` and nowhere else, so its best ``target`` is whatever the
training side's anomalies look like.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from benchmarks.nab.cv import make_folds, run_cv
from benchmarks.nab.data import load_corpus
from benchmarks.nab.grids import GRIDS, MAX_ENTRIES, grid_for
from models.base import Detector, Sample

T0 = datetime(2024, 1, 1)
N = 200
STEP = timedelta(minutes=5)


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


class Bump(Detector):
    """1 when the value is within 0.5 of ``target``, else 0."""

    def __init__(self, target: float = -1e9) -> None:
        self.target = target

    def learn_one(self, x: Sample) -> None:
        return None

    def score_one(self, x: Sample) -> float:
        return 1.0 if abs(x.value - self.target) < 0.5 else 0.0


class Above(Detector):
    """1 when the value exceeds ``level``: on these corpora, a perfect detector."""

    def __init__(self, level: float = 5.0) -> None:
        self.level = level

    def learn_one(self, x: Sample) -> None:
        return None

    def score_one(self, x: Sample) -> float:
        return 1.0 if x.value > self.level else 0.0


@pytest.fixture(autouse=True)
def _test_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    from models import registry

    monkeypatch.setitem(registry.DETECTORS, "bump", Bump)
    monkeypatch.setitem(registry.DETECTORS, "above", Above)


BUMP_GRID = {"bump": [{}, {"target": 10.0}, {"target": 20.0}]}


def write_file(root: Path, name: str, spikes: dict[int, float], windows: dict, window_len=10,
               window_rows: tuple[int, ...] = ()) -> None:
    """One ``<category>/<file>.csv`` with value ``spikes[row]`` at those rows, 0 elsewhere, and
    one window of ``window_len`` rows starting at each of ``window_rows``."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{_stamp(T0 + i * STEP)},{spikes.get(i, 0.0)}" for i in range(N)]
    path.write_text("timestamp,value\n" + "\n".join(lines) + "\n")
    windows[name] = [[_stamp(T0 + r * STEP) + ".000000",
                      _stamp(T0 + (r + window_len - 1) * STEP) + ".000000"]
                     for r in window_rows]


def make_corpus(root: Path, a_files: int = 2, a_windows: tuple[int, ...] = (100,),
                no_anomaly_spikes: dict[int, float] | None = None) -> Path:
    windows: dict = {}
    for k in range(a_files):
        write_file(root, f"catA/a{k}.csv", {r: 10.0 for r in a_windows}, windows,
                   window_rows=a_windows)
    for k in range(2):
        write_file(root, f"catB/b{k}.csv", {120: 20.0}, windows, window_rows=(120,))
    write_file(root, "noAnomaly/flat.csv", no_anomaly_spikes or {}, windows)
    (root / "windows.json").write_text(json.dumps(windows))
    return root


def fold(result: dict, detector: str, held_out: str) -> dict:
    [f] = [f for f in result["detectors"][detector]["folds"] if f["held_out"] == held_out]
    return f


def test_folds_are_the_categories_with_windows(tmp_path: Path) -> None:
    corpus = load_corpus(make_corpus(tmp_path))
    folds = make_folds(corpus)
    assert [f.held_out for f in folds] == ["catA", "catB"]
    for f in folds:
        train = {corpus.labelled[i].category for i in f.train}
        test = {corpus.labelled[i].category for i in f.test}
        assert test == {f.held_out}
        assert "noAnomaly" in train and f.held_out not in train


def test_one_category_with_windows_is_refused(tmp_path: Path) -> None:
    windows: dict = {}
    write_file(tmp_path, "catA/a.csv", {100: 10.0}, windows, window_rows=(100,))
    write_file(tmp_path, "noAnomaly/flat.csv", {}, windows)
    (tmp_path / "windows.json").write_text(json.dumps(windows))
    with pytest.raises(ValueError, match="at least two categories"):
        run_cv(tmp_path, ["bump"], grids=BUMP_GRID)


def test_parameters_follow_the_training_side(tmp_path: Path) -> None:
    result = run_cv(make_corpus(tmp_path), ["bump"], grids=BUMP_GRID)
    a, b = fold(result, "bump", "catA"), fold(result, "bump", "catB")
    # Held out catA: trained on catB (+ noAnomaly), whose anomalies are 20s.
    assert a["params"] == {"target": 20.0}
    assert b["params"] == {"target": 10.0}
    # So each held-out category is missed entirely: the null score, 0, in every profile.
    for f in (a, b):
        for p in f["profiles"].values():
            assert p["score"] == pytest.approx(0.0)
            assert p["windows_detected"] == 0
            assert p["train_score"] == pytest.approx(100.0)
            assert p["threshold"] == 1.0


def test_held_out_files_do_not_change_what_is_chosen_for_their_fold(tmp_path: Path) -> None:
    base = run_cv(make_corpus(tmp_path / "one"), ["bump"], grids=BUMP_GRID)
    # Only catA changes: more files, more windows; pooled over everything, target 10 would now
    # win (8 windows against 2), but the fold holding catA out must not see it.
    other = run_cv(make_corpus(tmp_path / "two", a_files=4, a_windows=(60, 140)), ["bump"],
                   grids=BUMP_GRID)
    fa, oa = fold(base, "bump", "catA"), fold(other, "bump", "catA")
    assert oa["params"] == fa["params"] == {"target": 20.0}
    assert oa["grid_train_scores"] == fa["grid_train_scores"]
    for name, p in fa["profiles"].items():
        assert oa["profiles"][name]["threshold"] == p["threshold"]
        assert oa["profiles"][name]["train_score"] == p["train_score"]
    assert oa["windows"] == 8 and fa["windows"] == 2


def test_windowless_category_is_training_and_its_false_positives_count(tmp_path: Path) -> None:
    # Two stray 20s in noAnomaly: still worth it for the catA fold (two catB windows gained),
    # and reported there. Sixty stray 10s: they outweigh catA's two windows for the catB fold,
    # so the defaults (never fire) are kept.
    spikes = {50: 20.0, 60: 20.0} | {r: 10.0 for r in range(70, 190, 2)}
    result = run_cv(make_corpus(tmp_path, no_anomaly_spikes=spikes), ["bump"], grids=BUMP_GRID)
    assert result["folds"] == ["catA", "catB"]
    assert result["always_train"] == ["noAnomaly"]
    a, b = fold(result, "bump", "catA"), fold(result, "bump", "catB")
    assert "noAnomaly" in a["train_categories"] and "noAnomaly" in b["train_categories"]
    assert a["params"] == {"target": 20.0}
    assert a["profiles"]["standard"]["windowless_fp_rows"] == 2
    assert b["params"] == {}
    assert b["profiles"]["standard"]["windowless_fp_rows"] == 0


def test_each_fold_is_normalised_on_its_own_files(tmp_path: Path) -> None:
    result = run_cv(make_corpus(tmp_path, a_files=3), ["above", "null"], grids={})
    for f in result["detectors"]["above"]["folds"]:
        for p in f["profiles"].values():
            assert p["score"] == pytest.approx(100.0)
            assert p["perfect_raw"] == pytest.approx(f["windows"] * 1.0)
    for f in result["detectors"]["null"]["folds"]:
        assert {p["score"] for p in f["profiles"].values()} == {0.0}
    assert result["detectors"]["above"]["mean"]["standard"] == pytest.approx(100.0)


def test_json_is_the_last_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_cv(make_corpus(tmp_path), ["bump", "null"], as_json=True, grids=BUMP_GRID)
    lines = capsys.readouterr().out.strip().splitlines()
    last = json.loads(lines[-1])
    assert last == json.loads(json.dumps(out))
    assert last["benchmark"] == "nab-cv"
    assert set(last["detectors"]) == {"bump", "null"}
    bump = last["detectors"]["bump"]
    assert bump["grid"] == [{}, {"target": 10.0}, {"target": 20.0}]
    assert last["detectors"]["null"]["grid"] == [{}]
    assert [f["held_out"] for f in bump["folds"]] == ["catA", "catB"]
    profiles = {"standard", "reward_low_FP_rate", "reward_low_FN_rate"}
    assert set(bump["mean"]) == set(bump["lowest"]) == set(bump["in_sample_defaults"]) == profiles
    for f in bump["folds"]:
        assert set(f["profiles"]) == profiles
        for p in f["profiles"].values():
            assert {"threshold", "score", "train_score", "windowless_fp_rows"} <= set(p)
    assert any("NAB --cv  bump" in line for line in lines)


def test_grids_build_their_detectors() -> None:
    from benchmarks.nab.runner import make

    for name, entries in GRIDS.items():
        grid = grid_for(name)
        assert grid[0] == {} and len(grid) <= MAX_ENTRIES
        for params in entries:
            make(name, **params)
    assert grid_for("no-such-grid") == [{}]


def test_a_clock_step_back_and_repeated_timestamps_are_kept_in_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.nab.runner import run

    # 00:00 .. 00:59 by the minute, then the clock steps back to 00:30 and runs to 01:29;
    # 01:10 is written twice.
    minutes = [*range(60), *range(30, 90)]
    minutes.insert(minutes.index(70) + 1, 70)
    text = "\n".join(f"{_stamp(T0 + timedelta(minutes=m))},{i % 5}"
                     for i, m in enumerate(minutes))
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "s.csv").write_text("timestamp,value\n" + text + "\n")
    (tmp_path / "windows.json").write_text(json.dumps({"cat/s.csv": [
        [_stamp(T0 + timedelta(minutes=40)), _stamp(T0 + timedelta(minutes=45))],
        [_stamp(T0 + timedelta(minutes=75)), _stamp(T0 + timedelta(minutes=80))],
    ]}))
    corpus = load_corpus(tmp_path)
    [s] = corpus.series
    assert len(s) == 121
    # 00:30 .. 00:58 after the step back are earlier than 00:59; the second 00:59 and 01:10
    # repeat the latest timestamp.
    assert (s.out_of_order, s.repeated) == (29, 2)
    assert "29 of 121 rows out of time order, 2 repeat" in capsys.readouterr().err
    # A row is in a window when its timestamp is; a window is the first run of such rows, so
    # the second pass over 00:40..00:45 (rows 70..75) is outside the first window.
    assert s.windows == ((40, 45), (106, 111))
    assert [str(t)[11:16] for t in s.timestamps[[106, 111]]] == ["01:15", "01:20"]
    assert np.array_equal(s.values[:3], [0.0, 1.0, 2.0])  # file order, nothing re-sorted
    out = run(tmp_path, ["null", "random"], as_json=True)
    assert out["time_order"] == {"cat/s.csv": {"out_of_order": 29, "repeated": 2}}
    assert out["detectors"]["null"]["profiles"]["standard"]["score"] == 0.0


def test_cli_runs_cv_and_refuses_options_it_does_not_use(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipelines.cli import main

    data = make_corpus(tmp_path)
    ok = CliRunner().invoke(main, ["bench", "nab", "--cv", "--data", str(data),
                                   "--detector", "null", "--json"])
    assert ok.exit_code == 0, ok.output
    last = json.loads(ok.stdout.strip().splitlines()[-1])
    assert last["folds"] == ["catA", "catB"] and list(last["detectors"]) == ["null"]
    bad = CliRunner().invoke(main, ["bench", "nab", "--cv", "--data", str(data),
                                    "--plot", str(tmp_path / "plots")])
    assert bad.exit_code == 2 and "--cv does not combine" in bad.output
    unknown = CliRunner().invoke(main, ["bench", "nab", "--cv", "--data", str(data),
                                        "--detector", "no-such"])
    assert unknown.exit_code == 1 and "unknown detector" in unknown.output
