"""Counter tracks: a step line scaled between the series' minimum and maximum, with that scale
written at the track's left edge, and the value held at any instant (for the hover tooltip)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from opscope.gui.timeline.layout import Row
from opscope.gui.timeline.primitives import draw_polyline
from opscope.profiling.trace import CounterSeries

LINE = QColor(30, 90, 170)
SCALE_TEXT = QColor(70, 70, 70)
SCALE_BACKGROUND = QColor(242, 244, 247, 210)
PADDING = 3


def format_value(value: float) -> str:
    """Counter values span bytes to ratios: 4 significant digits with thousands separators."""
    if not np.isfinite(value):
        return str(value)
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def value_at(series: CounterSeries, t_ns: float) -> float | None:
    """The value the counter holds at ``t_ns`` (the last sample at or before it), or ``None``."""
    position = int(np.searchsorted(series.ts_ns, t_ns, side="right")) - 1
    return None if position < 0 else float(series.values[position])


class CounterPainter:
    def __init__(self, font: QFont) -> None:
        self.font = font

    def paint(self, painter: QPainter, row: Row, series: CounterSeries, edges: np.ndarray) -> None:
        if series.ts_ns.size == 0:
            return
        ns_per_px = (edges[-1] - edges[0]) / max(edges.size - 1, 1)
        first = max(int(np.searchsorted(series.ts_ns, edges[0])) - 1, 0)
        last = int(np.searchsorted(series.ts_ns, edges[-1])) + 1
        ts, values = series.ts_ns[first:last], series.values[first:last]
        low, high = self.bounds(series)
        scale = (row.height - 2 * PADDING) / (high - low) if high > low else 0.0
        x = (ts - edges[0]).astype(np.float64) / ns_per_px
        y = row.y + row.height - PADDING - (values - low) * scale
        x, y = np.repeat(x, 2)[1:], np.repeat(y, 2)[:-1]  # counters hold their value: steps
        painter.setPen(QPen(LINE, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        draw_polyline(painter, np.clip(x, -10.0, edges.size + 10.0), y)
        self._scale(painter, row, low, high)

    @staticmethod
    def bounds(series: CounterSeries) -> tuple[float, float]:
        finite = series.values[np.isfinite(series.values)]
        return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)

    def _scale(self, painter: QPainter, row: Row, low: float, high: float) -> None:
        """The maximum at the top left and the minimum at the bottom left of the track."""
        painter.setFont(self.font)
        metrics = painter.fontMetrics()
        height = metrics.height()
        labels = [(format_value(high), row.y + 1)]
        if high > low:
            labels.append((format_value(low), row.y + row.height - 1 - height))
        for text, top in labels:
            box = QRectF(2, top, metrics.horizontalAdvance(text) + 6, height)
            painter.fillRect(box, SCALE_BACKGROUND)
            painter.setPen(SCALE_TEXT)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
