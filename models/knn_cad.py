"""KNN-CAD: conformalised k-nearest-neighbour anomaly detection (Burnaev & Ishimtsev, NAB "knncad").

What the algorithm does (written here from the paper and NAB's description, not copied):

1. **Vectors.** The series becomes overlapping windows of the last ``dim`` values (the rows of
   the trajectory matrix of singular spectrum analysis).
2. **Metric.** Distances are Mahalanobis-like, with the inverse of ``X^T X`` of the training
   windows ``X`` (not centred, as published) in place of an inverse covariance; it is
   re-estimated twice per ``warmup`` samples, as published (at ``n % warmup`` = 0 and
   ``warmup // 2``).
3. **Non-conformity.** A window's score is the sum of its squared distances to its ``k`` nearest
   training windows.
4. **Conformal step.** The score is ranked against the scores of the last calibration windows
   (each scored against the training set of its time); a rank near the top means no recent
   window was that far from the training set.
5. **Sliding sets.** The first ``warmup`` samples give the training set (and, leave-one-out, the
   first calibration scores); after ``2 * warmup`` samples each new window enters calibration
   and the oldest calibration window moves into training, so training is always the windows of
   the ``warmup`` samples before the calibration ones.

Published setup kept: ``dim=19``, ``k=27``, NAB's probationary period as the training size (here
``warmup``; NAB uses 15 % of the file, 600 rows on a 4,032-row file, which a stream cannot
know, so the default is 300 samples, a day of 5-minute samples), the metric and its schedule.

What changed for a stream:

- **Output.** NAB outputs the fraction of calibration scores below the new score and treats
  ``>= 0.9965`` as an alert, so its evidence is capped by the calibration size. Here the output is
  the conformal p-value ``p = (#calibration scores >= score + 1) / (#calibration + 1)`` on the
  anomaly likelihood's scale, ``log p / log 1e-10`` (0.5 is p = 1e-5), and past the largest
  calibration score an exponential tail fitted to the top 5 % of them (peaks over threshold)
  extends ``p`` below ``1 / (#calibration + 1)``, so "far beyond anything recent" is told apart
  from "just beyond". No further likelihood: the conformal step is the calibration. A
  ``refractory`` period follows an alert (NAB: 0.5 for a fifth of the probationary period).
- **Re-estimating the metric** re-scores the calibration windows under the new metric against
  the training set of the moment. NAB keeps calibration scores computed under the old metric,
  so every re-estimation compares new scores with scores on another scale: on a synthetic sine
  with a short warm-up that alone raised alerts at re-estimation times.
- **Numerics.** ``X^T X`` gets a ridge of 1e-12 of its largest eigenvalue and the metric is
  applied by whitening (eigen-decomposition) so a constant or rank-deficient stretch cannot make
  it singular (NAB catches the error and keeps the old matrix). A non-finite value is scored 0
  and enters the windows as the previous value.
- **State.** Only the values the sets need (the last ``2.5 * warmup + dim``) and the
  calibration scores are pickled; the metric and the whitened training windows are rebuilt from
  them on load, bit for bit. That is about ``3.5 * warmup * 8`` bytes: ~8.5 KB at the default
  ``warmup=300`` (the 4 KiB budget of the fast detectors holds up to ``warmup`` ~ 130).

How the changes were chosen: on synthetic series (a noisy daily sine with a spike, a step, a
stalled wave; the convention suite's and this module's tests), before any NAB run.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, insort

import numpy as np

from models.base import Sample
from models.likelihood import CalibratedDetector

_RIDGE = 1e-12
# Surprise cap (p = e^-50): a constant series that moves would otherwise score infinity.
_MAX_SURPRISE = 50.0
_LOG_1E10 = 10.0 * math.log(10.0)
_MAX_SCORE = 1e300


class KnnCad(CalibratedDetector):
    """k-NN distance of the newest window to a sliding training set, as a conformal surprise."""

    def __init__(self, warmup: int = 300, dim: int = 19, k: int = 27, refractory: int = 120,
                 seed: int = 0) -> None:
        if dim < 1 or k < 1:
            raise ValueError(f"dim and k must be >= 1, got dim={dim}, k={k}")
        if warmup < dim + k + 1:
            raise ValueError(f"warmup must be at least dim + k + 1 = {dim + k + 1} "
                             f"(training needs k + 1 windows), got {warmup}")
        self.warmup = warmup
        self.dim = dim
        self.k = k
        self.refractory = refractory
        self.seed = seed  # deterministic anyway; kept for a uniform signature
        self._count = 0            # values seen
        self._vals = array("d")    # the last values the sets need (oldest first)
        self._calib = array("d")   # calibration scores (oldest first)
        self._metric_at = 0        # sample count at which the metric was last estimated
        self._init_calibration()
        del self._lk  # the conformal p-value is the calibration
        self._derived()

    # -- derived state (rebuilt on load) ----------------------------------------------------

    def _derived(self) -> None:
        self._whiten: np.ndarray | None = None  # dim x dim
        self._train: np.ndarray | None = None   # whitened training windows, ring of rows
        self._head = 0
        self._train_end = 0                     # end count of the newest training window
        self._cached: tuple[Sample, float] | None = None
        self._sorted = sorted(self._calib)      # calibration scores, ascending

    def _window(self, end: int) -> np.ndarray:
        """The window ending at value number ``end`` (1-based count)."""
        off = self._count - len(self._vals)  # count of values dropped from the front
        i = end - off
        return np.asarray(self._vals[i - self.dim:i])  # a copy: the array may grow later

    def _train_range(self, n: int) -> tuple[int, int]:
        """End counts (inclusive) of the training windows used to score value number ``n``."""
        p = self.warmup
        return max(self.dim, n - 2 * p + self.dim), max(p, n - p) - 1

    def _estimate_metric(self, n: int) -> None:
        first, last = self._train_range(n)
        x = np.stack([self._window(e) for e in range(first, last + 1)])
        m = x.T @ x
        lam, vec = np.linalg.eigh(m)
        # An absolute floor too: all-zero training windows (an idle disk) have no scale at all.
        ridge = max(_RIDGE * float(lam[-1]), _RIDGE)
        self._whiten = vec / np.sqrt(np.maximum(lam, 0.0) + ridge)
        self._metric_at = n

    def _rebuild_train(self, n: int) -> None:
        """Whiten every training window for scoring value number ``n``, row by row."""
        first, last = self._train_range(n)
        rows = [self._z(self._window(e)) for e in range(first, last + 1)]
        self._train = np.stack(rows)
        self._head = 0
        self._train_end = last

    def _z(self, w: np.ndarray) -> np.ndarray:
        return (w[None, :] @ self._whiten)[0]  # one row at a time: a rebuild is bit for bit

    def _ncm(self, z: np.ndarray, exclude_self: bool = False) -> float:
        k = self.k + (1 if exclude_self else 0)
        # Sorted before summing, so the sum does not depend on the order of the rows; capped,
        # so a window beyond float range (inf) still ranks and subtracts without NaN.
        with np.errstate(over="ignore"):
            d = ((self._train - z) ** 2).sum(axis=1)  # type: ignore[operator]
            return min(float(np.sort(np.partition(d, k - 1)[:k]).sum()), _MAX_SCORE)

    def _prepare(self, n: int) -> None:
        """Bring the metric and the training set up to date for scoring value number ``n``."""
        p = self.warmup
        if self._whiten is None:  # just unpickled: the metric of its time, from kept values
            self._estimate_metric(self._metric_at)
            self._rebuild_train(n)
        if n % p in (0, p // 2) and self._metric_at != n:
            self._estimate_metric(n)
            self._rebuild_train(n)
            self._rescore_calibration(n)
        last = self._train_range(n)[1]
        while self._train_end < last:  # slide: newest calibration window into training
            self._train_end += 1
            self._train[self._head] = self._z(self._window(self._train_end))  # type: ignore[index]
            self._head = (self._head + 1) % len(self._train)  # type: ignore[arg-type]

    def _rescore_calibration(self, n: int) -> None:
        """Score the calibration windows again under the new metric, against today's training.

        The calibration windows are the last ``len(calib)`` of: the training windows of warm-up
        (scored leave-one-out), then every scored window (the window ending at ``warmup`` is in
        neither, as it was never scored).
        """
        p, dim, size = self.warmup, self.dim, len(self._calib)
        n_loo = p - dim
        total = n_loo + (n - 1 - p)
        first, last = self._train_range(n)
        scores = array("d")
        for i in range(total - size, total):
            end = dim + i if i < n_loo else p + 1 + (i - n_loo)
            scores.append(self._ncm(self._z(self._window(end)), exclude_self=first <= end <= last))
        self._calib = scores
        self._sorted = sorted(scores)

    # -- the detector contract --------------------------------------------------------------

    def _raw(self, x: Sample) -> float:
        n = self._count + 1
        if n <= self.warmup or not math.isfinite(x.value):
            return 0.0
        if self._cached is not None and self._cached[0] is x:
            return self._cached[1]
        self._vals.append(x.value)  # temporarily: the window ends with x
        self._count += 1
        try:
            self._prepare(n)
            score = self._ncm(self._z(self._window(n)))
        finally:
            self._vals.pop()
            self._count -= 1
        self._cached = (x, score)
        return self._surprise(score)

    def _surprise(self, score: float) -> float:
        """``-log p``: the conformal p-value, with an exponential tail beyond the calibration.

        Inside the calibration scores ``p = (#scores >= score + 1) / (#scores + 1)``. Past the
        largest one, the top ``m`` scores' mean excess over the ``m+1``-th sets the scale of an
        exponential tail, so "far beyond anything recent" is worth more than "just beyond".
        """
        cal = self._sorted
        size = len(cal) + 1
        above = len(cal) - bisect_left(cal, score)
        if above or not cal:
            return -math.log((above + 1) / size)
        m = max(5, len(cal) // 20)
        u = cal[-m - 1]
        # A flat top (e.g. every score 0 on a constant series) gets a tiny scale, not zero.
        scale = max(sum(cal[-m:]) / m - u, 1e-9 * max(abs(u), cal[-1]), 1e-300)
        tail = math.log(m / size) - (score - u) / scale
        return min(-min(tail, -math.log(size)), _MAX_SURPRISE)

    def _update(self, x: Sample) -> None:
        v = x.value
        if not math.isfinite(v):
            v = self._vals[-1] if self._vals else 0.0  # a gap in the window, not a poison
        n = self._count + 1
        score = None
        if n > self.warmup and self._cached is not None and self._cached[0] is x:
            score = self._cached[1]
        self._cached = None
        self._vals.append(v)
        self._count = n
        p = self.warmup
        if n < p:
            return
        if n == p:  # training complete: metric, and leave-one-out scores as calibration
            self._estimate_metric(n + 1)
            self._rebuild_train(n + 1)
            self._calib = array("d", (self._ncm(z, exclude_self=True) for z in self._train))
            self._sorted = sorted(self._calib)
            return
        if score is None:  # learn_one without score_one, or a non-finite value
            self._prepare(n)
            score = self._ncm(self._z(self._window(n)))
        old = self._calib.pop(0)
        self._calib.append(score)
        del self._sorted[bisect_left(self._sorted, old)]
        insort(self._sorted, score)
        keep = int(2.5 * p) + self.dim
        if len(self._vals) > keep:
            del self._vals[: len(self._vals) - keep]

    def _calibrated(self, x: Sample) -> float:
        """The p-value on the likelihood's scale: ``log p / log 1e-10``, so 0.5 is p = 1e-5."""
        if self._cx is not x:
            self._craw = raw = self._raw(x)
            self._cscore = min(raw / _LOG_1E10, 1.0)
            self._cx = x
        return self._cscore

    def learn_one(self, x: Sample) -> None:
        score = self._calibrated(x)
        if self._n >= self.warmup:
            self._ref.learn(score)
        self._n += 1
        self._update(x)
        self._cx = None

    def __getstate__(self) -> dict[str, object]:
        state = super().__getstate__()
        for name in ("_whiten", "_train", "_head", "_train_end", "_cached", "_sorted"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._derived()
