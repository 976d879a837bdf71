"""`aiops bench nab`: stream every NAB file through each detector, score it, print tables.

Each file gets a fresh detector (``clone()``), fed in file order with ``score_learn_one`` as the
anomaly processor does, so the scores are the ones a live stream would have produced (a file
whose clock steps back or repeats is streamed as written; ``data.py`` says how its windows map
to rows). The detector loop alone is timed (samples/s); loading, scoring and writing are not.
``--cv`` (``cv.py``) is the leave-one-category-out protocol: the figure to quote.

Also runnable as ``python -m benchmarks.nab.runner [--data DIR] [--detector NAME ...] [--cv]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.nab.data import DEFAULT_DATA_DIR, Corpus, Series, load_corpus
from benchmarks.nab.reference import REFERENCE_DETECTORS
from benchmarks.nab.scorer import ProfileResult, score_corpus
from models.base import Detector, Sample

PUBLISHED_NAMES = ("ARTime", "CAD OSE", "Numenta HTM", "KNN CAD", "Skyline", "random")
# Standard profile on the shared 44-file subset, each detector with its own threshold (issue 3).
PUBLISHED_SUBSET_STANDARD = dict(zip(PUBLISHED_NAMES, (75.4, 72.8, 71.4, 62.3, 60.9, 17.3),
                                     strict=True))
# NAB v1.1 scoreboard on the full 58-file corpus (numenta/NAB results/final_results.json:
# ARTime, contextOSE, numenta, knncad, earthgeckoSkyline, random); not directly comparable.
PUBLISHED_FULL_CORPUS: dict[str, dict[str, float]] = {
    "standard": dict(zip(PUBLISHED_NAMES, (74.9, 69.9, 70.1, 58.0, 58.2, 16.8), strict=True)),
    "reward_low_FP_rate": dict(zip(PUBLISHED_NAMES, (65.2, 67.0, 63.1, 43.4, 46.2, 5.8),
                                   strict=True)),
    "reward_low_FN_rate": dict(zip(PUBLISHED_NAMES, (80.4, 73.2, 74.3, 64.8, 63.8, 25.9),
                                   strict=True)),
}


def _registry() -> tuple[dict[str, Any], Any] | None:
    try:
        from models.registry import DETECTORS, make_detector
    except ModuleNotFoundError as e:  # no registry yet; a broken one should still fail loudly
        if e.name != "models.registry":
            raise
        return None
    return DETECTORS, make_detector


def detector_names() -> list[str]:
    """Every registered detector, or the reference ones when there is no registry yet."""
    reg = _registry()
    return list(reg[0]) if reg else list(REFERENCE_DETECTORS)


def make(name: str, **params: Any) -> Detector:
    """A detector by name and parameters: NAB's reference ``null``/``random`` first, then
    ``models.registry``."""
    if name in REFERENCE_DETECTORS:
        return REFERENCE_DETECTORS[name](**params)
    reg = _registry()
    if reg is None:
        raise KeyError(f"unknown detector {name!r} (models.registry is not available; "
                       f"reference detectors: {', '.join(REFERENCE_DETECTORS)})")
    if name not in reg[0]:
        raise KeyError(f"unknown detector {name!r}; known: "
                       f"{', '.join([*REFERENCE_DETECTORS, *reg[0]])}")
    return reg[1](name, **params)


def samples_of(series: Series) -> list[Sample]:
    """The file's rows as detector samples, in file order."""
    return [Sample(float(v), t) for v, t in zip(series.values, series.datetimes(), strict=True)]


def stream(proto: Detector, series: Series,
           samples: list[Sample] | None = None) -> tuple[np.ndarray, float]:
    """Scores of one file from a fresh clone of ``proto``, and the seconds the loop took
    (``samples``: ``samples_of(series)`` when the caller already has them)."""
    det = proto.clone()
    if samples is None:
        samples = samples_of(series)
    step = det.score_learn_one
    t0 = time.perf_counter()
    scores = [step(x) for x in samples]
    elapsed = time.perf_counter() - t0
    return np.asarray(scores, dtype=np.float64), elapsed


def write_results(out_dir: Path, detector: str, series: Series, scores: np.ndarray) -> Path:
    """NAB's results layout: ``<dir>/<detector>/<category>/<detector>_<file>.csv`` with
    ``timestamp,value,anomaly_score,label`` (label = 1 inside a labelled window)."""
    path = out_dir / detector / series.category / f"{detector}_{series.stem}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    label = np.zeros(len(series), dtype=np.int8)
    for left, right in series.windows or ():
        label[left:right + 1] = 1
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("timestamp", "value", "anomaly_score", "label"))
        w.writerows(zip(series.timestamp_text, series.values.tolist(), scores.tolist(),
                        label.tolist(), strict=True))
    return path


