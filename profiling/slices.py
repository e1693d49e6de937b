"""From raw slice columns (microsecond floats, lane keys) to the final, sorted :class:`Trace`.

Every importer ends here, so the rules live in one place: bad timestamps and negative
durations are dropped and counted, microseconds become integer nanoseconds without losing
precision on epoch-based clocks (we subtract a whole-microsecond base before scaling),
lanes are numbered in display order (only lanes that hold slices or instants), nesting and
self time are computed once, flow arrows are bound to slices, and the string tables are
cut down to the strings the kept events use (metadata event names are not slice names).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from opscope.profiling.args_store import ArgsStore
from opscope.profiling.dialects import SELF_TIME_AMONG_OPERATORS
from opscope.profiling.flows import FlowEvents, enclosing_slices
from opscope.profiling.lanes import LaneTable
from opscope.profiling.nesting import nest, overlap_warning
from opscope.profiling.trace import CounterSeries, Trace

_VALID_US = 9e15  # |ts| beyond this is garbage: its nanoseconds would overflow int64


@dataclass
class SliceSet:
    """Slice columns before nesting; ``ts``/``dur`` in (float) microseconds."""

    ts: np.ndarray
    dur: np.ndarray
    lane_key: np.ndarray
    name: np.ndarray
    op: np.ndarray
    category: np.ndarray
    is_op: np.ndarray
    args_offset: np.ndarray
    args_length: np.ndarray

    @classmethod
    def empty(cls) -> SliceSet:
        dtypes = {"ts": np.float64, "dur": np.float64, "is_op": bool}
        return cls(*(np.zeros(0, dtypes.get(f.name, np.int64)) for f in fields(cls)))

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
            is_op=pieces.get("is_op", bool),
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


def _valid_slices(slices: SliceSet, warnings: list[str]) -> SliceSet:
    good = np.isfinite(slices.ts) & np.isfinite(slices.dur) & (np.abs(slices.ts) < _VALID_US)
    negative = good & (slices.dur < 0)
    bad = int(np.count_nonzero(~good))
    if bad:
        warnings.append(f"skipped {bad} slices without a valid timestamp or duration")
    if negative.any():
        warnings.append(f"skipped {int(negative.sum())} slices with a negative duration")
    return slices if not bad and not negative.any() else slices.select(good & ~negative)


def _number_lanes(
    used: np.ndarray, lane_keys: list[tuple], lane_table: LaneTable
) -> tuple[np.ndarray, list]:
    """Lane id (display position) of every lane key in ``used``; -1 for the others."""
    used_keys = [lane_keys[k] for k in used.tolist()]
    display = lane_table.order(used_keys)
    lane_id = np.full(len(lane_keys), -1, dtype=np.int32)
    lane_id[used[display]] = np.arange(len(display), dtype=np.int32)
    lanes = []
    for position, i in enumerate(display):
        lane = lane_table.describe(used_keys[i])
        lane.sort_index = position
        lanes.append(lane)
    return lane_id, lanes


def _counters(counters_us: list[tuple], base_us: int) -> list[CounterSeries]:
    counters = []
    for name, process, ts, values in counters_us:
        keep = np.isfinite(ts) & (np.abs(ts) < _VALID_US)
        by_time = np.argsort(ts[keep], kind="stable")
        counters.append(
            CounterSeries(name, process, to_ns(ts[keep][by_time], base_us), values[keep][by_time])
        )
    return counters


def _bind_flows(trace: Trace, flows: FlowEvents, lane_id: np.ndarray, base_us: int) -> int:
    """Fill the trace's flow table; return the number of arrows with an unbound end."""
    source, target = flows.arrows()
    if source.size == 0:
        return 0
    ts = to_ns(np.asarray(flows.ts, np.float64), base_us)
    lane = lane_id[np.asarray(flows.lane_key, np.int64)]
    ends = np.concatenate((source, target))
    slice_of = enclosing_slices(
        trace.start_ns, trace.start_ns + trace.dur_ns, trace.row_bounds(), lane[ends], ts[ends]
    )
    src, dst = slice_of[: source.size], slice_of[source.size :]
    bound = (src >= 0) & (dst >= 0)
    trace.flow_src, trace.flow_dst = src[bound], dst[bound]
    trace.flow_category = np.asarray(flows.category, np.int32)[source[bound]]
    return int(source.size - np.count_nonzero(bound))


