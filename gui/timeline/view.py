"""The timeline widget: ruler, track labels, canvas and vertical scroll bar over one state.

Its public methods are what pages, tests and a synchronised second timeline use; keys follow
chrome://tracing and Perfetto: W/S zoom in/out, A/D pan left/right.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QScrollBar, QWidget

from opscope.gui.timeline.canvas import ZOOM_STEP, TimelineCanvas
from opscope.gui.timeline.ruler import TimeRuler
from opscope.gui.timeline.state import TimelineState
from opscope.gui.timeline.track_labels import TrackLabels
from opscope.profiling.trace import Trace

PAN_STEP = 0.1  # one A/D press moves a tenth of the visible span
KEY_ACTIONS = {
    Qt.Key.Key_W: ("zoom", ZOOM_STEP),
    Qt.Key.Key_S: ("zoom", 1 / ZOOM_STEP),
    Qt.Key.Key_A: ("pan", -PAN_STEP),
    Qt.Key.Key_D: ("pan", PAN_STEP),
}


class TimelineView(QWidget):
    slice_selected = Signal(int)  # slice index, -1 for none
    instant_selected = Signal(int)  # index into the trace's instant columns
    range_selected = Signal(object)  # (begin_ns, end_ns) absolute, or None
    visible_range_changed = Signal(float, float)  # ns relative to the trace start
    slice_context_menu = Signal(int, QPoint)  # right-clicked slice (selected), global position

    def __init__(
        self, trace: Trace, span_ns: float | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.trace = trace
        self.state = TimelineState(trace, span_ns, self)
        self.canvas = TimelineCanvas(self.state)
        self.ruler = TimeRuler(self.state)
        self.labels = TrackLabels(self.state)
        self.scrollbar = QScrollBar(Qt.Orientation.Vertical)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(0)
        grid.addWidget(self.ruler, 0, 1)
        grid.addWidget(self.labels, 1, 0)
        grid.addWidget(self.canvas, 1, 1)
        grid.addWidget(self.scrollbar, 1, 2)
        self.setFocusProxy(self.canvas)
        self.state.changed.connect(self._sync_scrollbar)
        self.scrollbar.valueChanged.connect(self.state.scroll_to)
        self.state.selection_changed.connect(self.slice_selected)
        self.state.instant_selected.connect(self.instant_selected)
        self.state.range_changed.connect(self.range_selected)
        self.state.viewport_changed.connect(self._emit_visible_range)
        self.canvas.slice_context.connect(self.slice_context_menu)

    def _sync_scrollbar(self) -> None:
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, self.state.max_y_offset())
        self.scrollbar.setPageStep(max(self.state.view_height, 1))
        self.scrollbar.setValue(self.state.y_offset)
        self.scrollbar.blockSignals(False)

    def _emit_visible_range(self) -> None:
        self.visible_range_changed.emit(*self.state.visible_range())

    def handle_key(self, key: int) -> bool:
        """Apply a navigation key; False when the key means nothing here."""
        action = KEY_ACTIONS.get(Qt.Key(key))
        if action is None:
            return False
        name, amount = action
        self.state.zoom(amount) if name == "zoom" else self.state.pan(amount)
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if not self.handle_key(event.key()):
            super().keyPressEvent(event)

    # -- API for pages -------------------------------------------------------------------
    def visible_range(self) -> tuple[float, float]:
        """The time window in ns relative to the trace's first event."""
        return self.state.visible_range()

    def set_visible_range(self, begin: float, end: float) -> None:
        if (begin, end) != self.state.visible_range():
            self.state.set_visible_range(begin, end)

    def fit_all(self) -> None:
        self.state.fit_all()

    def zoom_to_selection(self) -> None:
        self.state.zoom_to_selection()

    def select_slice(self, index: int) -> None:
        self.state.select(index)

    def selected_slice(self) -> int:
        return self.state.selected

    def reveal_first(self, indices: np.ndarray, label: str) -> int:
        """Highlight ``indices`` as ``label`` and select the earliest, brought into view
        (what a search's first Enter does); -1 when there are none."""
        self.set_highlight(indices, label)
        return self.step_highlight(1)

    def set_highlight(self, indices: np.ndarray | None, label: str = "") -> None:
        self.state.set_highlight(indices, label)

    def step_highlight(self, direction: int) -> int:
        return self.state.step_highlight(direction)

    def set_time_range(self, begin_ns: int | None, end_ns: int | None = None) -> None:
        """Select an absolute time range (``None`` clears it), as a ruler drag does."""
        if begin_ns is None or end_ns is None:
            self.state.set_time_range(None)
        else:
            self.state.set_time_range((begin_ns - self.state.t0, end_ns - self.state.t0))
