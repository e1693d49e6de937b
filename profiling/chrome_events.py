"""Decode chunks of Chrome Trace Event Format JSON into column pieces, without per-event state.

msgspec decodes a chunk straight into small typed structs, keeping ``args`` as raw bytes;
we then pull each field out with C-level ``map`` calls and turn them into numpy arrays at
once. Nothing created here outlives the chunk except the arrays and the interned strings.
Events whose fields have the wrong type are decoded one by one and the bad ones skipped
(and counted), so one odd event does not cost the whole file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np

Id = int | str


class Event(msgspec.Struct):
    """The fields of a trace event that opscope reads; ``args`` stays undecoded."""

    ph: str = ""
    name: str = ""
    cat: str = ""
    ts: float = math.nan
    dur: float = math.nan
    pid: Id = 0
    tid: Id = 0
    id: Id | None = None
    s: str = ""  # scope of an instant: "g" (global), "p" (process) or "t" (thread)
    bp: str = ""  # binding point of a flow event: "e" = the enclosing slice
    args: msgspec.Raw = msgspec.Raw(b"")


_events = msgspec.json.Decoder(list[Event])
_one_event = msgspec.json.Decoder(Event)
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])

_PH = attrgetter("ph")
_NAME = attrgetter("name")
_CAT = attrgetter("cat")
_TS = attrgetter("ts")
_DUR = attrgetter("dur")
_PID = attrgetter("pid")
_TID = attrgetter("tid")
_ARGS = attrgetter("args")

# phase letter -> code in the ``phase`` column
PHASES = {
    **{"X": 1, "B": 2, "E": 3, "b": 4, "e": 5, "i": 6, "I": 6, "R": 6, "n": 6, "C": 7, "M": 8},
    **{"s": 9, "t": 10, "f": 11},
}
COMPLETE, BEGIN, END, ASYNC_BEGIN, ASYNC_END, INSTANT, COUNTER, METADATA = range(1, 9)
FLOW_START, FLOW_STEP, FLOW_END = range(9, 12)


class Interner(dict):
    """String (or key) -> dense id, assigning the next id on first sight."""

    def __missing__(self, key: Any) -> int:
        value = self[key] = len(self)
        return value

    def table(self) -> list:
        return list(self)


@dataclass
class RareEvent:
    """An event read field by field: metadata, counter, async and flow events are few."""

    row: int
    id: Id | None
    pid: Id
    tid: Id
    args: Any  # decoded for metadata and counter events, else None
    binding: str = ""  # a flow event's ``bp``


@dataclass
class EventColumns:
    """One chunk's events as columns (every event, whatever its phase)."""

    phase: np.ndarray  # int8, 0 = not understood
    ts: np.ndarray  # float64 microseconds, NaN when absent
    dur: np.ndarray  # float64 microseconds, NaN when absent
    lane_key: np.ndarray  # int64 id of (pid, tid)
    name: np.ndarray  # int32
    category: np.ndarray  # int32
    args_length: np.ndarray  # int64
    raw_args: list[msgspec.Raw]  # views into the chunk, in event order
    global_instants: np.ndarray  # rows of instants with global scope (no thread of their own)
    rare: list[RareEvent]  # metadata, counters, async and flow events


def decode_events(data: memoryview) -> tuple[list[Event], int]:
    """Typed decode of a JSON array of events; the slow path only for mistyped events."""
    try:
        return _events.decode(data), 0
    except msgspec.ValidationError:
        pass
    good: list[Event] = []
    skipped = 0
    for raw in _raw_list.decode(data):
        try:
            good.append(_one_event.decode(raw))
        except msgspec.DecodeError:
            skipped += 1
    return good, skipped


def to_columns(
    events: list[Event],
    names: Interner,
    categories: Interner,
    lane_keys: Interner,
    pid_prefix: str = "",
) -> EventColumns:
    """Columns of ``events``; the interners grow with the strings and lanes first seen.

    ``pid_prefix`` keeps processes of different files apart (TensorFlow hosts).
    """
    n = len(events)
    if pid_prefix:
        for event in events:
            event.pid = f"{pid_prefix}{event.pid}"
    phase_of = PHASES.get
    phase = np.fromiter(map(phase_of, map(_PH, events), [0] * n), np.int8, n)
    ts = np.fromiter(map(_TS, events), np.float64, n)
    dur = np.fromiter(map(_DUR, events), np.float64, n)
    lane_key = np.fromiter(
        map(lane_keys.__getitem__, zip(map(_PID, events), map(_TID, events), strict=True)),
        np.int64,
        n,
    )
    name = np.fromiter(map(names.__getitem__, map(_NAME, events)), np.int32, n)
    category = np.fromiter(map(categories.__getitem__, map(_CAT, events)), np.int32, n)
    raws = list(map(_ARGS, events))
    args_length = np.fromiter(map(len, raws), np.int64, n)
    instants = np.flatnonzero(phase == INSTANT)
    global_instants = instants[[events[i].s == "g" for i in instants.tolist()]]
    common = (phase == COMPLETE) | (phase == BEGIN) | (phase == END) | (phase == INSTANT)
    rare = [_rare(events[i], i, int(phase[i])) for i in np.flatnonzero(~common & (phase != 0))]
    return EventColumns(
        phase, ts, dur, lane_key, name, category, args_length, raws, global_instants, rare
    )


def _rare(event: Event, row: int, phase: int) -> RareEvent:
    decoded = None
    if phase in (METADATA, COUNTER):
        try:
            decoded = msgspec.json.decode(event.args) if len(event.args) else {}
        except (msgspec.DecodeError, UnicodeDecodeError):  # a damaged name or value
            decoded = None
    return RareEvent(row, event.id, event.pid, event.tid, decoded, event.bp)
