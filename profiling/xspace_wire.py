"""The protobuf wire format of an XSpace, read where a message object per event would cost.

A 41 MB ``.xplane.pb`` holds 1.5 M events. Parsing it with protobuf's upb runtime takes a
fifth of a second, but then reading ``offset_ps`` / ``duration_ps`` / ``metadata_id`` of every
event through message objects costs about 1 µs an event (a wrapper object each; 1.6 s for
1.6 M events), a Python loop over the records' length prefixes 0.25 µs, and upb with the
events as ``repeated bytes`` 1.6 µs (a bytes object each), all measured on 2 busy cores.
Here the few outer records (space, planes, lines) are walked in Python, each line's event
records are found by pointer doubling over their length prefixes (:func:`_event_run`), and
the event fields are decoded with numpy, a window of about :data:`WINDOW_BYTES` of a line's
records at a time (so a reader can report progress, and stop, within one giant line).

The vectorised decode relies on what every protobuf serializer does: fields in field-number
order (``metadata_id`` 1, ``offset_ps`` 2, ``duration_ps`` 3, ``stats`` 4, ``num_occurrences``
5). Events laid out otherwise are decoded one by one with the message class instead, so the
result never depends on the layout. Damaged bytes raise :class:`WireError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
EVENTS_FIELD = 4  # XLine.events
_EVENT_TAG = (EVENTS_FIELD << 3) | LENGTH
_MAX_VARINT = 10


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end or shift >= 64:
            raise WireError("a number runs past the end of its record")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def read_field(buf: bytes, pos: int, end: int) -> tuple[int, int, int, int]:
    """One field at ``pos``: (number, wire type, value or payload start, position after)."""
    tag, pos = read_varint(buf, pos, end)
    field, kind = tag >> 3, tag & 7
    if kind == VARINT:
        value, pos = read_varint(buf, pos, end)
        return field, kind, value, pos
    if kind == LENGTH:
        size, pos = read_varint(buf, pos, end)
        if pos + size > end:
            raise WireError("a record runs past the end of its parent")
        return field, kind, pos, pos + size
    if kind in (FIXED64, FIXED32):
        width = 8 if kind == FIXED64 else 4
        if pos + width > end:
            raise WireError("a number runs past the end of its record")
        return field, kind, pos, pos + width
    raise WireError(f"unknown wire type {kind}")


def iter_fields(buf: bytes, pos: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(number, wire type, value or payload start, payload end) of each field in a record."""
    while pos < end:
        field, kind, value, pos = read_field(buf, pos, end)
        yield field, kind, value, pos


def signed(value: int) -> int:
    """An int64 field's varint, read as unsigned, back to its two's-complement value."""
    return value - (1 << 64) if value >= 1 << 63 else value


WINDOW_BYTES = 1 << 20  # event records decoded at a time: progress and cancel granularity


@dataclass
class LineLayout:
    """A line's scalar and text fields, and where its event records are, a window at a time."""

    fields: dict[int, int | bytes]
    windows: list[tuple[np.ndarray, np.ndarray]]  # (payload starts, payload ends)


def line_layout(
    buf: bytes,
    data: np.ndarray,
    span: tuple[int, int],
    window: int,
    walked: Callable[[int], None] | None = None,
) -> LineLayout:
    """Split one XLine payload into its event records and its other fields.

    Text fields (``display_name``, 11) come after the events, and what a line's events are
    depends on them, so the records are found here (:func:`event_windows`), before any is
    decoded; ``walked(position)`` is told after each window. Their places cost 16 bytes an
    event, less than half of what the events' columns take once read.
    """
    pos, end = span
    windows: list[tuple[np.ndarray, np.ndarray]] = []
    fields: dict[int, int | bytes] = {}
    while pos < end:
        if buf[pos] == _EVENT_TAG:
            for found in event_windows(data, pos, end, window):
                windows.append(found)
                pos = int(found[1][-1])
                if walked is not None:
                    walked(pos)
            continue
        field, kind, value, pos = read_field(buf, pos, end)
        if kind == VARINT:
            fields[field] = value
        elif kind == LENGTH:
            fields[field] = bytes(buf[value:pos])
    return LineLayout(fields, windows)


