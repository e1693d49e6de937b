"""Nesting depth and self time of slices, computed with numpy over whole columns.

Profilers write slices of one thread as a properly nested family (a call stack over time).
Walking a stack per event in Python would cost about a microsecond each, so instead:

* depth of a slice = slices of its lane that started before it (in (start, -duration)
  order) minus those of them that had already ended by its start;
* its parent = the last slice one level up on the same lane that precedes it in that order;
* self time = duration minus the parts of direct children that lie inside the parent;
  where the dialect defines an operator's self time over operators only (TensorFlow, see
  :mod:`dialects`), operators are nested among themselves for their self time, so the
  non-op slices inside an operator (``ParallelFor``, ...) are its own work.

Slices that overlap without nesting (TensorFlow's ``ExecutorState::Process`` slices on one
thread: each next one starts just before the last one ends) are reported by name so the
importer can say which, and laid out apart (:func:`_layout`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Nesting:
    order: np.ndarray  # int64 permutation: slices sorted by (lane, depth, start)
    depth: np.ndarray  # int16, in the sorted order
    self_ns: np.ndarray  # int64, in the sorted order
    overlapping: np.ndarray  # int64 input indices of slices that cross their parent's end


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
    """Depth of each slice, given columns already sorted by (lane, start, -duration).

    Slices of earlier lanes count both as started and as ended before mine, so my position
    minus the slices ended by my start is the count of my lane's slices still open.
    """
    n = lane.size
    lane_change = np.flatnonzero(np.diff(lane)) + 1
    lane_begin = np.concatenate(([0], lane_change))
    lane_end = np.concatenate((lane_change, [n]))
    depth = np.arange(n, dtype=np.int64)
    depth -= _ended_by(lane, start, end, lane_begin, lane_end)
    zero = end == start
    if zero.any():
        depth += _later_zero_length(lane, start, zero)
    return np.clip(depth, 0, np.iinfo(np.int16).max).astype(np.int16)


def _later_zero_length(lane: np.ndarray, start: np.ndarray, zero: np.ndarray) -> np.ndarray:
    """Zero-length slices that start exactly where I start and come after me in the order
    have "ended" by my start but did not start before me (nor did I, if I am one of them)."""
    n = lane.size
    same_start_group = np.concatenate(([True], (np.diff(start) != 0) | (np.diff(lane) != 0)))
    group_id = np.cumsum(same_start_group) - 1
    zeros_in_group = np.bincount(group_id, weights=zero).astype(np.int64)
    zeros_after = np.cumsum(zero[::-1])[::-1]  # zero slices at or after each position, total
    group_last = np.concatenate((np.flatnonzero(same_start_group)[1:] - 1, [n - 1]))
    zeros_after_in_group = (
        zeros_after - np.concatenate((zeros_after[1:], [0]))[group_last][group_id]
    )
    return np.where(zero, zeros_after_in_group, zeros_in_group[group_id])


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


def _nest_by_start(lane: np.ndarray, start: np.ndarray, dur: np.ndarray):
    """(order by start, depth, self time, crossers), the last three in that order."""
    by_start = np.lexsort((-dur, start, lane))
    s_lane, s_start, s_dur = lane[by_start], start[by_start], dur[by_start]
    s_end = s_start + s_dur
    depth = _depths(s_lane, s_start, s_end)
    parent = _parents(s_lane, depth)
    child = np.flatnonzero(parent >= 0)
    up = parent[child]
    inside = np.minimum(s_end[child], s_end[up]) - s_start[child]
    crossing = child[s_end[child] > s_end[up]]
    children_ns = np.rint(np.bincount(up, weights=np.maximum(inside, 0), minlength=lane.size))
    self_ns = np.maximum(s_dur - children_ns.astype(np.int64), 0)
    return by_start, depth, self_ns, crossing


def _prefix_max_end(lane: np.ndarray, end: np.ndarray) -> np.ndarray | None:
    """Latest end among the slices before each one on its lane (columns in (lane, start)
    order), before every time for the first slice of a lane; None where the one-pass key
    (lane * span + end) would overflow int64."""
    t0 = int(end.min())
    span = int(end.max()) - t0 + 2
    if (int(lane.max()) + 1) * span >= 2**62:
        return None
    key = lane.astype(np.int64) * span + (end - t0 + 1)
    running = np.maximum.accumulate(key)
    before = np.concatenate(([0], running[:-1]))
    first = np.concatenate(([True], lane[1:] != lane[:-1]))
    return np.where(first, t0 - 1, before - lane.astype(np.int64) * span + t0 - 1)


def _layout(lane: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Depths where overlapping neighbours get rows of their own (columns by (lane, start)).

    A top-level slice is one no earlier slice of its lane contains. A run of top-level slices
    each starting inside the last (a chain) alternates between rows 0 and 1; what a
    top-level slice contains is laid out below it the same way, as a lane of its own. For
    properly nested slices this is the depth that counting open slices gives; counting
    open slices instead puts a chain, and its children, on shared rows.
    """
    earlier_end = _prefix_max_end(lane, end)
    if earlier_end is None:
        return _depths(lane, start, end).astype(np.int64)
    top = earlier_end < end
    chained = top & (start < earlier_end)
    del earlier_end
    position = np.arange(lane.size)
    head = np.maximum.accumulate(np.where(top & ~chained, position, 0))  # each run's start
    del chained
    top_rank = np.cumsum(top)
    parity = (top_rank - top_rank[head]) % 2
    del head, top_rank
    owner = np.maximum.accumulate(np.where(top, position, 0))  # the last top-level slice
    del position
    depth = parity[owner]
    del parity
    members = np.flatnonzero(~top)
    del top
    if members.size:
        groups = owner[members]
        del owner  # the recursion below holds only what it needs, level after level
        depth[members] += 1 + _layout(groups, start[members], end[members])
    return depth


