"""The time ruler: ticks with units, and the place to drag out a time-range selection."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QWidget

from opscope.gui.timeline.state import TimelineState
from opscope.gui.timeline.ticks import format_tick, ticks

HEIGHT = 26
CLICK_SLOP_PX = 3


class TimeRuler(QWidget):
    def __init__(self, state: TimelineState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._anchor: float | None = None
        self._anchor_x = 0.0
        self.setFixedHeight(HEIGHT)
        self.setCursor(Qt.CursorShape.IBeamCursor)
        self.setToolTip("Drag to select a time range; click to clear it")
        state.changed.connect(self.update)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(236, 238, 242))
        begin, end = self.state.visible_range()
        positions, step = ticks(begin, end, self.width())
        painter.setPen(QPen(QColor(90, 90, 90), 1))
        metrics = painter.fontMetrics()
        for t in positions:
            x = self.state.viewport.x_of(t, self.width())
            painter.drawLine(int(x), HEIGHT - 7, int(x), HEIGHT)
            label = format_tick(t, step)
            if x + 3 + metrics.horizontalAdvance(label) > self.width():
                continue  # a label cut at the right edge reads as a different number
            painter.drawText(
                QRectF(x + 3, 0, 120, HEIGHT - 4), Qt.AlignmentFlag.AlignVCenter, label
            )
        time_range = self.state.hover_range or self.state.time_range
        if time_range is not None:
            x0, x1 = (self.state.viewport.x_of(t, self.width()) for t in time_range)
            painter.fillRect(QRectF(x0, 0, x1 - x0, HEIGHT), QColor(40, 110, 220, 90))
        painter.setPen(QColor(180, 180, 180))
        painter.drawLine(0, HEIGHT - 1, self.width(), HEIGHT - 1)
        painter.end()

    def _time(self, event: QMouseEvent) -> float:
        return self.state.viewport.t_of(event.position().x(), self.width())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self._anchor, self._anchor_x = self._time(event), event.position().x()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._anchor is not None:
            self.state.hover_range = tuple(sorted((self._anchor, self._time(event))))
            self.state.changed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._anchor is None:
            return
        anchor, self._anchor, self.state.hover_range = self._anchor, None, None
        if abs(event.position().x() - self._anchor_x) <= CLICK_SLOP_PX:
            self.state.set_time_range(None)
        else:
            self.state.set_time_range((anchor, self._time(event)))
