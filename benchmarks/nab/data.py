"""Load a folder in NAB's data layout: ``<category>/<series>.csv`` (``timestamp,value``), with
labels in ``windows.json`` and profiles in ``profiles.json`` (both optional, NAB's formats).

Windows are given as timestamps; NAB requires them to be row timestamps exactly, we map them to
the first row at or after the start and the last row at or before the end, which is the same
thing on NAB's files and still works on data labelled more loosely.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks.nab.scorer import NAB_PROFILES, CostMatrix, PreparedCorpus, prepare

# ../shared/data/nab relative to the repository root.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "nab"
WINDOWS_FILE = "windows.json"
PROFILES_FILE = "profiles.json"


@dataclass(frozen=True, slots=True)
class Series:
    """One file. ``windows`` are inclusive row ranges; ``None`` means the file is unlabelled."""

    name: str                               # "<category>/<series>.csv", NAB's key
    timestamp_text: tuple[str, ...]         # as written in the file, for the results layout
    timestamps: npt.NDArray[np.datetime64]  # datetime64[us]
    values: npt.NDArray[np.float64]
    windows: tuple[tuple[int, int], ...] | None

    @property
    def category(self) -> str:
        return self.name.rsplit("/", 1)[0] if "/" in self.name else ""

    @property
    def stem(self) -> str:
        return self.name.rsplit("/", 1)[-1].removesuffix(".csv")

    def __len__(self) -> int:
        return len(self.values)

    def datetimes(self) -> list[datetime]:
        """UTC-aware datetimes (NAB's timestamps carry no zone; the pipeline's are UTC)."""
        return [t.replace(tzinfo=UTC) for t in self.timestamps.astype("datetime64[us]").tolist()]


@dataclass(frozen=True, slots=True)
class Corpus:
    data_dir: Path
    series: tuple[Series, ...]
    profiles: dict[str, CostMatrix]

    @property
    def labelled(self) -> tuple[Series, ...]:
        return tuple(s for s in self.series if s.windows is not None)

    @property
    def n_rows(self) -> int:
        return sum(len(s) for s in self.series)

    def prepare(self) -> PreparedCorpus:
        """Scorer weights for the labelled files, in ``labelled`` order."""
        return prepare([(len(s), s.windows or ()) for s in self.labelled])


def _parse_times(text: Sequence[str]) -> npt.NDArray[np.datetime64]:
    return np.array([t.strip().replace(" ", "T", 1) for t in text], dtype="datetime64[us]")


def read_series_csv(path: Path) -> tuple[tuple[str, ...], npt.NDArray[np.float64]]:
    """The ``timestamp`` and ``value`` columns of one NAB data file, in file order."""
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader)]
        try:
            ti, vi = header.index("timestamp"), header.index("value")
        except ValueError:
            raise ValueError(f"{path}: need timestamp and value columns, got {header}") from None
        rows = [(r[ti], r[vi]) for r in reader if r]
    return tuple(r[0] for r in rows), np.array([float(r[1]) for r in rows], dtype=np.float64)


def _window_rows(
    name: str, ts: npt.NDArray[np.datetime64], limits: Sequence[Sequence[str]]
) -> tuple[tuple[int, int], ...]:
    rows = []
    starts = _parse_times([lim[0] for lim in limits]) if limits else []
    ends = _parse_times([lim[1] for lim in limits]) if limits else []
    for start, end in zip(starts, ends, strict=True):
        first = int(np.searchsorted(ts, start, side="left"))
        last = int(np.searchsorted(ts, end, side="right")) - 1
        if first > last:
            print(f"warning: {name}: window {start}..{end} covers no row, ignored", file=sys.stderr)
            continue
        rows.append((first, last))
    return tuple(sorted(rows))


def load_windows(path: Path) -> dict[str, list[list[str]]]:
    with path.open() as f:
        raw = json.load(f)
    return {k.replace("\\", "/"): v for k, v in raw.items()}


def load_profiles(path: Path) -> dict[str, CostMatrix]:
    """NAB's profiles.json (``{name: {"CostMatrix": {"tpWeight": ..., ...}}}``)."""
    with path.open() as f:
        raw = json.load(f)
    return {
        name: CostMatrix(
            tp_weight=float(p["CostMatrix"]["tpWeight"]),
            fp_weight=float(p["CostMatrix"]["fpWeight"]),
            fn_weight=float(p["CostMatrix"]["fnWeight"]),
        )
        for name, p in raw.items()
    }


def load_corpus(
    data_dir: str | Path | None = None,
    windows_file: str | Path | None = None,
    profiles_file: str | Path | None = None,
) -> Corpus:
    """Every ``*/*.csv`` under ``data_dir`` (sorted by name) with its labels, if any.

    Labels come from ``windows_file`` (default ``<data_dir>/windows.json``); when that file
    exists, files missing from it are unlabelled (NAB skips them); when it does not, all are.
    """
    root = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    if not root.is_dir():
        raise FileNotFoundError(f"NAB data folder not found: {root}")
    wpath = Path(windows_file) if windows_file is not None else root / WINDOWS_FILE
    ppath = Path(profiles_file) if profiles_file is not None else root / PROFILES_FILE
    labels = load_windows(wpath) if wpath.is_file() else None
    series = []
    for path in sorted(root.glob("*/*.csv")):
        name = path.relative_to(root).as_posix()
        text, values = read_series_csv(path)
        ts = _parse_times(text)
        if len(ts) > 1 and (np.diff(ts) < np.timedelta64(0, "us")).any():
            raise ValueError(f"{name}: timestamps are not in time order")
        windows = None
        if labels is not None and name in labels:
            windows = _window_rows(name, ts, labels[name])
        series.append(Series(name, text, ts, values, windows))
    if not series:
        raise FileNotFoundError(f"no <category>/<series>.csv files under {root}")
    profiles = load_profiles(ppath) if ppath.is_file() else dict(NAB_PROFILES)
    return Corpus(root, tuple(series), profiles)