def _table(name: str, info: dict[str, Any], results: dict[str, ProfileResult] | None,
           published: bool) -> str:
    head = (f"NAB  {name}: {info['files']} files, {info['samples']:,} samples, "
            f"{info['samples_per_s']:,.0f} samples/s")
    if results is None:
        return head + "\n  (no labelled files: nothing to score)"
    cols = ["profile", "threshold", "score", "windows", "FP rows"]
    if published:
        cols += list(PUBLISHED_NAMES)
    rows = [cols]
    for prof, r in results.items():
        row = [prof, f"{r.threshold:.6g}", f"{r.score:.1f}",
               f"{r.windows_detected}/{r.windows_detected + r.windows_missed}", f"{r.fp_rows}"]
        if published:
            if prof == "standard":
                row += [f"{PUBLISHED_SUBSET_STANDARD[d]:.1f}" for d in PUBLISHED_NAMES]
            else:
                full = PUBLISHED_FULL_CORPUS.get(prof, {})
                row += [f"{full[d]:.1f}*" if d in full else "" for d in PUBLISHED_NAMES]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = [head] + ["  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                       for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                      for r in rows]
    if published:
        lines.append("  published: standard = each detector on these 44 files; "
                     "* = NAB v1.1 full 58-file corpus (not directly comparable)")
    return "\n".join(lines)


def _jsonable(x: float) -> float | None:
    return x if math.isfinite(x) else None


def run(
    data_dir: str | Path | None = None,
    detectors: Sequence[str] | None = None,
    results_out: str | Path | None = None,
    plot_dir: str | Path | None = None,
    as_json: bool = False,
) -> dict[str, Any]:
    """Benchmark each detector on a NAB-layout folder; print a table per detector (stdout),
    progress (stderr), and with ``as_json`` one JSON object as the last line. Returns it."""
    corpus: Corpus = load_corpus(data_dir)
    names = list(detectors) if detectors else detector_names()
    protos = {n: make(n) for n in names}  # fail on a bad name before streaming anything
    labelled = corpus.labelled
    prep = corpus.prepare() if labelled else None
    published = corpus.data_dir.resolve() == DEFAULT_DATA_DIR.resolve()
    out: dict[str, Any] = {
        "data_dir": str(corpus.data_dir),
        "files": len(corpus.series),
        "labelled_files": len(labelled),
        "windows": prep.n_windows if prep else 0,
        "samples": corpus.n_rows,
        "detectors": {},
    }
    if published:
        out["published"] = {"subset_standard": PUBLISHED_SUBSET_STANDARD,
                            "full_corpus": PUBLISHED_FULL_CORPUS}
    out["time_order"] = {s.name: {"out_of_order": s.out_of_order, "repeated": s.repeated}
                         for s in corpus.series if s.out_of_order or s.repeated}
    for name, proto in protos.items():
        scores: dict[str, np.ndarray] = {}
        seconds = 0.0
        for i, s in enumerate(corpus.series, 1):
            scores[s.name], dt = stream(proto, s)
            seconds += dt
            print(f"[{name}] {i}/{len(corpus.series)} {s.name}: {len(s):,} rows, {dt:.2f} s",
                  file=sys.stderr, flush=True)
            outside = (scores[s.name] < 0) | (scores[s.name] > 1)
            if outside.any():
                print(f"[{name}] warning: {int(outside.sum())} scores outside [0, 1] in {s.name}",
                      file=sys.stderr)
        info: dict[str, Any] = {
            "files": len(corpus.series),
            "samples": corpus.n_rows,
            "seconds": seconds,
            "samples_per_s": corpus.n_rows / seconds if seconds > 0 else float("inf"),
        }
        results = None
        if prep is not None:
            t0 = time.perf_counter()
            results = score_corpus(prep, [scores[s.name] for s in labelled], corpus.profiles)
            info["scoring_seconds"] = time.perf_counter() - t0
            info["profiles"] = {
                p: {"score": r.score, "threshold": r.threshold, "raw": r.raw,
                    "null_raw": r.null_raw, "perfect_raw": r.perfect_raw,
                    "windows_detected": r.windows_detected, "windows_missed": r.windows_missed,
                    "fp_rows": r.fp_rows}
                for p, r in results.items()}
            std = results.get("standard") or next(iter(results.values()))
            info["per_file_raw"] = {std.profile: dict(zip(
                (s.name for s in labelled), std.per_series_raw.tolist(), strict=True))}
        if results_out is not None:
            for s in corpus.series:
                write_results(Path(results_out), name, s, scores[s.name])
            print(f"[{name}] results written under {Path(results_out) / name}", file=sys.stderr)
        if plot_dir is not None:
            from benchmarks.nab.plot import plot_detector

            threshold = None
            if results is not None:
                threshold = (results.get("standard") or next(iter(results.values()))).threshold
            paths = plot_detector(Path(plot_dir), name, corpus, scores, threshold)
            print(f"[{name}] {len(paths)} plots written under {Path(plot_dir) / name}",
                  file=sys.stderr)
        info["samples_per_s"] = _jsonable(info["samples_per_s"])
        out["detectors"][name] = info
        print(_table(name, info, results, published), flush=True)
        print(flush=True)
    if as_json:
        print(json.dumps(out), flush=True)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.nab.runner", description=__doc__)
    p.add_argument("--data", help=f"NAB-layout folder (default {DEFAULT_DATA_DIR})")
    p.add_argument("--detector", action="append", help="detector name (repeatable)")
    p.add_argument("--results-out", help="write per-row scores in NAB's results layout here")
    p.add_argument("--plot", help="write one PNG per file and detector here")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.add_argument("--cv", action="store_true", help="leave-one-category-out cross-validation")
    a = p.parse_args(argv)
    if a.cv:
        from benchmarks.nab.cv import run_cv

        run_cv(a.data, a.detector, as_json=a.json)
        return
    run(a.data, a.detector, a.results_out, a.plot, a.json)


if __name__ == "__main__":
    main()
