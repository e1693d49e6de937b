"""Horizontal bars of a model's most frequent op types, as many as fit legibly.

A bar per op type down to ``ROW_PX`` pixels a row: a short chart shows fewer bars (its
title says how many of how many), never labels on top of each other or left out. Long op
names (``com.microsoft.FusedMatMul``) are elided in the middle to the axis' width, and the
full name and count show in a tooltip over the bar.
"""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QWidget

from opscope.gui.bar_rows import BAR_HEIGHT, bar_start, name_at, name_under

CHART_TOP = 25  # never more bars than this, however tall the chart
ROW_PX = 18  # the least height a bar and its label get
MIN_ROWS = 3
AXIS_SHARE = 0.4  # the labels take at most this share of the chart's width
CHROME_PX = 70  # title and bottom axis


class OpCountChart(pg.PlotWidget):
    """The top op types by node count; ``ops`` are the ones shown, largest first."""

    op_clicked = Signal(str)

    def __init__(self, op_counts: dict[str, int], parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.counts = sorted(op_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        self.ops: list[str] = []
        self.drawn: tuple[int, int] = (-1, -1)  # bars and label width last drawn
        self.setLabel("bottom", "nodes")
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.showGrid(x=True, y=False, alpha=0.3)
        self.getAxis("left").setStyle(textFillLimits=[(0, 1.0)])  # one label per bar, always
        self.scene().sigMouseMoved.connect(self._hovered)
        self.scene().sigMouseClicked.connect(self._clicked)
        self._draw(CHART_TOP)

    def rows_that_fit(self) -> int:
        """How many bars the chart's height takes at ``ROW_PX`` each."""
        return max(MIN_ROWS, (self.height() - CHROME_PX) // ROW_PX)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if getattr(self, "counts", None) is None:  # pyqtgraph resizes during __init__
            return
        shown = min(len(self.counts), CHART_TOP, self.rows_that_fit())
        if (shown, self._label_limit()) != self.drawn:
            self._draw(shown)

    def _draw(self, shown: int) -> None:
        top = self.counts[:shown]
        self.ops = [op for op, _ in top]
        self.drawn = (shown, self._label_limit())
        self.clear()
        self.setTitle(self._title(len(top)), color="#555", size="10pt")
        if not top:
            return
        rows = list(range(len(top)))[::-1]  # largest at the top
        widths = [n for _, n in top]
        self.addItem(
            pg.BarGraphItem(
                x0=0, y=rows, height=BAR_HEIGHT, width=widths, brush=pg.mkBrush(70, 130, 180)
            )
        )
        axis = self.getAxis("left")
        labels = self._labels(self.ops)
        axis.setTicks([list(zip(rows, labels, strict=True))])
        axis.setWidth(self._axis_width(labels))
        self.setYRange(-0.6, len(top) - 0.4, padding=0)
        self.setXRange(0, max(widths) * 1.05, padding=0)
        bottom = self.getAxis("bottom")
        if max(widths) <= 10:  # counts are whole: no ticks at 0.5, 1.5
            bottom.setTickSpacing(1, 1)
        else:
            bottom.setTickSpacing()  # pyqtgraph's own spacing

    def _title(self, shown: int) -> str:
        if shown == len(self.counts):
            return f"All {shown} op types by count"
        return f"Top {shown} of {len(self.counts)} op types by count"

    def _label_limit(self) -> int:
        return int(max(self.width(), 400) * AXIS_SHARE)

    def _labels(self, ops: list[str]) -> list[str]:
        metrics = QFontMetrics(self.getAxis("left").style.get("tickFont") or self.font())
        limit = self._label_limit()
        return [metrics.elidedText(op, Qt.TextElideMode.ElideMiddle, limit) for op in ops]

    def _axis_width(self, labels: list[str]) -> int:
        metrics = QFontMetrics(self.getAxis("left").style.get("tickFont") or self.font())
        return max(metrics.horizontalAdvance(label) for label in labels) + 16

    def op_at(self, y: float) -> str | None:
        """The op whose bar lies at plot coordinate ``y`` (top bar is row n-1)."""
        return name_at(self.ops, y)

    def bar_center(self, op: str) -> QPointF:
        """Where the bar of ``op`` starts, in this widget's coordinates (for tests)."""
        return bar_start(self, self.ops, op)

    def _hovered(self, scene_pos: QPointF) -> None:
        op = name_under(self, self.ops, scene_pos)
        count = dict(self.counts).get(op or "", 0)
        self.setToolTip(f"{op}: {count:,} nodes" if op else "")

    def _clicked(self, event: MouseClickEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        op = name_under(self, self.ops, event.scenePos())
        if op is not None:
            self.op_clicked.emit(op)