def nest(
    lane: np.ndarray, start: np.ndarray, dur: np.ndarray, operators: np.ndarray | None = None
) -> Nesting:
    """Depth, self time and the (lane, depth, start) order for slices given in any order.

    ``operators``: where given, the self time of those slices counts only the operators
    nested in them (the rule of dialects whose profiler defines it so).
    """
    n = lane.size
    if n == 0:
        empty = np.zeros(0, np.int64)
        return Nesting(empty, np.zeros(0, np.int16), empty, empty)
    by_start, depth, self_sorted, crossing = _nest_by_start(lane, start, dur)
    s_lane, s_start = lane[by_start], start[by_start]
    if crossing.size:
        chained = np.isin(s_lane, np.unique(s_lane[crossing]))
        depth[chained] = np.clip(
            _layout(s_lane[chained], s_start[chained], s_start[chained] + dur[by_start][chained]),
            0,
            np.iinfo(np.int16).max,
        )
    self_ns = np.empty(n, np.int64)
    self_ns[by_start] = self_sorted
    if operators is not None and operators.any():
        ops = np.flatnonzero(operators)
        op_order, _, op_self, _ = _nest_by_start(lane[ops], start[ops], dur[ops])
        self_ns[ops[op_order]] = op_self
    final = np.lexsort((s_start, depth, s_lane))
    order = by_start[final]
    return Nesting(
        order=order,
        depth=depth[final],
        self_ns=self_ns[order],
        overlapping=by_start[crossing],
    )


def overlap_warning(names: list[str]) -> str:
    """The import warning for slices that cross their parent's end, naming the commonest
    (``names``: each crossing slice's name, or its op type for an operator)."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    top = sorted(counts.items(), key=lambda item: -item[1])
    named = ", ".join(f"{count} {name}" for name, count in top[:3])
    more = f" and {len(names) - sum(c for _, c in top[:3])} others" if len(top) > 3 else ""
    return (
        f"{len(names)} slices overlap the end of their enclosing slice ({named}{more}): "
        "self time counts only the overlap; they are drawn on separate rows"
    )
