"""From raw slice columns (microsecond floats, lane keys) to the final, sorted :class:`Trace`.

Every importer ends here, so the rules live in one place: bad timestamps and negative
durations are dropped and counted, microseconds become integer nanoseconds without losing
precision on epoch-based clocks (we subtract a whole-microsecond base before scaling),
lanes are numbered in display order, and nesting and self time are computed once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from opscope.profiling.lanes import LaneTable
from opscope.profiling.nesting import nest
from opscope.profiling.trace import CounterSeries, Trace


@dataclass
class SliceSet:
    """Slice columns before nesting; ``ts``/``dur`` in (float) microseconds."""

    ts: np.ndarray
    dur: np.ndarray
    lane_key: np.ndarray
    name: np.ndarray
    op: np.ndarray
    category: np.ndarray
    args_offset: np.ndarray
    args_length: np.ndarray

    @classmethod
    def empty(cls) -> SliceSet:
        return cls(
            *(np.zeros(0, np.float64 if f.name in ("ts", "dur") else np.int64) for f in fields(cls))
        )

    @classmethod
    def from_pieces(cls, pieces: Any, with_duration: bool) -> SliceSet:
        ts = pieces.get("ts", np.float64)
        dur = pieces.get("dur", np.float64) if with_duration else np.zeros(ts.size)
        return cls(
            ts=ts,
            dur=dur,
            lane_key=pieces.get("lane_key", np.int64),
            name=pieces.get("name", np.int32),
            op=pieces.get("op", np.int32),
            category=pieces.get("category", np.int32),
            args_offset=pieces.get("args_offset", np.int64),
            args_length=pieces.get("args_length", np.int64),
        )

    def extend(self, other: SliceSet) -> None:
        for f in fields(self):
            setattr(self, f.name, np.concatenate((getattr(self, f.name), getattr(other, f.name))))

    def select(self, mask: np.ndarray) -> SliceSet:
        return SliceSet(*(getattr(self, f.name)[mask] for f in fields(self)))


def to_ns(us: np.ndarray, base_us: int) -> np.ndarray:
    """Microseconds (float) to integer nanoseconds, exact to the float's precision."""
    return np.rint((us - base_us) * 1000.0).astype(np.int64) + base_us * 1000


def assemble_trace(
    *,
    format: str,
    slices: SliceSet,
    instants: SliceSet,
    names: list[str],
    ops: list[str],
    categories: list[str],
    lane_keys: list[tuple],
    lane_table: LaneTable,
    args_blob: bytes,
    counters_us: list[tuple[str, str, np.ndarray, np.ndarray]],
    warnings: list[str],
    truncated: bool,
    metadata: dict[str, Any],
) -> Trace:
    """Validate, convert and nest the slices; number the lanes; build the :class:`Trace`."""
    good = np.isfinite(slices.ts) & np.isfinite(slices.dur) & (np.abs(slices.ts) < 9e15)
    negative = good & (slices.dur < 0)
    bad = int(np.count_nonzero(~good))
    if bad:
        warnings.append(f"skipped {bad} slices without a valid timestamp or duration")
    if negative.any():
        warnings.append(f"skipped {int(negative.sum())} slices with a negative duration")
    slices = slices.select(good & ~negative)
    instants = instants.select(np.isfinite(instants.ts) & (np.abs(instants.ts) < 9e15))
    all_ts = np.concatenate((slices.ts, instants.ts, *(c[2] for c in counters_us)))
    all_ts = all_ts[np.isfinite(all_ts) & (np.abs(all_ts) < 9e15)]
    base_us = int(np.floor(all_ts.min())) if all_ts.size else 0
    start_ns = to_ns(slices.ts, base_us)
    dur_ns = np.rint(slices.dur * 1000.0).astype(np.int64)

    used = np.unique(np.concatenate((slices.lane_key, instants.lane_key)))
    used_keys = [lane_keys[k] for k in used.tolist()]
    display = lane_table.order(used_keys)
    lane_id = np.full(len(lane_keys), -1, dtype=np.int32)
    lane_id[used[display]] = np.arange(len(display), dtype=np.int32)
    lanes = []
    for position, i in enumerate(display):
        lane = lane_table.describe(used_keys[i])
        lane.sort_index = position
        lanes.append(lane)

    counters = []
    for name, process, ts, values in counters_us:
        keep = np.isfinite(ts) & (np.abs(ts) < 9e15)
        by_time = np.argsort(ts[keep], kind="stable")
        counters.append(
            CounterSeries(name, process, to_ns(ts[keep][by_time], base_us), values[keep][by_time])
        )

    lane = lane_id[slices.lane_key]
    nesting = nest(lane, start_ns, dur_ns)
    if nesting.overlapping:
        warnings.append(
            f"{nesting.overlapping} slices overlap the end of their enclosing slice "
            "(self time counts only the overlap)"
        )
    order = nesting.order
    instant_order = np.lexsort((instants.ts, lane_id[instants.lane_key]))
    return Trace(
        format=format,
        start_ns=start_ns[order],
        dur_ns=dur_ns[order],
        self_ns=nesting.self_ns,
        lane=lane[order],
        depth=nesting.depth,
        name=slices.name[order].astype(np.int32),
        op=slices.op[order].astype(np.int32),
        category=slices.category[order].astype(np.int32),
        args_offset=slices.args_offset[order].astype(np.int64),
        args_length=slices.args_length[order].astype(np.int32),
        args_blob=args_blob,
        names=names,
        ops=ops,
        categories=categories,
        lanes=lanes,
        counters=counters,
        instant_ts_ns=to_ns(instants.ts, base_us)[instant_order],
        instant_lane=lane_id[instants.lane_key][instant_order],
        instant_name=instants.name[instant_order].astype(np.int32),
        warnings=warnings,
        truncated=truncated,
        metadata=metadata,
    )
