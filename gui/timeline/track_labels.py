"""The column of track names left of the canvas; clicking a process header collapses it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QWidget

from opscope.gui.timeline.painter import HEADER_BACKGROUND, LANE_SHADE
from opscope.gui.timeline.state import TimelineState

WIDTH = 220


class TrackLabels(QWidget):
    def __init__(self, state: TimelineState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setFixedWidth(WIDTH)
        self.bold = QFont()
        self.bold.setBold(True)
        state.changed.connect(self.update)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(250, 250, 250))
        top, bottom = self.state.y_offset, self.state.y_offset + self.height()
        painter.translate(0, -top)
        for row in self.state.layout.rows:
            if row.y + row.height <= top or row.y >= bottom:
                continue
            box = QRectF(8, row.y, WIDTH - 12, row.height)
            if row.kind == "process":
                painter.fillRect(QRectF(0, row.y, WIDTH, row.height), HEADER_BACKGROUND)
                arrow = "▸" if row.process in self.state.layout.collapsed else "▾"
                painter.setFont(self.bold)
                painter.setPen(QColor(30, 30, 30))
                text = painter.fontMetrics().elidedText(
                    f"{arrow} {row.process}", Qt.TextElideMode.ElideRight, WIDTH - 12
                )
                painter.drawText(box.adjusted(-4, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, text)
                continue
            if row.lane % 2 == 1 or row.kind == "counter":
                painter.fillRect(QRectF(0, row.y, WIDTH, row.height), LANE_SHADE)
            if row.label:
                painter.setFont(self.font())
                painter.setPen(QColor(60, 60, 60))
                text = painter.fontMetrics().elidedText(
                    row.label, Qt.TextElideMode.ElideMiddle, WIDTH - 16
                )
                painter.drawText(box, Qt.AlignmentFlag.AlignVCenter, text)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        row = self.state.layout.row_at(event.position().y() + self.state.y_offset)
        if row is not None and row.kind == "process":
            self.state.toggle_process(row.process)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        self.state.scroll_to(self.state.y_offset - event.angleDelta().y() // 2)
