"""Counter tracks of an XSpace: its ``_counters_`` lines, read as xprof's trace viewer reads them.

xprof (``xplane_to_trace_container.cc``, its lite path, which the ``trace_viewer@`` tool that
TensorBoard draws runs) makes every event of a line named ``_counters_`` (tsl's
``kCounterEventsLineName``) a sample of a counter of its plane, not a slice, and the line no
thread: the event metadata's ``name`` names the counter (not its ``display_name``: that goes
into the values as a ``long_name`` text), the event's time is the sample's, and its stats (the
metadata's first, then the event's own, less those xprof keeps to itself: flows, group ids,
producer / consumer ids...) are the sample's values, written as
``{"ph": "C", "name", "entries": [[ts, value, ...], ...]}``. xprof expects one numeric value
per sample; here the first numeric stat is the counter's value and any further one a series
of its own, "<name> <stat>"; text values are not drawn. Counter lines are few and short, so
their events are decoded one by one with the message class.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from google.protobuf.message import DecodeError

from opscope.profiling.xplane_messages import XEvent
from opscope.profiling.xspace_pieces import MAX_LINE_NS
from opscope.profiling.xspace_wire import WireError

COUNTERS_LINE = "_counters_"
# tsl's IsInternalStat, and the stats its trace viewer turns into flows / groups / async
HIDDEN_STATS = {"_pt", "_ct", "_p", "_c", "_r", "_a", "flops", "program_id", "symbol_id"} | {
    "flow",
    "group_id",
}
_NUMERIC = ("double_value", "int64_value", "uint64_value")


def _numbers(stats, stat_names: dict[int, str]) -> list[tuple[str, float]]:
    values = []
    for stat in stats:
        name = stat_names.get(stat.metadata_id, "")
        if name not in HIDDEN_STATS and stat.WhichOneof("value") in _NUMERIC:
            values.append((name, float(getattr(stat, stat.WhichOneof("value")))))
    return values


def _describe(meta, stat_names: dict[int, str]) -> tuple[str, list[tuple[str, float]]]:
    """A counter event metadata's name and the values its own stats give every sample."""
    if meta is None:
        return "", []
    return meta.name, _numbers(meta.stats, stat_names)


@dataclass
class CounterSamples:
    """Samples of every counter line read so far, per (process, counter name)."""

    pieces: dict[tuple[str, str], list[tuple[int, np.ndarray, np.ndarray]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(
        self, plane, process: str, line_ns: int, buf: bytes, records: tuple[np.ndarray, ...]
    ) -> None:
        """Events of a counter line of ``plane`` (its metadata): their records' (payload
        starts, payload ends) in ``buf``."""
        stat_names = {key: meta.name for key, meta in plane.stat_metadata.items()}
        described: dict[int, tuple[str, list[tuple[str, float]]]] = {}
        samples: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for start, end in zip(*(r.tolist() for r in records), strict=True):
            try:
                event = XEvent.FromString(buf[start:end])
            except DecodeError as exc:
                raise WireError(f"an event is damaged ({exc})") from None
            if event.WhichOneof("data") == "num_occurrences":
                continue
            if event.metadata_id not in described:
                described[event.metadata_id] = _describe(
                    plane.event_metadata.get(event.metadata_id), stat_names
                )
            name, values = described[event.metadata_id]
            values = values + _numbers(event.stats, stat_names)
            for k, (stat, value) in enumerate(values):
                times, numbers = samples[name if k == 0 else f"{name} {stat}"]
                times.append(event.offset_ps)
                numbers.append(value)
        for name, (times, numbers) in samples.items():
            self.pieces[(process, name)].append(
                (line_ns, np.asarray(times, np.int64), np.asarray(numbers, np.float64))
            )

    def lines_ns(self) -> list[int]:
        """The timestamps of the lines the samples came from."""
        return [line_ns for pieces in self.pieces.values() for line_ns, _, _ in pieces]

    def series_us(self, base_ns: int) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
        """(name, process, µs since ``base_ns``, values) of each counter, as the trace's
        assembly takes them; lines with a damaged timestamp are left out."""
        series = []
        for (process, name), pieces in self.pieces.items():
            kept = [p for p in pieces if abs(p[0] - base_ns) <= MAX_LINE_NS]
            if not kept:
                continue
            with np.errstate(over="ignore"):
                ts = np.concatenate([(t + (ns - base_ns) * 1000) / 1e6 for ns, t, _ in kept])
            values = np.concatenate([v for _, _, v in kept])
            series.append((name, process, ts, values))
        return series
