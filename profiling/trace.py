"""The columnar ``Trace``: every profiler format is read into this one model.

A trace is a table of slices held in numpy arrays, sorted by (lane, depth, start), so the
timeline finds what is visible with ``np.searchsorted`` and statistics are ``np.bincount``
over ids. Strings live once in small tables (names, op types, categories) and the columns
hold int32 ids into them. Each slice's ``args`` stay as the raw JSON bytes of the source
(``args_blob[args_offset[i]:args_offset[i] + args_length[i]]``) and are decoded only for the
one slice a person asks about.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from opscope.atomic import atomic_path

SLICE_COLUMNS = {
    "start_ns": np.int64,
    "dur_ns": np.int64,
    "self_ns": np.int64,
    "lane": np.int32,
    "depth": np.int16,
    "name": np.int32,
    "op": np.int32,
    "category": np.int32,
    "args_offset": np.int64,
    "args_length": np.int32,
}


@dataclass
class Lane:
    """One timeline track: a thread of a process, or a device stream."""

    process: str
    thread: str
    label: str
    pid: str  # kept as text: MXNet's 64-bit pid/tid hashes must stay distinct
    tid: str
    sort_index: int = 0


@dataclass
class CounterSeries:
    name: str
    process: str
    ts_ns: np.ndarray  # int64, sorted
    values: np.ndarray  # float64


@dataclass
class Trace:
    format: str
    start_ns: np.ndarray
    dur_ns: np.ndarray
    self_ns: np.ndarray
    lane: np.ndarray
    depth: np.ndarray
    name: np.ndarray
    op: np.ndarray
    category: np.ndarray
    args_offset: np.ndarray
    args_length: np.ndarray
    args_blob: bytes
    names: list[str]
    ops: list[str]
    categories: list[str]
    lanes: list[Lane]
    counters: list[CounterSeries] = field(default_factory=list)
    instant_ts_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    instant_lane: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    instant_name: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return int(self.start_ns.size)

    @property
    def span_ns(self) -> int:
        if self.events == 0:
            return 0
        return int((self.start_ns + self.dur_ns).max() - self.start_ns.min())

    @property
    def t0_ns(self) -> int:
        return int(self.start_ns.min()) if self.events else 0

    def row_bounds(self) -> dict[tuple[int, int], tuple[int, int]]:
        """(lane, depth) -> [begin, end) index range of that row's slices, sorted by start."""
        if self.events == 0:
            return {}
        key = self.lane.astype(np.int64) << 16 | self.depth.astype(np.int64)
        change = np.flatnonzero(np.diff(key)) + 1
        begins = np.concatenate(([0], change))
        ends = np.concatenate((change, [self.events]))
        return {
            (int(self.lane[b]), int(self.depth[b])): (int(b), int(e))
            for b, e in zip(begins, ends, strict=True)
        }

    def args_of(self, index: int) -> dict[str, Any]:
        """Decode the ``args`` of one slice."""
        offset, length = int(self.args_offset[index]), int(self.args_length[index])
        if length <= 0:
            return {}
        value = json.loads(self.args_blob[offset : offset + length])
        return value if isinstance(value, dict) else {"args": value}


def save_trace(trace: Trace, path: str | Path) -> None:
    """Write ``trace`` as one uncompressed ``.npz`` (atomically)."""
    arrays = {name: getattr(trace, name) for name in SLICE_COLUMNS}
    arrays["args_blob"] = np.frombuffer(trace.args_blob, dtype=np.uint8)
    arrays["instant_ts_ns"] = trace.instant_ts_ns
    arrays["instant_lane"] = trace.instant_lane
    arrays["instant_name"] = trace.instant_name
    for i, series in enumerate(trace.counters):
        arrays[f"counter{i}_ts_ns"] = series.ts_ns
        arrays[f"counter{i}_values"] = series.values
    header = {
        "format": trace.format,
        "names": trace.names,
        "ops": trace.ops,
        "categories": trace.categories,
        "lanes": [vars(lane) for lane in trace.lanes],
        "counters": [{"name": s.name, "process": s.process} for s in trace.counters],
        "warnings": trace.warnings,
        "truncated": trace.truncated,
        "metadata": trace.metadata,
    }
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with atomic_path(path) as temp, temp.open("wb") as f:
        np.savez(f, **arrays)


def load_trace(path: str | Path) -> Trace:
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(data["header"].tobytes())
        columns = {
            name: data[name].astype(dtype, copy=False) for name, dtype in SLICE_COLUMNS.items()
        }
        counters = [
            CounterSeries(
                c["name"], c["process"], data[f"counter{i}_ts_ns"], data[f"counter{i}_values"]
            )
            for i, c in enumerate(header["counters"])
        ]
        return Trace(
            format=header["format"],
            args_blob=data["args_blob"].tobytes(),
            names=header["names"],
            ops=header["ops"],
            categories=header["categories"],
            lanes=[Lane(**lane) for lane in header["lanes"]],
            counters=counters,
            instant_ts_ns=data["instant_ts_ns"],
            instant_lane=data["instant_lane"],
            instant_name=data["instant_name"],
            warnings=header["warnings"],
            truncated=header["truncated"],
            metadata=header["metadata"],
            **columns,
        )
