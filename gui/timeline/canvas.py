"""The drawing area: turns wheel, drag, clicks and hover into calls on the shared state."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QToolTip, QWidget

from opscope.gui.timeline.hit import HitTester
from opscope.gui.timeline.painter import TimelinePainter
from opscope.gui.timeline.state import TimelineState

ZOOM_STEP = 0.8  # one wheel notch or one W press shows 80% of the span
CLICK_SLOP_PX = 4


class TimelineCanvas(QWidget):
    def __init__(self, state: TimelineState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.painter = TimelinePainter(state)
        self.hits = HitTester(state)
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
        self.state.set_view_height(self.height())
        super().resizeEvent(event)

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
        hit = self.hits.at(position.x(), position.y(), self.width())
        if hit is not None:
            QToolTip.showText(event.globalPosition().toPoint(), self.hits.tooltip(hit), self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        press, self._press, self._last = self._press, None, None
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        position = event.position().toPoint()
        if (position - press).manhattanLength() > CLICK_SLOP_PX:
            return
        hit = self.hits.at(position.x(), position.y(), self.width())
        if hit is not None and hit.kind == "instant":
            self.state.select_instant(hit.index)
        else:
            self.state.select(hit.index if hit is not None and hit.kind == "slice" else -1)
