"""Nesting depth and self time of slices, computed with numpy over whole columns.

Profilers write slices of one thread as a properly nested family (a call stack over time).
Walking a stack per event in Python would cost about a microsecond each, so instead:

* depth of a slice = slices of its lane that started before it (in (start, -duration)
  order) minus those of them that had already ended by its start;
* its parent = the last slice one level up on the same lane that precedes it in that order;
* self time = duration minus the parts of direct children that lie inside the parent.

Slices that overlap without nesting (which a well-formed profiler does not write on one
thread) still get a depth that keeps them apart on screen; they are counted so the importer
can say so in its warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Nesting:
    order: np.ndarray  # int64 permutation: slices sorted by (lane, depth, start)
    depth: np.ndarray  # int16, in the sorted order
    self_ns: np.ndarray  # int64, in the sorted order
    overlapping: int  # slices that cross their parent's end


def _ended_by(
    lane: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    lane_begin: np.ndarray,
    lane_end: np.ndarray,
) -> np.ndarray:
    """For each slice, how many slices of the lanes up to its own have ended by its start.

    One ``searchsorted`` over ``lane * span + time`` serves every lane at once (a structured
    (lane, time) key did the same five times slower); when ``lanes * span`` would overflow
    int64 we go lane by lane.
    """
    t0 = int(min(start.min(), end.min()))
    span = int(max(start.max(), end.max())) - t0 + 1
    lanes = int(lane.max()) + 1
    if lanes <= (2**62) // span:
        key_end = lane.astype(np.int64) * span + (end - t0)
        key_end.sort()
        return np.searchsorted(key_end, lane.astype(np.int64) * span + (start - t0), "right")
    ended = np.empty(lane.size, np.int64)
    for b, e in zip(lane_begin.tolist(), lane_end.tolist(), strict=True):
        ended[b:e] = b + np.searchsorted(np.sort(end[b:e]), start[b:e], "right")
    return ended


def _depths(lane: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Depth of each slice, given columns already sorted by (lane, start, -duration)."""
    n = lane.size
    position = np.arange(n, dtype=np.int64)
    lane_change = np.flatnonzero(np.diff(lane)) + 1
    lane_begin = np.concatenate(([0], lane_change))
    lane_end = np.concatenate((lane_change, [n]))
    lane_of = np.repeat(np.arange(lane_begin.size), lane_end - lane_begin)
    begin = lane_begin[lane_of]
    started_before = position - begin
    ended = _ended_by(lane, start, end, lane_begin, lane_end) - begin
    # Zero-length slices that start exactly where I start and come after me in the order have
    # "ended" by my start but did not start before me (nor did I, if I am one of them).
    zero = end == start
    same_start_group = np.concatenate(([True], (np.diff(start) != 0) | (np.diff(lane) != 0)))
    group_id = np.cumsum(same_start_group) - 1
    zeros_in_group = np.bincount(group_id, weights=zero).astype(np.int64)
    zeros_after = np.cumsum(zero[::-1])[::-1]  # zero slices at or after each position, total
    group_last = np.concatenate((np.flatnonzero(same_start_group)[1:] - 1, [n - 1]))
    zeros_after_in_group = (
        zeros_after - np.concatenate((zeros_after[1:], [0]))[group_last][group_id]
    )
    later_zero = np.where(zero, zeros_after_in_group, zeros_in_group[group_id])
    depth = started_before - (ended - later_zero)
    return np.clip(depth, 0, np.iinfo(np.int16).max).astype(np.int16)


def _parents(lane: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Index of each slice's parent (-1 for roots), columns sorted by (lane, start, -dur)."""
    n = lane.size
    parent = np.full(n, -1, dtype=np.int64)
    max_depth = int(depth.max()) if n else 0
    for d in range(1, max_depth + 1):
        children = np.flatnonzero(depth == d)
        candidates = np.flatnonzero(depth == d - 1)
        if children.size == 0 or candidates.size == 0:
            continue
        k = np.searchsorted(candidates, children) - 1
        ok = k >= 0
        found = candidates[np.maximum(k, 0)]
        ok &= lane[found] == lane[children]
        parent[children[ok]] = found[ok]
    return parent


def nest(lane: np.ndarray, start: np.ndarray, dur: np.ndarray) -> Nesting:
    """Depth, self time and the (lane, depth, start) order for slices given in any order."""
    n = lane.size
    if n == 0:
        empty = np.zeros(0, np.int64)
        return Nesting(empty, np.zeros(0, np.int16), empty, 0)
    by_start = np.lexsort((-dur, start, lane))
    s_lane, s_start, s_dur = lane[by_start], start[by_start], dur[by_start]
    s_end = s_start + s_dur
    depth = _depths(s_lane, s_start, s_end)
    parent = _parents(s_lane, depth)
    has_parent = parent >= 0
    child = np.flatnonzero(has_parent)
    up = parent[child]
    inside = np.minimum(s_end[child], s_end[up]) - s_start[child]
    overlapping = int(np.count_nonzero(s_end[child] > s_end[up]))
    children_ns = np.rint(np.bincount(up, weights=np.maximum(inside, 0), minlength=n))
    self_ns = np.maximum(s_dur - children_ns.astype(np.int64), 0)
    final = np.lexsort((s_start, depth, s_lane))
    return Nesting(
        order=by_start[final],
        depth=depth[final],
        self_ns=self_ns[final],
        overlapping=overlapping,
    )
