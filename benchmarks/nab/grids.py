"""Parameter grids for ``aiops bench nab --cv``: detector name -> parameter dicts to choose from.

In every fold, each entry is streamed over the training categories and the one with the best
training score (standard profile, threshold swept on the same files) is used on the held-out
category. ``{}`` (the detector's defaults) is always a candidate and comes first, so ties keep
the defaults. A detector without an entry is scored with its defaults only.

How these were chosen: before any ``--cv`` run, from each parameter's meaning, one parameter at a
time around the default (its time scale or sensitivity roughly halved and doubled, or a member
set added or removed), at most six entries so the grid stays cheap and cannot memorise the
corpus. They were not picked by looking at NAB scores; a grid edited after looking at ``--cv``
results is tuning on the folds and should say so here.
"""

from __future__ import annotations

from typing import Any

MAX_ENTRIES = 6

GRIDS: dict[str, list[dict[str, Any]]] = {
    # Which evidence to combine, and how long one episode silences the ensemble.
    "ensemble": [
        {},
        {"members": ("robust_z",)},
        {"members": ("robust_z", "novelty", "seasonal")},
        {"refractory": 50},
        {"refractory": 200},
        # added after the first --cv run (2026-11-26), where relative_entropy alone held up
        # across folds: a candidate informed by fold results, chosen per fold on training
        # files like the others
        {"members": ("robust_z", "novelty", "relative_entropy")},
    ],
    # Baseline memory (~1/alpha samples) and how many raw scores the likelihood averages.
    "robust_z": [
        {},
        {"alpha": 0.001},
        {"alpha": 0.01},
        {"short": 10},
        {"short": 60},
    ],
    # How far past the seen range counts as new.
    "novelty": [
        {},
        {"tolerance": 0.02},
        {"tolerance": 0.1},
        {"tolerance": 0.2},
    ],
    # Bucket by hour of week instead of day; faster or slower bucket statistics.
    "seasonal": [
        {},
        {"period": "week"},
        {"alpha": 0.05},
        {"alpha": 0.5},
        {"short": 10},
    ],
    # Window of the tree masses (how fast "normal" is forgotten) and averaging; HST is the
    # slowest detector, so its grid is the smallest.
    "river_hst": [
        {},
        {"window_size": 100},
        {"window_size": 1000},
        {"short": 30},
    ],
}


def grid_for(name: str, grids: dict[str, list[dict[str, Any]]] | None = None
             ) -> list[dict[str, Any]]:
    """The candidates for ``name``: the defaults first, then the grid's other entries, once each.

    Raises ``ValueError`` for a grid larger than ``MAX_ENTRIES``.
    """
    entries = (GRIDS if grids is None else grids).get(name, [])
    out: list[dict[str, Any]] = [{}]
    for entry in entries:
        if entry not in out:
            out.append(dict(entry))
    if len(out) > MAX_ENTRIES:
        raise ValueError(f"grid for {name!r} has {len(out)} entries; at most {MAX_ENTRIES}")
    return out
