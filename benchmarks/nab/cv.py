"""`aiops bench nab --cv`: leave-one-category-out cross-validation on a NAB-layout folder.

This is the figure to quote and to tune against (issue 8, DESIGN.md "Measuring honestly"):

- **Folds**: one per category holding at least one labelled window, read from ``windows.json``
  (on the public data: artificialWithAnomaly, realAWSCloudwatch, realAdExchange, realTweets).
  A category whose labelled files have no window (artificialNoAnomaly) is never held out: it is
  on the training side of every fold, where its false positives count against every candidate.
- **Choice, on the training side only** (every labelled file outside the held-out category):
  each entry of the detector's grid (``grids.py``) is scored with NAB's threshold sweep for the
  selection profile (standard); the entry with the best training score wins (ties: the earlier
  entry, so the defaults). With it, one threshold per profile is swept on the training files.
- **Held-out score**: the held-out files, streamed with the chosen parameters, are scored at
  each profile's chosen threshold; nothing about them was looked at before.
- **Normalisation**, per fold as NAB does it per corpus: ``100 (raw - null) / (perfect - null)``
  with all three over the held-out category's labelled files only. ``null`` is the null
  detector (always 0) after its own sweep on those files (never firing, i.e. ``-fnWeight`` per
  scored window there), ``perfect`` is ``tpWeight`` per labelled window there. The mean is the
  plain mean of the folds' normalised scores: each category weighs the same whatever its number
  of windows. The training scores shown are normalised the same way over the training files.
- **False positives on windowless categories**: scored rows (past probation) of those files at
  or above the chosen threshold, per profile: with every row outside a window, each is an FP.

Each (detector, parameters, file) is streamed once (fresh clone, file order,
``score_learn_one``) and its scores kept; the folds only re-select among them.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np

from benchmarks.nab.data import DEFAULT_DATA_DIR, Corpus, Series, load_corpus
from benchmarks.nab.grids import grid_for
from benchmarks.nab.reference import PUBLISHED_CV_STANDARD
from benchmarks.nab.runner import detector_names, make, samples_of, stream
from benchmarks.nab.scorer import (
    CostMatrix,
    PreparedCorpus,
    normalise,
    null_raw,
    perfect_raw,
    prepare,
    score_at_threshold,
    score_corpus,
    sweep,
)
from models.base import Detector, Sample

SELECTION_PROFILE = "standard"
SHORT_PROFILE = {"standard": "standard", "reward_low_FP_rate": "low-FP",
                 "reward_low_FN_rate": "low-FN"}


@dataclass(frozen=True, slots=True)
class Fold:
    """One held-out category; ``train`` and ``test`` index ``corpus.labelled``."""

    held_out: str
    train: tuple[int, ...]
    test: tuple[int, ...]


def window_categories(corpus: Corpus) -> list[str]:
    """Categories with at least one labelled window, sorted: the folds."""
    return sorted({s.category for s in corpus.labelled if s.windows})


def windowless_categories(corpus: Corpus) -> list[str]:
    """Categories whose labelled files have no window at all: always on the training side."""
    with_windows = set(window_categories(corpus))
    return sorted({s.category for s in corpus.labelled} - with_windows)


def make_folds(corpus: Corpus) -> list[Fold]:
    cats = window_categories(corpus)
    if len(cats) < 2:
        raise ValueError(f"cross-validation needs labelled windows in at least two categories; "
                         f"found {cats or 'none'} under {corpus.data_dir}")
    labelled = corpus.labelled
    return [Fold(cat,
                 tuple(i for i, s in enumerate(labelled) if s.category != cat),
                 tuple(i for i, s in enumerate(labelled) if s.category == cat))
            for cat in cats]


def params_label(params: dict[str, Any]) -> str:
    if not params:
        return "defaults"
    return ", ".join(f"{k}={list(v) if isinstance(v, tuple) else v!r}"
                     for k, v in params.items()).replace("'", "")


def _prep(series: Sequence[Series]) -> PreparedCorpus:
    return prepare([(len(s), s.windows or ()) for s in series])


def _normalised(prep: PreparedCorpus, raw: float, cost: CostMatrix) -> float:
    return normalise(raw, null_raw(prep, cost), perfect_raw(prep, cost))


def _protos(name: str, grid: list[dict[str, Any]]) -> list[Detector]:
    """One detector per grid entry, built before anything is streamed so a bad entry fails
    at once."""
    out = []
    for params in grid:
        try:
            out.append(make(name, **params))
        except (TypeError, ValueError) as e:
            raise ValueError(f"grid entry {params} for detector {name!r} is not valid: {e}"
                             ) from e
    return out


def _fold_result(fold: Fold, labelled: Sequence[Series], grid: list[dict[str, Any]],
                 scores: list[list[np.ndarray]], profiles: dict[str, CostMatrix],
                 preps: dict[str, PreparedCorpus], windowless: tuple[int, ...]) -> dict[str, Any]:
    """Choose parameters and thresholds on ``fold.train``, score ``fold.test``."""
    select = SELECTION_PROFILE if SELECTION_PROFILE in profiles else next(iter(profiles))
    train_prep, test_prep = preps["train"], preps["test"]
    train_raw = []
    for per_file in scores:
        sw = sweep(train_prep, [per_file[i] for i in fold.train], profiles[select])
        train_raw.append(float(sw.raw[sw.best]))
    best = int(np.argmax(train_raw))  # first of equals: the defaults win ties
    chosen = scores[best]
    train_scores = [chosen[i] for i in fold.train]
    test_scores = [chosen[i] for i in fold.test]
    out_profiles: dict[str, Any] = {}
    for pname, cost in profiles.items():
        sw = sweep(train_prep, train_scores, cost)
        threshold = float(sw.thresholds[sw.best])
        held = score_at_threshold(test_prep, test_scores, cost, threshold)
        null, perfect = null_raw(test_prep, cost), perfect_raw(test_prep, cost)
        entry: dict[str, Any] = {
            "threshold": threshold,
            "score": normalise(held.raw, null, perfect),
            "raw": held.raw,
            "null_raw": null,
            "perfect_raw": perfect,
            "windows_detected": held.windows_detected,
            "windows_missed": held.windows_missed,
            "fp_rows": held.fp_rows,
            "train_score": _normalised(train_prep, float(sw.raw[sw.best]), cost),
        }
        if windowless:
            entry["windowless_fp_rows"] = score_at_threshold(
                preps["windowless"], [chosen[i] for i in windowless], cost, threshold).fp_rows
        out_profiles[pname] = entry
    return {
        "held_out": fold.held_out,
        "files": len(fold.test),
        "windows": test_prep.n_windows,
        "train_categories": sorted({labelled[i].category for i in fold.train}),
        "train_files": len(fold.train),
        "params": grid[best],
        "param_index": best,
        "grid_train_scores": [_normalised(train_prep, r, profiles[select]) for r in train_raw],
        "selection_profile": select,
        "profiles": out_profiles,
    }


def _stream_grid(name: str, protos: list[Detector], grid: list[dict[str, Any]],
                 labelled: Sequence[Series], samples: dict[str, list[Sample]],
                 bar: Any) -> tuple[list[list[np.ndarray]], float]:
    """Scores per grid entry per file, and the seconds the detector loops took."""
    scores: list[list[np.ndarray]] = []
    seconds = 0.0
    for proto, params in zip(protos, grid, strict=True):
        per_file = []
        for s in labelled:
            arr, dt = stream(proto, s, samples[s.name])
            seconds += dt
            if np.isnan(arr).any():
                raise ValueError(f"{name} ({params_label(params)}) gave NaN scores on {s.name}")
            per_file.append(arr)
            if bar is not None:
                bar.update(len(s), f"{name} [{params_label(params)}] {s.name}")
        scores.append(per_file)
    return scores, seconds


def _mean(xs: Sequence[float]) -> float:
    return float(sum(xs) / len(xs)) if xs else float("nan")


def _table(name: str, info: dict[str, Any], profiles: Sequence[str],
           windowless: Sequence[str]) -> str:
    short = [SHORT_PROFILE.get(p, p) for p in profiles]
    sel = info["folds"][0]["selection_profile"] if info["folds"] else SELECTION_PROFILE
    head = (f"NAB --cv  {name}: {len(info['folds'])} folds (leave one category out), "
            f"{len(info['grid'])} parameter set(s), {info['samples_streamed']:,} samples streamed "
            f"in {info['seconds']:.1f} s")
    cols = ["held out", "files", "win", "chosen parameters", "thresholds " + "/".join(short),
            *short, f"train {SHORT_PROFILE.get(sel, sel)}",
            "FP rows " + ("+".join(windowless) or "(no windowless category)")]
    rows = [cols]
    for f in info["folds"]:
        pr = f["profiles"]
        rows.append([
            f["held_out"], str(f["files"]), str(f["windows"]), params_label(f["params"]),
            "/".join(f"{pr[p]['threshold']:.4g}" for p in profiles),
            *(f"{pr[p]['score']:.1f}" for p in profiles),
            f"{pr[sel]['train_score']:.1f}",
            "/".join(str(pr[p].get("windowless_fp_rows", "-")) for p in profiles),
        ])
    n = len(info["folds"])
    rows.append([f"mean of {n} folds", "", "", "", "",
                 *(f"{info['mean'][p]:.1f}" for p in profiles), "", ""])
    rows.append(["lowest fold", "", "", "", "",
                 *(f"{info['lowest'][p]:.1f}" for p in profiles), "", ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    left = {0, 3, 4}
    lines = [head] + ["  " + "  ".join(c.ljust(w) if i in left else c.rjust(w)
                                       for i, (c, w) in enumerate(zip(r, widths, strict=True))
                                       ).rstrip()
                      for r in rows]
    ins = info["in_sample_defaults"]
    lines.append("  not a CV figure: defaults, threshold swept on all labelled files, scored on "
                 "them: " + ", ".join(f"{SHORT_PROFILE.get(p, p)} {ins[p]:.1f}"
                                      for p in profiles))
    return "\n".join(lines)


def _summary(result: dict[str, Any], profiles: Sequence[str]) -> str:
    short = [SHORT_PROFILE.get(p, p) for p in profiles]
    rows = [["detector", *(f"{s} mean" for s in short), "lowest fold (standard)"]]
    std = profiles[0] if SELECTION_PROFILE not in profiles else SELECTION_PROFILE
    for name, info in result["detectors"].items():
        rows.append([name, *(f"{info['mean'][p]:.1f}" for p in profiles),
                     f"{info['lowest'][std]:.1f}"])
    published = result.get("published_cv_standard") or {}
    for name, score in published.items():
        rows.append([f"{name} (published)",
                     *(f"{score:.1f}" if p == std else "" for p in profiles), ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["NAB --cv summary: mean of the folds, each held-out category normalised on its own"]
    lines += ["  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
              for r in rows]
    if published:
        lines.append("  published: NAB's result files scored with this protocol (threshold on "
                     "the other categories, mean of four folds, standard profile; issue 8)")
    return "\n".join(lines)


def _finite(x: Any) -> Any:
    """NaN/inf become null so the JSON line stays valid JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x


