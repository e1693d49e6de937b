"""The drawing area: turns wheel, drag, clicks and hover into calls on the shared state
(the mouse gestures through :mod:`opscope.gui.pan_zoom`, as the graph canvas does)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QToolTip, QWidget

from opscope.gui.pan_zoom import MouseNavigation
from opscope.gui.timeline.hit import HitTester
from opscope.gui.timeline.painter import TimelinePainter
from opscope.gui.timeline.state import TimelineState

ZOOM_STEP = 0.8  # one wheel notch or one W press shows 80% of the span


class TimelineCanvas(QWidget):
    slice_context = Signal(int, QPoint)  # right-clicked slice (now selected), global position

    def __init__(self, state: TimelineState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.painter = TimelinePainter(state)
        self.hits = HitTester(state)
        self.navigation = MouseNavigation(self)
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
        self.state.set_view_height(self.height())
        super().resizeEvent(event)

    # -- gestures (opscope.gui.pan_zoom.Navigable) ----------------------------------------
    def drag_by(self, dx: int, dy: int) -> None:
        self.state.pan(-dx / max(self.width(), 1))
        self.state.scroll_to(self.state.y_offset - dy)

    def wheel_zoom(self, notches: float, x: float, y: float) -> None:
        self.state.zoom(ZOOM_STEP**notches, self.state.viewport.t_of(x, self.width()))

    def wheel_scroll(self, delta: int) -> None:
        self.state.scroll_to(self.state.y_offset - delta // 2)

    def wheel_pan(self, delta: int) -> None:
        self.state.pan(-delta / 1200)

    # -- mouse ---------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        self.navigation.wheel(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.navigation.press(event)
        if event.button() == Qt.MouseButton.RightButton:
            self._context(event)

    def _context(self, event: QMouseEvent) -> None:
        position = event.position().toPoint()
        hit = self.hits.at(position.x(), position.y(), self.width())
        if hit is not None and hit.kind == "slice":
            self.state.select(hit.index)
            self.slice_context.emit(hit.index, event.globalPosition().toPoint())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self.navigation.move(event):
            return
        position = event.position().toPoint()
        hit = self.hits.at(position.x(), position.y(), self.width())
        if hit is not None:
            QToolTip.showText(event.globalPosition().toPoint(), self.hits.tooltip(hit), self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        position = self.navigation.release(event)
        if position is None:
            return
        hit = self.hits.at(position.x(), position.y(), self.width())
        if hit is not None and hit.kind == "instant":
            self.state.select_instant(hit.index)
        else:
            self.state.select(hit.index if hit is not None and hit.kind == "slice" else -1)
