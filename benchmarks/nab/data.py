"""Load a folder in NAB's data layout: ``<category>/<series>.csv`` (``timestamp,value``), with
labels in ``windows.json`` and profiles in ``profiles.json`` (both optional, NAB's formats).

Rows are kept in file order, as NAB's runner keeps them: a file whose clock steps back or that
repeats timestamps is read, streamed and scored as written, never refused. Per file we count
the rows whose timestamp is earlier than the latest one before them (``out_of_order``) and equal
to it (``repeated``), and print a note when any.

Windows are given as timestamps. A row is in a window when its timestamp lies inside it (both
ends included); the window's rows are the *first run*, in file order, of consecutive rows inside
it that starts after the previous window's rows. On a file in time order that is every row
inside (the first row at or after the start to the last at or before the end), which is NAB's
rule on its exactly-labelled files and still works on data labelled more loosely. After a clock
step back, rows whose timestamps come round into a window a second time are outside it (NAB's
sweeper likewise enters a window once, at the first row stamped with its start, and leaves it at
the first row stamped with its end).
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
    out_of_order: int = 0                   # rows stamped before the latest earlier row
    repeated: int = 0                       # rows stamped the same as the latest earlier row

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
    """Inclusive row ranges of the windows, by the module's rule (first run inside, in order)."""
    if not limits:
        return ()
    starts = _parse_times([lim[0] for lim in limits])
    ends = _parse_times([lim[1] for lim in limits])
    rows = []
    after = 0  # a window's rows start after the previous window's
    for k in np.argsort(starts, kind="stable"):
        start, end = starts[k], ends[k]
        inside = (ts[after:] >= start) & (ts[after:] <= end)
        hits = np.flatnonzero(inside)
        if not len(hits):
            print(f"warning: {name}: window {start}..{end} covers no row, ignored", file=sys.stderr)
            continue
        first = int(hits[0])
        leaves = np.flatnonzero(~inside[first:])
        last = first + (int(leaves[0]) - 1 if len(leaves) else len(inside) - first - 1)
        rows.append((after + first, after + last))
        after += last + 1
    return tuple(rows)


def time_order_counts(ts: npt.NDArray[np.datetime64]) -> tuple[int, int]:
    """``(out_of_order, repeated)``: rows stamped before / the same as the latest earlier row."""
    if len(ts) < 2:
        return 0, 0
    latest = np.maximum.accumulate(ts)[:-1]
    return int((ts[1:] < latest).sum()), int((ts[1:] == latest).sum())


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
    Rows stay in file order whatever their timestamps (see the module docstring).
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
        late, repeated = time_order_counts(ts)
        if late or repeated:
            print(f"note: {name}: {late} of {len(ts)} rows out of time order, {repeated} "
                  f"repeat the latest timestamp; kept in file order", file=sys.stderr)
        windows = None
        if labels is not None and name in labels:
            windows = _window_rows(name, ts, labels[name])
        series.append(Series(name, text, ts, values, windows, late, repeated))
    if not series:
        raise FileNotFoundError(f"no <category>/<series>.csv files under {root}")
    profiles = load_profiles(ppath) if ppath.is_file() else dict(NAB_PROFILES)
    return Corpus(root, tuple(series), profiles)