def event_windows(
    data: np.ndarray, pos: int, end: int, window: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(payload starts, payload ends) of the run of event records from ``pos``, about
    ``window`` bytes of records at a time; the last record of a window ends where the next
    window starts, and the run ends where a record is followed by anything but an event.

    A window too small for its first record grows until it holds it.
    """
    size = window
    while True:
        limit = min(end, pos + size)
        found = _event_run(data, pos, limit, limit == end)
        if found is None:  # the first record runs past the window: widen it
            size *= 2
            continue
        starts, ends, complete = found
        yield starts, ends
        pos, size = int(ends[-1]), window
        if complete or pos >= end or data[pos] != _EVENT_TAG:
            return


def _event_run(
    data: np.ndarray, pos: int, end: int, last: bool
) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """(payload starts, payload ends, whether the run ended) of the records from ``pos``
    that lie wholly before ``end``; None if the first does not (and ``end`` is not the
    line's end, ``last``).

    Walking records one by one costs a Python step each (2.5 s for 1.6 M events on a busy
    2-core machine). Instead every ``0x22`` byte of the window is taken as a possible
    record start, its successor computed from its length prefix, and the chain from ``pos``
    followed by pointer doubling (members 0..2**k-1, then 2**k more, ...): ~log2(records)
    numpy gathers. The chain stops at a record followed by anything but an event (the run
    ended) or at one that crosses ``end`` (the next window starts with it).
    """
    segment = data[pos:end]
    size = segment.size
    candidates = np.flatnonzero(segment == _EVENT_TAG)
    length, body = _varints(segment, candidates + 1, np.full(candidates.size, size))
    with np.errstate(over="ignore"):
        finish = body + length.astype(np.int64)  # a garbage length may wrap: not sound
    sound = (body <= size) & (finish >= body) & (finish <= size)
    dead = candidates.size
    following = np.minimum(np.searchsorted(candidates, finish), dead - 1)
    linked = sound & (candidates[following] == finish)
    jump = np.append(np.where(linked, following, dead), dead)
    members = np.zeros(1, np.int64)
    while True:
        reached = jump[members]
        reached = reached[reached != dead]
        if reached.size == 0:
            break
        members = np.concatenate((members, reached))
        jump = jump[jump]
    crossing = not sound[members[-1]]  # only the last member can be: it links to none
    if crossing and last:
        raise WireError("an event runs past the end of its line")
    if crossing:
        members = members[:-1]  # the window cuts the last record: the next one reads it
        if members.size == 0:
            return None
    after = int(finish[members[-1]])
    return body[members] + pos, finish[members] + pos, not crossing and after < size


def _varints(data: np.ndarray, pos: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode one varint at each position; returns (uint64 values, positions after them).

    Byte k of every varint still going is read in one step, and the ones that ended are
    dropped before the next: most are one or two bytes long (length prefixes, ids), so
    this is several times faster than carrying every one through all ten steps. A varint that
    does not end before ``end`` gives position ``end + 1`` (marks it bad).
    """
    values = np.zeros(pos.size, np.uint64)
    after = end + 1
    going = np.arange(pos.size)
    last = data.size - 1
    for k in range(_MAX_VARINT):
        at = pos + k
        byte = np.where(at < end, data[np.minimum(at, last)], 0x80)
        values[going] |= (byte & 0x7F).astype(np.uint64) << np.uint64(7 * k)
        stops = byte < 0x80
        after[going[stops]] = at[stops] + 1
        more = ~stops
        if not more.any():
            break
        going, pos, end = going[more], pos[more], end[more]
    return values, after


@dataclass
class EventColumns:
    metadata_id: np.ndarray  # int64
    offset_ps: np.ndarray  # int64
    duration_ps: np.ndarray  # int64
    stats_start: np.ndarray  # int64: where the event's stats begin (== end: none)
    aggregated: np.ndarray  # bool: num_occurrences instead of an offset (not a timed event)
    irregular: np.ndarray  # bool: fields not in field-number order; decode one by one


def event_columns(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> EventColumns:
    """Fields 1, 2 and 3 of every event, read in field-number order (see module doc)."""
    n = start.size
    columns = []
    pos = start.copy()
    bad = np.zeros(n, bool)
    for field in (1, 2, 3):
        present = pos < end
        tag = np.where(present, data[np.minimum(pos, data.size - 1)], 0)
        present &= tag == (field << 3)
        value = np.zeros(n, np.uint64)
        if present.any():
            got, after = _varints(data, pos[present] + 1, end[present])
            value[present] = got
            bad[present] |= after > end[present]
            pos[present] = np.minimum(after, end[present])
        columns.append(value.view(np.int64))
    rest = np.where(pos < end, data[np.minimum(pos, data.size - 1)], 0)
    after_fields = (rest == 0) | (rest == ((4 << 3) | LENGTH)) | (rest == (5 << 3))
    aggregated = rest == (5 << 3)
    return EventColumns(
        metadata_id=columns[0],
        offset_ps=columns[1],
        duration_ps=columns[2],
        stats_start=pos,
        aggregated=aggregated,
        irregular=bad | ~after_fields,
    )


def events_holding(
    data: np.ndarray, columns: EventColumns, end: np.ndarray, stat_id: int
) -> np.ndarray:
    """Indices of events whose stats may hold a stat of metadata id ``stat_id``.

    Looks for the bytes ``0x08 varint(stat_id)`` (an XStat's first field) inside each
    event's stats: a superset of the events that hold it, to be confirmed by decoding.
    """
    if end.size == 0:
        return np.zeros(0, np.int64)
    pattern = _encode_varint(8) + _encode_varint(stat_id)
    low, high = int(columns.stats_start.min()), int(end.max())
    hits = _find_all(data[low:high], pattern) + low
    if hits.size == 0:
        return np.zeros(0, np.int64)
    owner = np.searchsorted(columns.stats_start, hits, "right") - 1
    ok = owner >= 0
    ok[ok] &= hits[ok] < end[owner[ok]]
    return np.unique(owner[ok])


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _find_all(data: np.ndarray, pattern: bytes) -> np.ndarray:
    """Every position where ``pattern`` starts in ``data``."""
    if data.size < len(pattern):
        return np.zeros(0, np.int64)
    candidates = np.flatnonzero(data[: data.size - len(pattern) + 1] == pattern[0])
    for k, byte in enumerate(pattern[1:], start=1):
        candidates = candidates[data[candidates + k] == byte]
    return candidates
