"""The columnar ``Trace``: every profiler format is read into this one model.

A trace is a table of slices held in numpy arrays, sorted by (lane, depth, start), so the
timeline finds what is visible with ``np.searchsorted`` and statistics are ``np.bincount``
over ids. Strings live once in small tables (names, op types, categories) and the columns
hold int32 ids into them. Each slice's ``args`` stay as the raw JSON bytes of the source and
are decoded only for the one slice a person asks about (:meth:`Trace.args_of`): for an
uncompressed file they stay *in the file* (``args_offset < 0``: byte ``~args_offset`` of
``args_file``), otherwise in ``args_blob`` (``args_offset >= 0``); see :mod:`args_store`.
A saved trace therefore names its source file with the size and mtime it had; if the file
has changed since, ``args_of`` says so instead of decoding the wrong bytes.

``is_op`` marks the slices that are operators (:mod:`dialects`); the per-op table counts
those, the timeline shows every slice. ``flow_src``/``flow_dst`` are arrows between slices.
"""

from __future__ import annotations

import json
import os
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
    "is_op": np.bool_,
    "args_offset": np.int64,
    "args_length": np.int32,
}
FLOW_COLUMNS = {"flow_src": np.int64, "flow_dst": np.int64, "flow_category": np.int32}


def _empty(dtype: type) -> np.ndarray:
    return np.zeros(0, dtype)


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
    is_op: np.ndarray
    args_offset: np.ndarray
    args_length: np.ndarray
    args_blob: bytes | bytearray | np.ndarray  # uint8 array once loaded from an .npz
    names: list[str]
    ops: list[str]
    categories: list[str]
    lanes: list[Lane]
    counters: list[CounterSeries] = field(default_factory=list)
    instant_ts_ns: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    instant_lane: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    instant_name: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    flow_src: np.ndarray = field(default_factory=lambda: _empty(np.int64))  # slice index
    flow_dst: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    flow_category: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    args_file: str = ""  # the source whose bytes ``args_offset < 0`` point into
    args_file_stamp: tuple[int, int] = (0, 0)  # its (size, mtime_ns) at import
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
        """Decode the ``args`` of one slice (from the blob, or read from the source file)."""
        offset, length = int(self.args_offset[index]), int(self.args_length[index])
        if length <= 0:
            return {}
        if offset >= 0:
            raw = bytes(self.args_blob[offset : offset + length])
        else:
            raw = self._read_source(~offset, length)
            if raw is None:
                return {"(args unavailable)": f"{self.args_file} changed since it was read"}
        try:
            value = json.loads(raw)
        except ValueError:
            return {"(args unavailable)": "not valid JSON"}
        return value if isinstance(value, dict) else {"args": value}

    def _read_source(self, offset: int, length: int) -> bytes | None:
        try:
            stat = os.stat(self.args_file)
            if (stat.st_size, stat.st_mtime_ns) != tuple(self.args_file_stamp):
                return None
            with open(self.args_file, "rb") as f:
                f.seek(offset)
                return f.read(length)
        except OSError:
            return None


def save_trace(trace: Trace, path: str | Path) -> None:
    """Write ``trace`` as one uncompressed ``.npz`` (atomically)."""
    arrays = {name: getattr(trace, name) for name in (*SLICE_COLUMNS, *FLOW_COLUMNS)}
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
        "args_file": trace.args_file,
        "args_file_stamp": list(trace.args_file_stamp),
    }
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with atomic_path(path) as temp, temp.open("wb") as f:
        np.savez(f, **arrays)


def load_trace(path: str | Path) -> Trace:
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(data["header"].tobytes())
        columns = {
            name: data[name].astype(dtype, copy=False)
            for name, dtype in (SLICE_COLUMNS | FLOW_COLUMNS).items()
        }
        counters = [
            CounterSeries(
                c["name"], c["process"], data[f"counter{i}_ts_ns"], data[f"counter{i}_values"]
            )
            for i, c in enumerate(header["counters"])
        ]
        return Trace(
            format=header["format"],
            args_blob=data["args_blob"],
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
            args_file=header["args_file"],
            args_file_stamp=tuple(header["args_file_stamp"]),
            **columns,
        )
