"""The one contract every anomaly detector follows (river-style, STYLE.md item 9).

A detector sees one series, one sample at a time, in time order:

- ``score_one(x)`` returns a score in [0, 1], higher = more anomalous, *before* learning ``x``;
- ``learn_one(x)`` updates the state with ``x``.

``x`` is a ``Sample``: the value and its timestamp (seasonal detectors need the time of day).
Detectors are picklable (state survives restarts), cloneable (``clone()`` gives a fresh,
untrained copy with the same parameters, read from ``__init__``), and seeded (same seed, same
scores). Until a detector has seen ``warmup`` samples it returns 0.0: no alerts on cold start.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Sample:
    value: float
    timestamp: datetime


class Detector:
    """Base class: subclasses store every ``__init__`` argument as an attribute of that name."""

    warmup: int = 0

    def learn_one(self, x: Sample) -> None:
        raise NotImplementedError

    def score_one(self, x: Sample) -> float:
        raise NotImplementedError

    def score_learn_one(self, x: Sample) -> float:
        """Score, then learn: what a stream processor does for each sample."""
        s = self.score_one(x)
        self.learn_one(x)
        return s

    def _get_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {name: copy.deepcopy(getattr(self, name)) for name in sig.parameters
                if name != "self"}

    def clone(self) -> Detector:
        """A fresh, untrained detector with the same parameters."""
        return type(self)(**self._get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._get_params().items())
        return f"{type(self).__name__}({args})"
