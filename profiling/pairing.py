"""Match begin/end events (``B``/``E`` per lane, ``b``/``e`` per async id) into slices.

Within one group (a lane, or an async id) begins and ends nest like brackets. The level
before a begin equals the level after its matching end, so sorting by (group, level, order
in the file) puts every begin directly before its end: pairing becomes one vectorized
comparison instead of a stack walked per event. Ends without a begin (and begins never
ended, as when a trace stops mid-call) are left unmatched and counted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from opscope.profiling.slices import SliceSet


def pair_begin_end(pieces: Any, group_key: str) -> tuple[SliceSet, int]:
    """Slices made of matched begin/end events, and the number of events left unmatched."""
    begin = pieces.get("begin", bool)
    n = begin.size
    if n == 0:
        return SliceSet.empty(), 0
    group = pieces.get(group_key, np.int64)
    row = pieces.get("row", np.int64)
    ts = pieces.get("ts", np.float64)
    by_row = np.lexsort((row, group))
    g = group[by_row]
    b = begin[by_row]
    step = np.where(b, 1, -1)
    running = np.cumsum(step)
    group_start = np.concatenate(([True], g[1:] != g[:-1]))
    start_index = np.maximum.accumulate(np.where(group_start, np.arange(n), 0))
    after = running - (running - step)[start_index]
    level = np.where(b, after - 1, after)
    perm = np.lexsort((np.arange(n), level, g))
    pg, plevel, pb = g[perm], level[perm], b[perm]
    is_pair = pb[:-1] & ~pb[1:] & (pg[:-1] == pg[1:]) & (plevel[:-1] == plevel[1:])
    first = by_row[perm[:-1][is_pair]]
    second = by_row[perm[1:][is_pair]]
    dur = ts[second] - ts[first]
    pairs = SliceSet(
        ts=ts[first],
        dur=dur,
        lane_key=pieces.get("lane_key", np.int64)[first],
        name=pieces.get("name", np.int32)[first],
        op=pieces.get("op", np.int32)[first],
        category=pieces.get("category", np.int32)[first],
        is_op=pieces.get("is_op", bool)[first],
        args_offset=pieces.get("args_offset", np.int64)[first],
        args_length=pieces.get("args_length", np.int64)[first],
    )
    return pairs, n - 2 * int(first.size)