def _compact(table: list[str], *ids: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    """Keep the strings some id refers to, renumbered in their original order."""
    used = np.zeros(len(table), bool)
    for column in ids:
        used[column] = True
    new_id = (np.cumsum(used) - 1).astype(np.int32)
    kept = [text for text, keep in zip(table, used.tolist(), strict=True) if keep]
    return kept, [new_id[column] for column in ids]


def _compact_strings(trace: Trace) -> None:
    trace.names, (trace.name, trace.instant_name) = _compact(
        trace.names, trace.name, trace.instant_name
    )
    trace.ops, (trace.op,) = _compact(trace.ops, trace.op)
    trace.categories, (trace.category, trace.flow_category) = _compact(
        trace.categories, trace.category, trace.flow_category
    )


def _args_source(args: ArgsStore) -> dict[str, Any]:
    if args.source is None:
        return {}
    stat = os.stat(args.source)
    return {"args_file": str(args.source), "args_file_stamp": (stat.st_size, stat.st_mtime_ns)}


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
    args: ArgsStore,
    flows: FlowEvents,
    counters_us: list[tuple[str, str, np.ndarray, np.ndarray]],
    warnings: list[str],
    truncated: bool,
    metadata: dict[str, Any],
) -> Trace:
    """Validate, convert and nest the slices; number the lanes; build the :class:`Trace`."""
    slices = _valid_slices(slices, warnings)
    instants = instants.select(np.isfinite(instants.ts) & (np.abs(instants.ts) < _VALID_US))
    all_ts = np.concatenate((slices.ts, instants.ts, *(c[2] for c in counters_us)))
    all_ts = all_ts[np.isfinite(all_ts) & (np.abs(all_ts) < _VALID_US)]
    base_us = int(np.floor(all_ts.min())) if all_ts.size else 0
    del all_ts
    used = np.unique(np.concatenate((np.unique(slices.lane_key), instants.lane_key)))
    lane_id, lanes = _number_lanes(used, lane_keys, lane_table)
    start_ns = to_ns(slices.ts, base_us)
    dur_ns = np.rint(slices.dur * 1000.0).astype(np.int64)
    lane = lane_id[slices.lane_key]
    among = slices.is_op if format in SELF_TIME_AMONG_OPERATORS else None
    nesting = nest(lane, start_ns, dur_ns, among)
    if nesting.overlapping.size:
        crossing = nesting.overlapping
        labels = np.where(
            slices.is_op[crossing], slices.op[crossing] + len(names), slices.name[crossing]
        )
        labels_table = names + ops
        warnings.append(overlap_warning([labels_table[i] for i in labels.tolist()]))
    order = nesting.order
    instant_order = np.lexsort((instants.ts, lane_id[instants.lane_key]))
    trace = Trace(
        format=format,
        start_ns=start_ns.take(order),
        dur_ns=dur_ns.take(order),
        self_ns=nesting.self_ns,
        lane=lane.take(order),
        depth=nesting.depth,
        name=slices.name.take(order).astype(np.int32, copy=False),
        op=slices.op.take(order).astype(np.int32, copy=False),
        category=slices.category.take(order).astype(np.int32, copy=False),
        is_op=slices.is_op.take(order),
        args_offset=slices.args_offset.take(order),
        args_length=slices.args_length.take(order).astype(np.int32),
        args_blob=args.blob,
        names=names,
        ops=ops,
        categories=categories,
        lanes=lanes,
        counters=_counters(counters_us, base_us),
        instant_ts_ns=to_ns(instants.ts, base_us)[instant_order],
        instant_lane=lane_id[instants.lane_key][instant_order],
        instant_name=instants.name[instant_order].astype(np.int32),
        warnings=warnings,
        truncated=truncated,
        metadata=metadata,
        **_args_source(args),
    )
    unbound = _bind_flows(trace, flows, lane_id, base_us)
    if unbound:
        warnings.append(f"skipped {unbound} flow arrows whose ends are not on a slice")
    _compact_strings(trace)
    return trace
