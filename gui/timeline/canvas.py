"""The drawing area: turns wheel, drag, clicks and hover into calls on the shared state."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QToolTip, QWidget

from opscope.gui.timeline.lod import HIT_TOLERANCE_PX, slice_near
from opscope.gui.timeline.painter import TimelinePainter
from opscope.gui.timeline.state import TimelineState
from opscope.gui.timeline.ticks import format_duration

ZOOM_STEP = 0.8  # one wheel notch or one W press shows 80% of the span
CLICK_SLOP_PX = 4


class TimelineCanvas(QWidget):
    def __init__(self, state: TimelineState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.painter = TimelinePainter(state)
        self._press: QPoint | None = None
        self._last: QPoint | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(60)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        state.changed.connect(self.update)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        self.painter.paint(painter, self.width(), self.height())
        painter.end()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.state.view_height = self.height()
        self.state.scroll_to(self.state.y_offset)
        super().resizeEvent(event)

    def slice_at(self, x: float, y: float) -> int:
        """Index of the slice drawn at widget position (x, y), or -1."""
        row = self.state.layout.row_at(y + self.state.y_offset)
        if row is None or row.kind != "slices" or row.end <= row.begin:
            return -1
        viewport, width = self.state.viewport, self.width()
        t = self.state.t0 + viewport.t_of(x, width)
        tolerance = HIT_TOLERANCE_PX * viewport.width / max(width, 1)
        trace = self.state.trace
        position = slice_near(
            trace.start_ns[row.begin : row.end], self.state.ends[row.begin : row.end], t, tolerance
        )
        return row.begin + position if position >= 0 else -1

    def tooltip_text(self, index: int) -> str:
        trace = self.state.trace
        start = float(trace.start_ns[index] - self.state.t0)
        return (
            f"<b>{trace.names[int(trace.name[index])]}</b><br>"
            f"op: {trace.ops[int(trace.op[index])]}<br>"
            f"start: {format_duration(start, 6)}<br>"
            f"duration: {format_duration(float(trace.dur_ns[index]))}<br>"
            f"self: {format_duration(float(trace.self_ns[index]))}"
        )

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.state.scroll_to(self.state.y_offset - delta.y() // 2)
        elif delta.y():
            anchor = self.state.viewport.t_of(event.position().x(), self.width())
            self.state.zoom(ZOOM_STEP ** (delta.y() / 120), anchor)
        elif delta.x():
            self.state.pan(-delta.x() / 1200)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = self._last = event.position().toPoint()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        position = event.position().toPoint()
        if self._last is not None and event.buttons() & Qt.MouseButton.LeftButton:
            dx, dy = position.x() - self._last.x(), position.y() - self._last.y()
            self._last = position
            self.state.pan(-dx / max(self.width(), 1))
            self.state.scroll_to(self.state.y_offset - dy)
            return
        index = self.slice_at(position.x(), position.y())
        if index >= 0:
            QToolTip.showText(event.globalPosition().toPoint(), self.tooltip_text(index), self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        press, self._press, self._last = self._press, None, None
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        position = event.position().toPoint()
        if (position - press).manhattanLength() <= CLICK_SLOP_PX:
            self.state.select(self.slice_at(position.x(), position.y()))
