"""River's HalfSpaceTrees on two scaled features, with a compact pickled state.

HalfSpaceTrees sees ``{"level": value scaled so the range seen so far fills the middle half of
[0, 1], "step": change since the previous sample scaled likewise}``, so it scores both unusual
levels and unusual jumps, and a new extreme lands where the trees have seen nothing. A default
river HST pickles to ~170 KB (node objects); here the trees are small (8 x depth 5) and are not
pickled at all: their split points depend only on ``seed``, so ``__getstate__`` keeps just the
node masses as uint16 arrays (~2 KB) and ``__setstate__`` regrows the same trees and refills them.
"""

from __future__ import annotations

from array import array
from typing import Any

from river.anomaly import HalfSpaceTrees

from models.base import Sample
from models.features import RangeNovelty
from models.likelihood import CalibratedDetector

_PROBE = {"level": 0.5, "step": 0.5}


def _nodes(hst: HalfSpaceTrees) -> list[Any]:
    return [node for tree in hst._tree_nodes for node in tree]


class RiverHST(CalibratedDetector):
    """HalfSpaceTrees mass-based isolation score, calibrated by the anomaly likelihood."""

    def __init__(self, warmup: int = 150, n_trees: int = 8, height: int = 5,
                 window_size: int = 250, short: int = 10, history: int = 1000,
                 refractory: int = 100, seed: int = 0) -> None:
        if window_size >= 65535:
            raise ValueError("window_size must be < 65535 (masses are stored as uint16)")
        self.warmup = warmup
        self.n_trees = n_trees
        self.height = height
        self.window_size = window_size
        self.short = short
        self.history = history
        self.refractory = refractory
        self.seed = seed
        self._hst = self._new_hst()
        self._range = RangeNovelty(0.0)
        self._prev: float | None = None
        self._init_calibration(short, history)

    def _new_hst(self) -> HalfSpaceTrees:
        return HalfSpaceTrees(n_trees=self.n_trees, height=self.height,
                              window_size=self.window_size, seed=self.seed)

    def _features(self, v: float) -> dict[str, float]:
        lo, hi = self._range.lo, self._range.hi
        span = hi - lo
        if not span > 0.0:
            return _PROBE
        # The range seen so far maps to [0.25, 0.75]: a new extreme must land somewhere new.
        level = min(max(0.25 + 0.5 * (v - lo) / span, 0.0), 1.0)
        step = 0.5 if self._prev is None else 0.5 + 0.25 * (v - self._prev) / span
        return {"level": level, "step": min(max(step, 0.0), 1.0)}

    def _raw(self, x: Sample) -> float:
        return float(self._hst.score_one(self._features(x.value)))

    def _update(self, x: Sample) -> None:
        v = x.value
        self._hst.learn_one(self._features(v))
        self._range.update(v)
        self._prev = v

    def __getstate__(self) -> dict[str, object]:
        state = super().__getstate__()
        hst = state.pop("_hst")
        if hst.trees:
            nodes = _nodes(hst)
            state["_masses"] = (array("H", [n.l_mass for n in nodes]),
                                array("H", [n.r_mass for n in nodes]),
                                hst.counter, hst._first_window)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        masses = state.pop("_masses", None)
        self.__dict__.update(state)
        self._hst = hst = self._new_hst()
        if masses is not None:
            hst.learn_one(_PROBE)  # grows the seeded trees; the masses are overwritten below
            l_mass, r_mass, hst.counter, hst._first_window = masses
            for node, lm, rm in zip(_nodes(hst), l_mass, r_mass, strict=True):
                node.l_mass = lm
                node.r_mass = rm
