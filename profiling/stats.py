"""Per-operator statistics, the trace summary and the comparison of two runs.

All of it is ``np.bincount`` over the id columns of a :class:`Trace`, so a table of a
million slices takes milliseconds and the GUI can recompute it for every time-range
selection. Tables are columnar (:class:`OpStats`); ``rows()`` gives the dicts of the CLI's
JSON and ``to_csv()`` the same table as CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from opscope.errors import OpscopeError
from opscope.profiling.trace import Trace

GroupBy = Literal["op_type", "name"]
STATS_FIELDS = ["op", "count", "total_us", "self_us", "avg_us", "min_us", "max_us", "percent"]
COMPARE_FIELDS = [
    "op",
    "count_a",
    "count_b",
    "total_us_a",
    "total_us_b",
    "self_us_a",
    "self_us_b",
    "ratio",
]


def _us(ns: Any) -> float:
    return round(float(ns) / 1000.0, 3)


def _csv(fields: list[str], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class OpStats:
    """One row per op, most self time first (as ``percent``); times in nanoseconds.

    Self time, not total: with nesting, ``aten::conv2d`` "contains" the convolution that
    does the work, so sorting by total would put wrappers on top (TensorBoard's
    framework_op_stats sorts by self time too).
    """

    ops: list[str]
    count: np.ndarray
    total_ns: np.ndarray
    self_ns: np.ndarray
    min_ns: np.ndarray
    max_ns: np.ndarray
    by: str = "op_type"

    def __len__(self) -> int:
        return len(self.ops)

    @property
    def percent(self) -> np.ndarray:
        """Share of all self time: self times add up to the busy time, totals double count."""
        all_self = float(self.self_ns.sum())
        return self.self_ns * (100.0 / all_self) if all_self else np.zeros(len(self))

    def rows(self, top: int | None = None) -> list[dict[str, Any]]:
        percent = self.percent
        rows = []
        for i in range(len(self) if top is None else min(top, len(self))):
            count = int(self.count[i])
            rows.append(
                {
                    "op": self.ops[i],
                    "count": count,
                    "total_us": _us(self.total_ns[i]),
                    "self_us": _us(self.self_ns[i]),
                    "avg_us": _us(self.total_ns[i] / count) if count else 0.0,
                    "min_us": _us(self.min_ns[i]),
                    "max_us": _us(self.max_ns[i]),
                    "percent": round(float(percent[i]), 3),
                }
            )
        return rows

    def to_csv(self, top: int | None = None) -> str:
        return _csv(STATS_FIELDS, self.rows(top))


def slice_mask(
    trace: Trace,
    lanes: list[int] | None = None,
    categories: list[str] | None = None,
    window_ns: tuple[int, int] | None = None,
    operators_only: bool = False,
) -> np.ndarray:
    """Slices on the given lanes, of the given categories, starting inside the window."""
    mask = trace.is_op.copy() if operators_only else np.ones(trace.events, dtype=bool)
    if lanes is not None:
        mask &= np.isin(trace.lane, np.asarray(lanes, dtype=np.int32))
    if categories is not None:
        wanted = [i for i, c in enumerate(trace.categories) if c in set(categories)]
        mask &= np.isin(trace.category, np.asarray(wanted, dtype=np.int32))
    if window_ns is not None:
        begin, end = window_ns
        mask &= (trace.start_ns >= begin) & (trace.start_ns < end)
    return mask


def op_stats(
    trace: Trace,
    by: GroupBy = "op_type",
    lanes: list[int] | None = None,
    categories: list[str] | None = None,
    window_ns: tuple[int, int] | None = None,
    operators_only: bool = True,
) -> OpStats:
    """Count, total, self, min and max time per op type (or per full name).

    By default only operators count (``Trace.is_op``): a profiler's own span or a Python
    frame is no op, and its time would swamp the percentages. ``operators_only=False``
    takes every slice.
    """
    if by not in ("op_type", "name"):
        raise OpscopeError(f"cannot group by {by!r} (use op_type or name)")
    keys, table = (trace.op, trace.ops) if by == "op_type" else (trace.name, trace.names)
    mask = slice_mask(trace, lanes, categories, window_ns, operators_only)
    key = keys[mask]
    dur = trace.dur_ns[mask]
    n = len(table)
    count = np.bincount(key, minlength=n)
    total = np.bincount(key, weights=dur, minlength=n)
    self_ = np.bincount(key, weights=trace.self_ns[mask], minlength=n)
    min_ = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    max_ = np.zeros(n, dtype=np.int64)
    np.minimum.at(min_, key, dur)
    np.maximum.at(max_, key, dur)
    present = np.flatnonzero(count)
    order = present[np.lexsort((present, -total[present], -self_[present]))]
    return OpStats(
        ops=[table[i] for i in order.tolist()],
        count=count[order],
        total_ns=np.rint(total[order]).astype(np.int64),
        self_ns=np.rint(self_[order]).astype(np.int64),
        min_ns=min_[order],
        max_ns=max_[order],
        by=by,
    )


def trace_summary(trace: Trace) -> dict[str, Any]:
    """The node-count summary of a trace: events, ops, and events per category and lane."""
    per_category = np.bincount(trace.category, minlength=len(trace.categories))
    per_lane = np.bincount(trace.lane, minlength=len(trace.lanes))
    return {
        "format": trace.format,
        "events": trace.events,
        "operators": int(np.count_nonzero(trace.is_op)),
        "distinct_ops": int(np.unique(trace.op[trace.is_op]).size),
        "flows": int(trace.flow_src.size),
        "lanes": len(trace.lanes),
        "span_us": _us(trace.span_ns),
        "instants": int(trace.instant_ts_ns.size),
        "counters": len(trace.counters),
        "truncated": trace.truncated,
        "warnings": list(trace.warnings),
        "events_per_category": {
            trace.categories[i]: int(c) for i, c in enumerate(per_category.tolist()) if c
        },
        "events_per_lane": {
            trace.lanes[i].label: int(c) for i, c in enumerate(per_lane.tolist()) if c
        },
    }


@dataclass
class Comparison:
    """Per-op deltas between run A and run B (B / A ratios of total time)."""

    rows: list[dict[str, Any]]
    totals: dict[str, Any]

    def to_csv(self) -> str:
        return _csv(COMPARE_FIELDS, self.rows)


def compare(a: OpStats, b: OpStats) -> Comparison:
    """Join two tables on op; ``ratio`` = total B / total A (None where A has none)."""
    index_a = {op: i for i, op in enumerate(a.ops)}
    index_b = {op: i for i, op in enumerate(b.ops)}
    ops = list(a.ops) + [op for op in b.ops if op not in index_a]
    rows = []
    for op in ops:
        i, j = index_a.get(op), index_b.get(op)
        total_a = int(a.total_ns[i]) if i is not None else 0
        total_b = int(b.total_ns[j]) if j is not None else 0
        rows.append(
            {
                "op": op,
                "count_a": int(a.count[i]) if i is not None else 0,
                "count_b": int(b.count[j]) if j is not None else 0,
                "total_us_a": _us(total_a),
                "total_us_b": _us(total_b),
                "self_us_a": _us(a.self_ns[i]) if i is not None else 0.0,
                "self_us_b": _us(b.self_ns[j]) if j is not None else 0.0,
                "ratio": round(total_b / total_a, 4) if total_a else None,
            }
        )
    rows.sort(key=lambda r: -max(r["total_us_a"], r["total_us_b"]))
    sum_a, sum_b = int(a.self_ns.sum()), int(b.self_ns.sum())
    totals = {
        "count_a": int(a.count.sum()),
        "count_b": int(b.count.sum()),
        "self_us_a": _us(sum_a),
        "self_us_b": _us(sum_b),
        "ratio": round(sum_b / sum_a, 4) if sum_a else None,
    }
    return Comparison(rows, totals)
