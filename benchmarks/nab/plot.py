"""`--plot DIR`: one PNG per file and detector, to see *why* a detector scores what it does.

Top panel: the values, labelled windows shaded red, the unscored probationary period grey,
detections (score >= the standard profile's threshold) as red dots (grey in probation).
Bottom panel: the anomaly score and that threshold.
Files go to ``<dir>/<detector>/<category>/<series>.png``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.nab.data import Corpus, Series
from benchmarks.nab.scorer import probationary_length


def plot_series(path: Path, detector: str, series: Series, scores: np.ndarray,
                threshold: float | None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = series.timestamps
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(14, 5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    try:
        top.plot(ts, series.values, lw=0.6, color="tab:blue")
        probation = probationary_length(len(series))
        if probation:
            for ax in (top, bottom):
                ax.axvspan(ts[0], ts[probation - 1], color="0.85", lw=0)
        for left, right in series.windows or ():
            for ax in (top, bottom):
                ax.axvspan(ts[left], ts[right], color="tab:red", alpha=0.2, lw=0)
        bottom.plot(ts, scores, lw=0.6, color="tab:purple")
        if threshold is not None:
            hit = np.flatnonzero(scores >= threshold)
            scored, ignored = hit[hit >= probation], hit[hit < probation]
            top.scatter(ts[scored], series.values[scored], s=12, color="tab:red", zorder=3,
                        label=f"detections ({len(scored)})")
            top.scatter(ts[ignored], series.values[ignored], s=12, color="0.5", zorder=3,
                        label=f"in probation, not scored ({len(ignored)})")
            bottom.axhline(threshold, color="tab:red", lw=0.8, ls="--")
            top.legend(loc="upper left", fontsize=8)
        top.set_title(f"{detector}: {series.name}", fontsize=10)
        bottom.set_ylabel("score")
        bottom.set_ylim(-0.05, 1.05)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=90)
    finally:
        plt.close(fig)
    return path


def plot_detector(out_dir: Path, detector: str, corpus: Corpus, scores: dict[str, np.ndarray],
                  threshold: float | None) -> list[Path]:
    """One PNG per file of the corpus; ``threshold`` None draws no detections."""
    return [
        plot_series(out_dir / detector / s.category / f"{s.stem}.png", detector, s,
                    scores[s.name], threshold)
        for s in corpus.series
    ]
