"""The NAB score (Lavin & Ahmad 2015), written from the paper and numenta/NAB's sweeper rules.

Per row, for a threshold ``t`` (a row is a detection when ``anomaly_score >= t``):

- rows in the probationary period (the first ``min(floor(0.15 n), 0.15 * 5000)`` rows of a
  file) are not scored at all;
- a labelled window counts once: ``tpWeight * S(p) / S(-1)`` for its *first* detection, where
  ``p = -(right - i + 1) / width`` is the row's position (-1 at the left edge, just below 0 at
  the right edge) and ``S(x) = 2 / (1 + exp(5x)) - 1`` (``-1`` when ``x > 3``), so the earliest
  possible detection earns exactly ``tpWeight``; a window with no detection costs ``fnWeight``;
- a detection outside every window costs ``fpWeight * S(|right - i| / (width - 1))`` measured
  from the closest preceding window (almost nothing just after a window, the full ``fpWeight``
  more than three window widths later), or ``fpWeight`` when no window precedes it.

The threshold is one per profile, the one that maximises the summed raw score over the whole
corpus (NAB's sweep: sort all rows by score and update the total incrementally). The raw total
is normalised as ``100 (raw - null) / (perfect - null)``: ``null`` is what a detector that
never fires gets after its own threshold sweep, ``perfect`` is ``tpWeight`` per labelled window.

Everything here is pure numpy on arrays; no files, no detectors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

PROBATION_PERCENT = 0.15
# The threshold reported when the best choice is "never fire" (NAB starts its sweep at 1.1).
NO_DETECTION_THRESHOLD = 1.1

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class CostMatrix:
    """One scoring profile's weights (``tnWeight`` exists in NAB's files but is never used)."""

    tp_weight: float
    fp_weight: float
    fn_weight: float


# NAB's config/profiles.json, for data folders that do not ship their own.
NAB_PROFILES: dict[str, CostMatrix] = {
    "standard": CostMatrix(tp_weight=1.0, fp_weight=0.11, fn_weight=1.0),
    "reward_low_FP_rate": CostMatrix(tp_weight=1.0, fp_weight=0.22, fn_weight=1.0),
    "reward_low_FN_rate": CostMatrix(tp_weight=1.0, fp_weight=0.11, fn_weight=2.0),
}


def scaled_sigmoid(x: npt.ArrayLike) -> FloatArray:
    """NAB's reward curve: ~0.987 at -1 (window start), 0 at 0 (window end), -1 beyond 3."""
    x = np.asarray(x, dtype=np.float64)
    # exp overflows to inf for very negative -x; 2/(1+inf) - 1 = -1 is the right limit anyway.
    with np.errstate(over="ignore"):
        out = 2.0 / (1.0 + np.exp(5.0 * x)) - 1.0
    return np.where(x > 3.0, -1.0, out)


MAX_TP = float(scaled_sigmoid(-1.0))


def probationary_length(n_rows: int, percent: float = PROBATION_PERCENT) -> int:
    """Rows at the start of a file that are not scored: NAB's ``min(floor(p n), p * 5000)``.

    NAB compares ``i >= length`` with a possibly fractional length, hence the ceil.
    """
    return math.ceil(min(math.floor(percent * n_rows), percent * 5000))


@dataclass(frozen=True, slots=True)
class PreparedCorpus:
    """Profile- and detector-independent weights of every scored row, all files concatenated.

    Built once per corpus; ``sweep`` and ``score_at_threshold`` then only need the scores.
    Rows of one window are contiguous and windows appear in corpus order.
    """

    n_rows: tuple[int, ...]        # rows per file (all of them, probation included)
    scored: tuple[slice, ...]      # per file: the scored rows, as a slice of that file
    window: IntArray               # per scored row: global window id, -1 outside any window
    tp_part: FloatArray            # per scored row in a window: S(p) / S(-1), in (0, 1]
    fp_part: FloatArray            # per scored row outside windows: S(...), in [-1, 0]
    series: IntArray               # per scored row: file index
    window_series: IntArray        # per scored window: file index
    n_windows: int                 # labelled windows, including any that are never scored

    @property
    def n_scored_windows(self) -> int:
        return len(self.window_series)