def run_cv(
    data_dir: str | Path | None = None,
    detectors: Sequence[str] | None = None,
    as_json: bool = False,
    grids: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Cross-validate each detector; print a fold table per detector and a summary (stdout), a
    progress bar (stderr, not with ``as_json``), and with ``as_json`` one JSON object as the
    last line. Returns that object. ``grids`` replaces ``grids.GRIDS`` (tests)."""
    corpus = load_corpus(data_dir)
    folds = make_folds(corpus)
    labelled = corpus.labelled
    names = list(detectors) if detectors else detector_names()
    grid_of = {n: grid_for(n, grids) for n in names}
    protos = {n: _protos(n, grid_of[n]) for n in names}  # fail on a bad entry before streaming
    profiles = corpus.profiles
    pnames = list(profiles)
    windowless_cats = windowless_categories(corpus)
    windowless = tuple(i for i, s in enumerate(labelled) if s.category in windowless_cats)
    windowless_prep = _prep([labelled[i] for i in windowless])
    fold_preps = [{"train": _prep([labelled[i] for i in f.train]),
                   "test": _prep([labelled[i] for i in f.test]),
                   "windowless": windowless_prep} for f in folds]
    all_prep = _prep(labelled)
    samples = {s.name: samples_of(s) for s in labelled}
    rows = sum(len(s) for s in labelled)

    result: dict[str, Any] = {
        "benchmark": "nab-cv",
        "data_dir": str(corpus.data_dir),
        "folds": [f.held_out for f in folds],
        "always_train": windowless_cats,
        "labelled_files": len(labelled),
        "samples_per_pass": rows,
        "selection_profile": SELECTION_PROFILE if SELECTION_PROFILE in profiles else pnames[0],
        "normalisation": "per fold: 100 (raw - null) / (perfect - null) over the held-out "
                         "category's labelled files; null = always-0 detector after its own "
                         "sweep there, perfect = tpWeight per labelled window there; mean = "
                         "plain mean of the folds",
        "time_order": {s.name: {"out_of_order": s.out_of_order, "repeated": s.repeated}
                       for s in labelled if s.out_of_order or s.repeated},
        "detectors": {},
    }
    if corpus.data_dir.resolve() == DEFAULT_DATA_DIR.resolve():
        result["published_cv_standard"] = PUBLISHED_CV_STANDARD

    t_start = time.perf_counter()
    for n in names:
        if as_json:
            scores, seconds = _stream_grid(n, protos[n], grid_of[n], labelled, samples, None)
        else:
            with click.progressbar(length=rows * len(grid_of[n]), label=f"streaming {n}",
                                   file=sys.stderr, item_show_func=lambda x: x) as bar:
                scores, seconds = _stream_grid(n, protos[n], grid_of[n], labelled, samples,
                                               bar)
        fold_results = [_fold_result(f, labelled, grid_of[n], scores, profiles, p, windowless)
                        for f, p in zip(folds, fold_preps, strict=True)]
        in_sample = score_corpus(all_prep, scores[0], profiles)
        info: dict[str, Any] = {
            "grid": grid_of[n],
            "samples_streamed": rows * len(grid_of[n]),
            "seconds": seconds,
            "samples_per_s": rows * len(grid_of[n]) / seconds if seconds > 0 else None,
            "folds": fold_results,
            "mean": {p: _mean([f["profiles"][p]["score"] for f in fold_results])
                     for p in pnames},
            "lowest": {p: min(f["profiles"][p]["score"] for f in fold_results) for p in pnames},
            "in_sample_defaults": {p: r.score for p, r in in_sample.items()},
        }
        result["detectors"][n] = info
        click.echo(_table(n, info, pnames, windowless_cats))
        click.echo()
    result["seconds_total"] = time.perf_counter() - t_start
    click.echo(_summary(result, pnames))
    click.echo(f"  {len(names)} detector(s) in {result['seconds_total']:.1f} s")
    result = _finite(result)
    if as_json:
        click.echo(json.dumps(result))
    return result
