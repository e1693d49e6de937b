"""What the timeline shows, shared by the ruler, the track labels and the canvas.

One QObject holds the view (time window, vertical scroll, collapsed groups) and the
selections (clicked slice, highlighted set, time range); the widgets only draw it and turn
input into calls here, so keyboard, mouse, tests and a synchronised second timeline all go
through the same few methods.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from opscope.gui.timeline.highlight import Highlight
from opscope.gui.timeline.instants import InstantIndex
from opscope.gui.timeline.layout import TrackLayout
from opscope.gui.timeline.lod import duration_prefix
from opscope.gui.timeline.summary import ProcessSummaries
from opscope.gui.timeline.viewport import Viewport
from opscope.profiling.trace import Trace

REVEAL_MARGIN = 0.1  # fraction of the window kept around a slice brought into view


class TimelineState(QObject):
    changed = Signal()  # anything that needs a repaint
    viewport_changed = Signal()  # the time window moved or was resized
    layout_changed = Signal()
    selection_changed = Signal(int)  # slice index, -1 for none
    instant_selected = Signal(int)  # instant index (into the trace's instant columns)
    range_changed = Signal(object)  # (begin_ns, end_ns) absolute, or None
    highlight_changed = Signal()

    def __init__(
        self, trace: Trace, span_ns: float | None = None, parent: QObject | None = None
    ) -> None:
        """``span_ns`` widens the navigable range (two runs compared share the longer one)."""
        super().__init__(parent)
        self.trace = trace
        self.t0 = trace.t0_ns
        self.ends = trace.start_ns + trace.dur_ns
        self.prefix = duration_prefix(trace.start_ns, self.ends)
        self.summaries = ProcessSummaries(trace, self.ends)
        self.instants = InstantIndex(trace)
        self.viewport = Viewport(max(trace.span_ns, span_ns or 0))
        self.layout = TrackLayout(trace)
        self.y_offset = 0
        self.view_height = 1
        self.selected = -1
        self.selected_instant = -1
        self.highlight: Highlight | None = None
        self.time_range: tuple[float, float] | None = None  # relative to t0
        self.hover_range: tuple[float, float] | None = None  # while dragging on the ruler

    # -- time window ---------------------------------------------------------------------
    def visible_range(self) -> tuple[float, float]:
        """The window in ns relative to the trace's first event."""
        return self.viewport.begin, self.viewport.end

    def set_visible_range(self, begin: float, end: float) -> None:
        self.viewport.set_range(begin, end)
        self._viewport_moved()

    def zoom(self, factor: float, anchor: float | None = None) -> None:
        self.viewport.zoom(factor, anchor)
        self._viewport_moved()

    def pan(self, fraction: float) -> None:
        self.viewport.pan(fraction)
        self._viewport_moved()

    def fit_all(self) -> None:
        self.viewport.fit_all()
        self._viewport_moved()

    def zoom_to_selection(self) -> None:
        """Zoom to the selected time range, else to the selected slice."""
        if self.time_range is not None:
            self.set_visible_range(*self.time_range)
        elif self.selected >= 0:
            begin = float(self.trace.start_ns[self.selected] - self.t0)
            self.zoom_to_slice(begin, begin + float(self.trace.dur_ns[self.selected]))

    def _viewport_moved(self) -> None:
        self.viewport_changed.emit()
        self.changed.emit()

    # -- vertical ------------------------------------------------------------------------
    def max_y_offset(self) -> int:
        return max(self.layout.height - self.view_height, 0)

    def set_view_height(self, height: int) -> None:
        """The canvas was resized: keep the scroll offset valid and the scroll bar's range true."""
        self.view_height = height
        self.y_offset = int(min(self.y_offset, self.max_y_offset()))
        self.changed.emit()

    def scroll_to(self, y: int) -> None:
        y = int(min(max(y, 0), self.max_y_offset()))
        if y != self.y_offset:
            self.y_offset = y
            self.changed.emit()

    def toggle_process(self, process: str) -> None:
        collapsed = set(self.layout.collapsed) ^ {process}
        self.layout = TrackLayout(self.trace, collapsed)
        self.y_offset = min(self.y_offset, self.max_y_offset())
        self.layout_changed.emit()
        self.changed.emit()

    # -- selections ----------------------------------------------------------------------
    def select(self, index: int) -> None:
        """Select slice ``index`` (-1: nothing); an instant selected before is let go."""
        if index == self.selected and self.selected_instant < 0:
            return
        self.selected_instant = -1
        if index != self.selected:
            self.selected = index
            self.selection_changed.emit(index)
        self.changed.emit()

    def select_instant(self, index: int) -> None:
        self.selected, self.selected_instant = -1, index
        self.instant_selected.emit(index)
        self.changed.emit()

    def set_highlight(self, indices: np.ndarray | None, label: str = "") -> None:
        self.highlight = None if indices is None else Highlight(self.trace, indices, label)
        self.highlight_changed.emit()
        self.changed.emit()

    def step_highlight(self, direction: int) -> int:
        """Select the next (1) or previous (-1) highlighted slice and bring it into view."""
        if self.highlight is None:
            return -1
        index = self.highlight.step(direction)
        if index >= 0:
            self.reveal(index)
            self.select(index)
        self.highlight_changed.emit()
        return index

    def set_time_range(self, time_range: tuple[float, float] | None) -> None:
        """Select a time range (relative ns); ``None`` clears it."""
        if time_range is not None:
            begin, end = sorted(time_range)
            time_range = (begin, end) if end > begin else None
        self.time_range = time_range
        absolute = None if time_range is None else tuple(self.t0 + int(t) for t in time_range)
        self.range_changed.emit(absolute)
        self.changed.emit()

    def reveal(self, index: int) -> None:
        """Scroll and zoom just enough that slice ``index`` is visible."""
        row = self.layout.slice_row_of(index)
        if row is None:
            self.toggle_process(self.trace.lanes[int(self.trace.lane[index])].process)
            row = self.layout.slice_row_of(index)
        if row is not None and not self.y_offset <= row.y < self.y_offset + self.view_height:
            self.scroll_to(row.y - self.view_height // 3)
        begin = float(self.trace.start_ns[index] - self.t0)
        end = begin + float(self.trace.dur_ns[index])
        view_begin, view_end = self.visible_range()
        width = view_end - view_begin
        if end - begin > width * (1 - 2 * REVEAL_MARGIN):
            self.zoom_to_slice(begin, end)
        elif begin < view_begin or end > view_end:
            middle = (begin + end) / 2
            self.set_visible_range(middle - width / 2, middle + width / 2)

    def zoom_to_slice(self, begin: float, end: float) -> None:
        margin = max(end - begin, 1.0) * REVEAL_MARGIN
        self.set_visible_range(begin - margin, end + margin)