def _series_parts(
    n: int, windows: Sequence[tuple[int, int]], percent: float
) -> tuple[int, IntArray, FloatArray, FloatArray]:
    """Per-row window number (-1 outside), TP weight and FP weight for one file, all rows."""
    window = np.full(n, -1, dtype=np.int64)
    tp_part = np.zeros(n)
    fp_part = np.full(n, -1.0)  # rows before the first window: as far away as can be
    idx = np.arange(n)
    bounds = sorted(windows)
    for k, (left, right) in enumerate(bounds):
        if not 0 <= left <= right < n:
            raise ValueError(f"window rows {(left, right)} outside 0..{n - 1}")
        if k and left <= bounds[k - 1][1]:
            raise ValueError(f"windows {bounds[k - 1]} and {(left, right)} overlap")
        width = right - left + 1
        rows = idx[left:right + 1]
        window[left:right + 1] = k
        tp_part[left:right + 1] = scaled_sigmoid(-(right - rows + 1) / width) / MAX_TP
        # FPs up to the next window are measured from this one. NAB divides by width - 1,
        # which fails for a one-row window; use 1 there.
        end = bounds[k + 1][0] if k + 1 < len(bounds) else n
        after = idx[right + 1:end]
        fp_part[right + 1:end] = scaled_sigmoid((after - right) / max(width - 1, 1))
    fp_part[window >= 0] = 0.0
    return probationary_length(n, percent), window, tp_part, fp_part


def prepare(
    files: Sequence[tuple[int, Sequence[tuple[int, int]]]],
    probation_percent: float = PROBATION_PERCENT,
) -> PreparedCorpus:
    """Weights for a corpus given, per file, its row count and its windows as inclusive
    ``(first_row, last_row)`` pairs."""
    windows, tps, fps, series, window_series, scored = [], [], [], [], [], []
    next_window = 0
    n_windows = 0
    for f, (n, bounds) in enumerate(files):
        start, window, tp_part, fp_part = _series_parts(n, bounds, probation_percent)
        n_windows += len(bounds)
        window, tp_part, fp_part = window[start:], tp_part[start:], fp_part[start:]
        # A window is scored only if some row of it is past probation (as in NAB).
        local = np.unique(window[window >= 0])
        remap = np.full(len(bounds) + 1, -1, dtype=np.int64)
        remap[local] = np.arange(next_window, next_window + len(local))
        windows.append(remap[window])  # -1 maps to remap[-1] == -1
        next_window += len(local)
        window_series.append(np.full(len(local), f, dtype=np.int64))
        tps.append(tp_part)
        fps.append(fp_part)
        series.append(np.full(len(window), f, dtype=np.int64))
        scored.append(slice(start, n))

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    return PreparedCorpus(
        n_rows=tuple(n for n, _ in files),
        scored=tuple(scored),
        window=cat(windows, np.int64),
        tp_part=cat(tps, np.float64),
        fp_part=cat(fps, np.float64),
        series=cat(series, np.int64),
        window_series=cat(window_series, np.int64),
        n_windows=n_windows,
    )


def _scored_scores(prep: PreparedCorpus, scores: Sequence[npt.ArrayLike]) -> FloatArray:
    if len(scores) != len(prep.n_rows):
        raise ValueError(f"{len(scores)} score arrays for {len(prep.n_rows)} files")
    parts = []
    for f, (s, n, rows) in enumerate(zip(scores, prep.n_rows, prep.scored, strict=True)):
        arr = np.asarray(s, dtype=np.float64)
        if arr.shape != (n,):
            raise ValueError(f"file {f}: {arr.shape[0]} scores for {n} rows")
        parts.append(arr[rows])
    out = np.concatenate(parts) if parts else np.zeros(0)
    if np.isnan(out).any():
        raise ValueError("anomaly scores contain NaN")
    return out


@dataclass(frozen=True, slots=True)
class Sweep:
    """Raw corpus score for every candidate threshold, highest threshold first."""

    thresholds: FloatArray
    raw: FloatArray

    @property
    def best(self) -> int:
        """Index of the best threshold; ties go to the higher threshold, as in NAB."""
        return int(np.argmax(self.raw))


def sweep(prep: PreparedCorpus, scores: Sequence[npt.ArrayLike], cost: CostMatrix) -> Sweep:
    """Raw score at every distinct score value as threshold, plus "never fire" first.

    One sort, then each row's marginal effect when it becomes a detection: an FP adds its
    weight; a window row raises the window's value to its own if it is the earliest detection
    so far (the first one also cancels the FN penalty). A cumulative sum gives every threshold.
    """
    s = _scored_scores(prep, scores)
    base = -cost.fn_weight * prep.n_scored_windows
    if not len(s):
        return Sweep(np.array([NO_DETECTION_THRESHOLD]), np.array([base]))
    no_detection = max(NO_DETECTION_THRESHOLD, float(np.nextafter(s.max(), np.inf)))
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    win = prep.window[order]
    delta = np.where(win < 0, cost.fp_weight * prep.fp_part[order], 0.0)

    pos = np.flatnonzero(win >= 0)               # window rows, in threshold order
    by_window = np.argsort(win[pos], kind="stable")
    pos = pos[by_window]                         # grouped by window, threshold order within
    w = win[pos]
    row = order[pos].astype(np.int64)            # scored-row index; grows with time in a window
    # Earliest detection so far within each window: a running min that restarts per window,
    # made exact on integers by shifting each later window below all earlier ones.
    shift = w * (len(s) + 1)
    earliest = np.minimum.accumulate(row - shift) + shift
    value = prep.tp_part[earliest]
    first = np.ones(len(w), dtype=bool)
    first[1:] = w[1:] != w[:-1]
    prev = np.empty_like(value)
    prev[1:] = value[:-1]
    delta[pos] = np.where(first, cost.tp_weight * value + cost.fn_weight,
                          cost.tp_weight * (value - prev))

    total = base + np.cumsum(delta)
    ends = np.flatnonzero(np.append(s_sorted[1:] != s_sorted[:-1], True))
    return Sweep(
        thresholds=np.concatenate(([no_detection], s_sorted[ends])),
        raw=np.concatenate(([base], total[ends])),
    )


