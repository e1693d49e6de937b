"""Columns of XSpace events as they are read, and the :class:`SliceSet` made of them at the end.

Each line's events are kept as one :class:`Piece` with times relative to the line's own
timestamp (nanoseconds since the epoch: too large to add picoseconds to in int64), so one
base for the whole import can be chosen once every line is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from opscope.profiling.slices import SliceSet

MAX_LINE_NS = 2**62 // 1000  # a line further than this from the first one is damaged


@dataclass
class Piece:
    """Events of one line (or made from them), times relative to the line's timestamp."""

    line_ns: int
    offset_ps: np.ndarray
    duration_ps: np.ndarray
    lane_key: int
    name: np.ndarray
    op: np.ndarray
    category: np.ndarray
    is_op: np.ndarray
    args_offset: np.ndarray
    args_length: np.ndarray


@dataclass
class Regions:
    """Offsets of a line's ``StartRegion`` / ``StopRegion`` events, in line order, gathered
    a window of events at a time."""

    starts: list[np.ndarray] = field(default_factory=list)
    stops: list[np.ndarray] = field(default_factory=list)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(start offset, duration) of each region: a ``StopRegion`` closes the
        ``StartRegion`` just before it; of several stops after one start, the last wins."""
        starts = np.sort(np.concatenate(self.starts or [np.zeros(0, np.int64)]), kind="stable")
        stops = np.concatenate(self.stops or [np.zeros(0, np.int64)])
        if starts.size == 0 or stops.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        k = np.searchsorted(starts, stops, "right") - 1
        ok = k >= 0
        unique = np.concatenate((k[ok][1:] != k[ok][:-1], [True]))
        begin, stop = starts[k[ok]][unique], stops[ok][unique]
        return begin, stop - begin


def slice_set(pieces: list[Piece], base_ns: int, instants: bool = False) -> SliceSet:
    """Concatenate pieces; times become microseconds since ``base_ns`` (exact to 1 ps).

    Each column of the pieces is dropped as soon as it is concatenated, so the import never
    holds two copies of every column at once; instants keep only time, lane and name (the
    other columns are one-byte zeros: a 1.5 M-event trace has 700 k instants).
    """
    pieces = [p for p in pieces if abs(p.line_ns - base_ns) <= MAX_LINE_NS]
    if not pieces:
        return SliceSet.empty()

    def take(column: str) -> np.ndarray:
        joined = np.concatenate([getattr(p, column) for p in pieces])
        for piece in pieces:
            setattr(piece, column, None)
        return joined

    sizes = [p.offset_ps.size for p in pieces]
    with np.errstate(over="ignore"):
        shift = np.repeat([(p.line_ns - base_ns) * 1000 for p in pieces], sizes)
        ts = (take("offset_ps") + shift) / 1e6
    del shift
    lane_key = np.repeat(np.asarray([p.lane_key for p in pieces], np.int32), sizes)
    name = take("name")
    if instants:
        unused = np.zeros(ts.size, np.uint8)
        return SliceSet(ts, unused, lane_key, name, unused, unused, unused, unused, unused)
    return SliceSet(
        ts=ts,
        dur=take("duration_ps") / 1e6,
        lane_key=lane_key,
        name=name,
        op=take("op"),
        category=take("category"),
        is_op=take("is_op"),
        args_offset=take("args_offset"),
        args_length=take("args_length"),
    )
