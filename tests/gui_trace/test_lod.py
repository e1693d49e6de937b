"""The level-of-detail layout on its own, over every row of the real PyTorch demo trace."""

from __future__ import annotations

import numpy as np
import pytest

from opscope.gui.timeline.colors import density_color
from opscope.gui.timeline.lod import (
    DENSITY_LEVELS,
    column_edges,
    duration_prefix,
    lay_out_row,
)
from opscope.gui.timeline.summary import union_intervals
from opscope.profiling.trace import load_trace


@pytest.fixture(scope="module")
def trace(torch_result):
    return load_trace(torch_result.trace_file)


def layouts(trace, width: int, begin: float, end: float):
    """(row bounds, geometry, edges) of every (lane, depth) row for a window of ``width`` px."""
    ends = trace.start_ns + trace.dur_ns
    prefix = duration_prefix(trace.start_ns, ends)
    edges = column_edges(trace.t0_ns, begin, (end - begin) / width, width)
    for b, e in trace.row_bounds().values():
        geometry = lay_out_row(trace.start_ns[b:e], ends[b:e], prefix[b : e + 1], edges)
        yield (b, e), geometry, edges


@pytest.mark.parametrize("width", [40, 300, 1600])
def test_rects_are_bounded_by_the_pixels_not_the_events(trace, width):
    rows = trace.row_bounds()
    total = 0
    for _, geometry, _ in layouts(trace, width, 0.0, float(trace.span_ns)):
        assert geometry.wide.size <= width + 1
        assert geometry.run_x0.size <= width
        assert np.all(geometry.run_x1 > geometry.run_x0)
        total += geometry.wide.size + geometry.run_x0.size
    assert total <= width * len(rows)
    if width == 40:
        assert total < trace.events / 2  # at this width most slices really were merged


@pytest.mark.parametrize(
    ("width", "window"), [(40, (0.0, 1.0)), (300, (0.0, 1.0)), (900, (0.3, 0.55))]
)
def test_merging_preserves_the_covered_time(trace, width, window):
    """Wide slices plus density runs account for every slice starting inside the window."""
    begin, end = (fraction * trace.span_ns for fraction in window)
    for (b, e), geometry, edges in layouts(trace, width, begin, end):
        starts, durations = trace.start_ns[b:e], trace.dur_ns[b:e]
        inside = (starts >= edges[0]) & (starts < edges[-1])
        wide_starts = starts[geometry.wide]
        wide = geometry.wide[(wide_starts >= edges[0]) & (wide_starts < edges[-1])]
        drawn = int(durations[wide].sum()) + int(geometry.run_busy_ns.sum())
        assert drawn == int(durations[inside].sum())


def test_slices_two_pixels_wide_are_drawn_individually(trace):
    width = 300
    ns_per_px = trace.span_ns / width
    for (b, e), geometry, _ in layouts(trace, width, 0.0, float(trace.span_ns)):
        wide_enough = np.flatnonzero(trace.dur_ns[b:e] >= 2 * ns_per_px)
        assert set(wide_enough.tolist()) <= set(geometry.wide.tolist())
        assert np.all(trace.dur_ns[b:e][geometry.wide] >= ns_per_px * 0.99)


def test_density_level_grows_with_occupancy(trace):
    """A run's level is its busy share of the run's pixels, quantised; denser is more opaque."""
    width = 40
    ns_per_px = trace.span_ns / width
    levels = []
    for _, geometry, _ in layouts(trace, width, 0.0, float(trace.span_ns)):
        pixels = geometry.run_x1 - geometry.run_x0
        share = geometry.run_busy_ns / (pixels * ns_per_px)
        assert np.all(geometry.run_level >= 1) and np.all(geometry.run_level <= DENSITY_LEVELS)
        single = pixels == 1
        expected = np.clip(np.ceil(np.minimum(share, 1.0) * DENSITY_LEVELS), 1, DENSITY_LEVELS)
        assert np.array_equal(geometry.run_level[single], expected[single])
        levels.extend(geometry.run_level.tolist())
    assert len(set(levels)) > 1
    alphas = [density_color(level, DENSITY_LEVELS).alpha() for level in range(1, 9)]
    assert alphas == sorted(alphas) and alphas[-1] == 255


def test_union_of_a_process_keeps_exactly_its_busy_time(trace):
    ends = trace.start_ns + trace.dur_ns
    union = union_intervals(trace.start_ns, ends)
    assert np.all(union.starts[1:] > union.ends[:-1])  # sorted and disjoint
    covered = np.zeros(trace.span_ns // 1000 + 1, bool)  # on a 1 µs grid
    for start, end in zip(trace.start_ns - trace.t0_ns, ends - trace.t0_ns, strict=True):
        covered[start // 1000 : -(-end // 1000)] = True
    grid = np.zeros_like(covered)
    for start, end in zip(union.starts - trace.t0_ns, union.ends - trace.t0_ns, strict=True):
        grid[start // 1000 : -(-end // 1000)] = True
    assert np.array_equal(covered, grid)
    assert union.busy_ns <= trace.span_ns
