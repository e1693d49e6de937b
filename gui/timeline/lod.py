"""Level of detail: what one row of slices looks like at the current zoom, in O(width · log n).

A row's slices are sorted by start and do not overlap (nesting puts children on the next
depth). So for the pixel column edges ``e_0 … e_W`` one ``np.searchsorted`` tells, per column,
how many slices start inside it, and which slice (the last one starting before an edge) can
cover that edge. Every slice at least one pixel wide covers an edge, so it is found without
looking at the slices in between. The rest are narrower than a pixel: they are shaded as
density, each column by the share of its time they keep busy, which a prefix sum of the
durations gives per column without visiting them either (as Perfetto and chrome://tracing
shade what they cannot draw). The cost depends on the width of the window, not on the
number of events, which is what keeps 10M-event traces interactive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HIT_TOLERANCE_PX = 3.0
DENSITY_LEVELS = 8  # occupancy is quantised so that runs of similar columns merge


@dataclass
class RowGeometry:
    """Positions are indices into the arrays the row was laid out from."""

    wide: np.ndarray  # positions of slices drawn individually
    wide_x0: np.ndarray  # float pixels, may extend beyond the window
    wide_x1: np.ndarray
    run_x0: np.ndarray  # density runs: [x0, x1) whole pixels
    run_x1: np.ndarray
    run_level: np.ndarray  # 1 … DENSITY_LEVELS: how busy the run's columns are
    run_busy_ns: np.ndarray  # summed durations of the narrow slices starting in each run

    @classmethod
    def empty(cls) -> RowGeometry:
        none = np.zeros(0, np.int64)
        return cls(none, none.astype(float), none.astype(float), none, none, none, none)


def column_edges(t0_ns: int, begin: float, ns_per_px: float, width: int) -> np.ndarray:
    """Absolute int64 edges of the ``width`` pixel columns (``width + 1`` values).

    Computed relative to the trace start in float64 and shifted in int64, because absolute
    nanosecond clocks (~1.8e18) are beyond float64's exact integers.
    """
    relative = begin + ns_per_px * np.arange(width + 1, dtype=np.float64)
    return t0_ns + np.floor(relative).astype(np.int64)


def duration_prefix(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``p`` with ``p[j] - p[i]`` = summed durations of slices ``i … j-1`` (``n + 1`` values).

    Built once per trace; a row's ``[b, e)`` slices use the view ``p[b : e + 1]``.
    """
    return np.concatenate(([0], np.cumsum(ends - starts, dtype=np.int64)))


def lay_out_row(
    starts: np.ndarray, ends: np.ndarray, prefix: np.ndarray, edges: np.ndarray
) -> RowGeometry:
    """Geometry of one row: its wide slices, and density runs for everything narrower."""
    if starts.size == 0:
        return RowGeometry.empty()
    width = edges.size - 1
    ns_per_px = (edges[-1] - edges[0]) / max(width, 1)
    counts = np.searchsorted(starts, edges)  # slices starting before each edge
    before = counts - 1
    covers = (before >= 0) & (ends[np.maximum(before, 0)] > edges)
    wide = np.unique(before[covers])
    wide_x0 = (starts[wide] - edges[0]).astype(np.float64) / ns_per_px
    wide_x1 = (ends[wide] - edges[0]).astype(np.float64) / ns_per_px
    keep = wide_x1 - wide_x0 >= 1.0
    wide, wide_x0, wide_x1 = wide[keep], wide_x0[keep], wide_x1[keep]
    narrow, busy = _narrow_per_column(starts, ends, prefix, edges, counts, wide)
    runs = _density_runs(narrow, busy, ns_per_px)
    return RowGeometry(wide, wide_x0, wide_x1, *runs)


def _narrow_per_column(
    starts: np.ndarray,
    ends: np.ndarray,
    prefix: np.ndarray,
    edges: np.ndarray,
    counts: np.ndarray,
    wide: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per column: how many slices narrower than a pixel start in it, and their summed time."""
    width = edges.size - 1
    column = np.searchsorted(edges, starts[wide], side="right") - 1
    inside = (column >= 0) & (column < width)
    column, wide_inside = column[inside], wide[inside]
    narrow = np.diff(counts) - np.bincount(column, minlength=width)
    busy = np.diff(prefix[counts]) - np.bincount(
        column, weights=ends[wide_inside] - starts[wide_inside], minlength=width
    ).astype(np.int64)
    return narrow, busy


def _density_runs(
    narrow: np.ndarray, busy: np.ndarray, ns_per_px: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge neighbouring columns of the same density level into runs (x0, x1, level, busy)."""
    columns = np.flatnonzero(narrow > 0)
    if columns.size == 0:
        none = np.zeros(0, np.int64)
        return none, none, none, none
    occupancy = np.clip(busy[columns] / max(ns_per_px, 1e-9), 0.0, 1.0)
    level = np.clip(np.ceil(occupancy * DENSITY_LEVELS), 1, DENSITY_LEVELS).astype(np.int64)
    breaks = (np.diff(columns) != 1) | (np.diff(level) != 0)
    run_begin = np.concatenate(([0], np.flatnonzero(breaks) + 1))
    run_end = np.concatenate((run_begin[1:], [columns.size]))
    run_busy = np.add.reduceat(busy[columns], run_begin)
    return columns[run_begin], columns[run_end - 1] + 1, level[run_begin], run_busy


def slice_near(starts: np.ndarray, ends: np.ndarray, t: float, tolerance_ns: float) -> int:
    """Position of the slice under time ``t`` (or within ``tolerance_ns`` of it), else -1."""
    if starts.size == 0:
        return -1
    after = int(np.searchsorted(starts, t, side="right"))
    best, best_distance = -1, tolerance_ns
    for position in (after - 1, after):
        if 0 <= position < starts.size:
            distance = max(float(starts[position]) - t, t - float(ends[position]), 0.0)
            if distance <= best_distance:
                best, best_distance = position, distance
    return best
