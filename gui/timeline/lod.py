"""Level of detail: what one row of slices looks like at the current zoom, in O(width · log n).

A row's slices are sorted by start and do not overlap (nesting puts children on the next
depth). So for the pixel column edges ``e_0 … e_W`` one ``np.searchsorted`` tells, per column,
how many slices start inside it, and which slice (the last one starting before an edge) can
cover that edge. Every slice at least one pixel wide covers an edge, so it is found without
looking at the slices in between; the rest become one-pixel density blocks, merged into runs
of the same op. The cost depends on the width of the window, not on the number of events,
which is what keeps 10M-event traces interactive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HIT_TOLERANCE_PX = 3.0


@dataclass
class RowGeometry:
    """Positions are indices into the arrays the row was laid out from."""

    wide: np.ndarray  # positions of slices drawn individually
    wide_x0: np.ndarray  # float pixels, may extend beyond the window
    wide_x1: np.ndarray
    run_x0: np.ndarray  # density runs: [x0, x1) whole pixels
    run_x1: np.ndarray
    run_first: np.ndarray  # position of the first slice starting in each run (gives its colour)


def column_edges(t0_ns: int, begin: float, ns_per_px: float, width: int) -> np.ndarray:
    """Absolute int64 edges of the ``width`` pixel columns (``width + 1`` values).

    Computed relative to the trace start in float64 and shifted in int64, because absolute
    nanosecond clocks (~1.8e18) are beyond float64's exact integers.
    """
    relative = begin + ns_per_px * np.arange(width + 1, dtype=np.float64)
    return t0_ns + np.floor(relative).astype(np.int64)


def lay_out_row(
    starts: np.ndarray,
    ends: np.ndarray,
    edges: np.ndarray,
    keys: np.ndarray | None = None,
) -> RowGeometry:
    """Geometry of one row; ``keys`` (e.g. op ids) split density runs where the colour changes."""
    if starts.size == 0:
        empty = np.zeros(0, np.int64)
        return RowGeometry(empty, empty.astype(float), empty.astype(float), empty, empty, empty)
    counts = np.searchsorted(starts, edges)  # slices starting before each edge
    before = counts - 1
    covers = (before >= 0) & (ends[np.maximum(before, 0)] > edges)
    wide = before[covers]
    if wide.size:
        wide = wide[np.concatenate(([True], wide[1:] != wide[:-1]))]
    ns_per_px = (edges[-1] - edges[0]) / max(edges.size - 1, 1)
    wide_x0 = (starts[wide] - edges[0]).astype(np.float64) / ns_per_px
    wide_x1 = (ends[wide] - edges[0]).astype(np.float64) / ns_per_px
    keep = wide_x1 - wide_x0 >= 1.0
    wide, wide_x0, wide_x1 = wide[keep], wide_x0[keep], wide_x1[keep]

    columns = np.flatnonzero(counts[1:] > counts[:-1])
    first = counts[columns]
    if columns.size == 0:
        empty = np.zeros(0, np.int64)
        return RowGeometry(wide, wide_x0, wide_x1, empty, empty, empty)
    breaks = np.diff(columns) != 1
    if keys is not None:
        breaks |= np.diff(keys[first]) != 0
    run_begin = np.concatenate(([0], np.flatnonzero(breaks) + 1))
    run_end = np.concatenate((run_begin[1:], [columns.size])) - 1
    return RowGeometry(
        wide, wide_x0, wide_x1, columns[run_begin], columns[run_end] + 1, first[run_begin]
    )


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
