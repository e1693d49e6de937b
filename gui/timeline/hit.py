"""What is under a point of the canvas (a slice, an instant, a counter) and its tooltip text."""

from __future__ import annotations

from dataclasses import dataclass

from opscope.gui.timeline.counters import format_value, value_at
from opscope.gui.timeline.instants import MARKER_HEIGHT
from opscope.gui.timeline.lod import HIT_TOLERANCE_PX, slice_near
from opscope.gui.timeline.state import TimelineState
from opscope.gui.timeline.ticks import format_duration


@dataclass(frozen=True)
class Hit:
    kind: str  # "slice" | "instant" | "counter"
    index: int  # slice index, instant index, or counter series index
    t_ns: float  # absolute time under the point


class HitTester:
    def __init__(self, state: TimelineState) -> None:
        self.state = state

    def at(self, x: float, y: float, width: int) -> Hit | None:
        """The thing drawn at canvas position (x, y); instants win over the slices below."""
        state = self.state
        row = state.layout.row_at(y + state.y_offset)
        if row is None:
            return None
        viewport = state.viewport
        t = state.t0 + viewport.t_of(x, width)
        tolerance = HIT_TOLERANCE_PX * viewport.width / max(width, 1)
        if row.kind == "counter":
            return Hit("counter", row.counter, t)
        if row.kind != "slices":
            return None
        if row.depth == 0 and y + state.y_offset <= row.y + MARKER_HEIGHT + 1:
            instant = state.instants.near(row.lane, t, tolerance)
            if instant >= 0:
                return Hit("instant", instant, t)
        b, e = row.begin, row.end
        position = slice_near(state.trace.start_ns[b:e], state.ends[b:e], t, tolerance)
        return Hit("slice", b + position, t) if position >= 0 else None

    def tooltip(self, hit: Hit) -> str:
        if hit.kind == "slice":
            return self.slice_tooltip(hit.index)
        if hit.kind == "instant":
            return self.instant_tooltip(hit.index)
        return self.counter_tooltip(hit.index, hit.t_ns)

    def slice_tooltip(self, index: int) -> str:
        trace = self.state.trace
        start = float(trace.start_ns[index] - self.state.t0)
        return (
            f"<b>{trace.names[int(trace.name[index])]}</b><br>"
            f"op: {trace.ops[int(trace.op[index])]}<br>"
            f"start: {format_duration(start, 6)}<br>"
            f"duration: {format_duration(float(trace.dur_ns[index]))}<br>"
            f"self: {format_duration(float(trace.self_ns[index]))}"
        )

    def instant_tooltip(self, index: int) -> str:
        trace = self.state.trace
        lane = trace.lanes[int(trace.instant_lane[index])]
        at = float(trace.instant_ts_ns[index] - self.state.t0)
        return (
            f"<b>{trace.names[int(trace.instant_name[index])]}</b><br>"
            f"instant on {lane.label}<br>"
            f"at: {format_duration(at, 6)}"
        )

    def counter_tooltip(self, counter: int, t_ns: float) -> str:
        series = self.state.trace.counters[counter]
        value = value_at(series, t_ns)
        shown = "no sample yet" if value is None else format_value(value)
        return (
            f"<b>{series.name}</b><br>"
            f"value: {shown}<br>"
            f"at: {format_duration(t_ns - self.state.t0, 6)}"
        )