@dataclass(frozen=True, slots=True)
class ThresholdScore:
    """The raw score at one threshold, with its parts per file."""

    threshold: float
    raw: float
    per_series: FloatArray
    windows_detected: int
    windows_missed: int
    fp_rows: int


def score_at_threshold(
    prep: PreparedCorpus, scores: Sequence[npt.ArrayLike], cost: CostMatrix, threshold: float
) -> ThresholdScore:
    """Score with a fixed threshold (one found on another corpus, or the sweep's best)."""
    s = _scored_scores(prep, scores)
    n_files = len(prep.n_rows)
    active = s >= threshold
    fp = active & (prep.window < 0)
    per_series = np.bincount(prep.series[fp], weights=cost.fp_weight * prep.fp_part[fp],
                             minlength=n_files).astype(np.float64)
    hit = active & (prep.window >= 0)
    earliest = np.full(prep.n_scored_windows, len(s), dtype=np.int64)
    np.minimum.at(earliest, prep.window[hit], np.flatnonzero(hit))
    detected = earliest < len(s)
    gain = np.full(prep.n_scored_windows, -cost.fn_weight)
    gain[detected] = cost.tp_weight * prep.tp_part[earliest[detected]]
    per_series += np.bincount(prep.window_series, weights=gain, minlength=n_files)
    return ThresholdScore(
        threshold=float(threshold),
        raw=float(per_series.sum()),
        per_series=per_series,
        windows_detected=int(detected.sum()),
        windows_missed=int((~detected).sum()),
        fp_rows=int(fp.sum()),
    )


def null_raw(prep: PreparedCorpus, cost: CostMatrix) -> float:
    """What the null detector (always 0) scores after its own threshold sweep, as NAB
    measures its baseline: the better of never firing and firing on every scored row."""
    zeros = [np.zeros(n) for n in prep.n_rows]
    return float(sweep(prep, zeros, cost).raw.max())


def perfect_raw(prep: PreparedCorpus, cost: CostMatrix) -> float:
    """NAB's perfect score: every labelled window detected at its first row."""
    return cost.tp_weight * prep.n_windows


def normalise(raw: float, null: float, perfect: float) -> float:
    """NAB's 0 (null detector) to 100 (perfect detector) scale."""
    if perfect == null:
        raise ValueError("perfect and null scores coincide: the corpus has no labelled windows")
    return 100.0 * (raw - null) / (perfect - null)


@dataclass(frozen=True, slots=True)
class ProfileResult:
    """A detector's result for one profile, threshold optimised over the corpus."""

    profile: str
    score: float                   # normalised, null = 0, perfect = 100
    threshold: float
    raw: float
    null_raw: float
    perfect_raw: float
    windows_detected: int
    windows_missed: int
    fp_rows: int
    per_series_raw: FloatArray


def score_corpus(
    prep: PreparedCorpus,
    scores: Sequence[npt.ArrayLike],
    profiles: dict[str, CostMatrix] | None = None,
) -> dict[str, ProfileResult]:
    """Optimise one threshold per profile over the corpus and normalise the best raw score."""
    out: dict[str, ProfileResult] = {}
    for name, cost in (profiles or NAB_PROFILES).items():
        sw = sweep(prep, scores, cost)
        best = score_at_threshold(prep, scores, cost, float(sw.thresholds[sw.best]))
        null, perfect = null_raw(prep, cost), perfect_raw(prep, cost)
        out[name] = ProfileResult(
            profile=name,
            score=normalise(float(sw.raw[sw.best]), null, perfect),
            threshold=best.threshold,
            raw=float(sw.raw[sw.best]),
            null_raw=null,
            perfect_raw=perfect,
            windows_detected=best.windows_detected,
            windows_missed=best.windows_missed,
            fp_rows=best.fp_rows,
            per_series_raw=best.per_series,
        )
    return out
