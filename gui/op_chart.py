"""Bar chart of the ops that cost the most self time, in the timeline's colours.

Clicking a bar announces its op, which the page selects in the table (and so highlights in
the timeline), the way a legend entry leads to its data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from opscope.gui.bar_rows import BAR_HEIGHT, bar_start, name_at, name_under
from opscope.gui.timeline.colors import op_color

TOP_N = 10


class OpChart(QWidget):
    op_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setTitle("Top ops by self time", color="#333", size="10pt")
        self.plot.setLabel("bottom", "self time", units="s")
        left = self.plot.getAxis("left")
        left.setWidth(170)
        left.setStyle(textFillLimits=[(0, 1.0)])  # one label per bar, never thinned out
        self.ops: list[str] = []  # top to bottom
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Show the ``TOP_N`` rows by ``self_us``, largest at the top."""
        top = sorted(rows, key=lambda row: row["self_us"], reverse=True)[:TOP_N]
        self.ops = [str(row["op"]) for row in top]
        self.plot.clear()
        if not top:
            return
        positions = list(range(len(top)))[::-1]
        colours = [op_color(op) for op in self.ops]
        bars = pg.BarGraphItem(
            x0=0,
            y=positions,
            height=BAR_HEIGHT,
            width=[row["self_us"] * 1e-6 for row in top],
            brushes=colours,
            pens=[pg.mkPen(None)] * len(top),
        )
        self.plot.addItem(bars)
        axis = self.plot.getAxis("left")
        axis.setTicks([[(p, self._short(op)) for p, op in zip(positions, self.ops, strict=True)]])
        self.plot.setYRange(-0.6, len(top) - 0.4, padding=0)
        self.plot.setXRange(0, max(row["self_us"] for row in top) * 1e-6 * 1.05, padding=0)

    def op_at(self, y: float) -> str | None:
        """The op whose bar lies at plot coordinate ``y`` (bars sit at 0 … n-1, top is n-1)."""
        return name_at(self.ops, y)

    def bar_center(self, op: str) -> QPointF:
        """Where the bar of ``op`` is drawn, in the plot widget's coordinates (for tests)."""
        return bar_start(self.plot, self.ops, op)

    def _clicked(self, event: MouseClickEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        op = name_under(self.plot, self.ops, event.scenePos())
        if op is not None:
            self.op_clicked.emit(op)

    @staticmethod
    def _short(text: str, limit: int = 20) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "…"
