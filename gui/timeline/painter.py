"""Paints one frame of the timeline from the columnar arrays.

Per frame: the rows inside the vertical window are laid out by :mod:`lod` (cost bounded by
the window's width); every rectangle of the frame is gathered into one array and drawn with
one ``drawRects`` per colour: op colours for slices, a neutral shade whose opacity says how
busy a column is for what is narrower than a pixel. Text goes only on slices wide enough to
hold a few characters, and is drawn again above the dimming layer for highlighted slices.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from opscope.gui.timeline.colors import density_color, op_color, text_color
from opscope.gui.timeline.counters import CounterPainter
from opscope.gui.timeline.flows import FlowPainter
from opscope.gui.timeline.frame_rects import FrameRects
from opscope.gui.timeline.instants import MARKER_HALF_WIDTH, MARKER_HEIGHT
from opscope.gui.timeline.layout import Row
from opscope.gui.timeline.lod import DENSITY_LEVELS, RowGeometry, column_edges, lay_out_row
from opscope.gui.timeline.primitives import draw_rects, rect_array
from opscope.gui.timeline.state import TimelineState
from opscope.gui.timeline.ticks import ticks

BACKGROUND = QColor(250, 250, 250)
HEADER_BACKGROUND = QColor(228, 231, 236)
LANE_SHADE = QColor(242, 244, 247)
GRID = QColor(0, 0, 0, 22)
DIM = QColor(255, 255, 255, 170)
OUTLINE = QColor(20, 20, 20)
RANGE_FILL = QColor(40, 110, 220, 40)
RANGE_EDGE = QColor(40, 110, 220, 200)
INSTANT = QColor(200, 30, 30)
LABEL_MIN_PX = 28.0
SLICE_GAP_PX = 1.0  # between neighbouring slices wider than a few pixels


class Label(NamedTuple):
    row: Row
    index: int  # slice index in the trace
    x0: float
    x1: float


class Layer:
    """One pass over the visible rows: slice rectangles, density rectangles, labels."""

    def __init__(self, op_names: list[str]) -> None:
        self.slices = FrameRects(lambda op: op_color(op_names[op]))
        self.density = FrameRects(lambda level: density_color(level, DENSITY_LEVELS))
        self.labels: list[Label] = []

    def add(
        self,
        row: Row,
        geometry: RowGeometry,
        ops: np.ndarray,
        width: int,
        indices: np.ndarray | None = None,
    ) -> None:
        """``ops``: op id per position the row was laid out from; ``indices``: the trace index
        per position (``None``: position ``p`` is slice ``row.begin + p``)."""
        y, height = row.y + 1, row.height - 2
        self.density.add(
            geometry.run_x0.astype(np.float64),
            geometry.run_x1.astype(np.float64),
            y,
            height,
            geometry.run_level,
        )
        x0 = np.clip(geometry.wide_x0, -2.0, width + 2.0)
        x1 = np.clip(geometry.wide_x1, -2.0, width + 2.0)
        x1 = np.where(x1 - x0 > 3 * SLICE_GAP_PX, x1 - SLICE_GAP_PX, x1)
        self.slices.add(x0, x1, y, height, ops[geometry.wide])
        labelled = x1 - x0 >= LABEL_MIN_PX
        positions = geometry.wide[labelled]
        chosen = row.begin + positions if indices is None else indices[positions]
        self.labels.extend(
            Label(row, int(i), float(a), float(b))
            for i, a, b in zip(chosen, x0[labelled], x1[labelled], strict=True)
        )

    def add_busy(self, row: Row, geometry: RowGeometry, width: int) -> None:
        """A summary row: wide intervals are fully busy time, drawn in the densest shade."""
        self.density.add(
            geometry.run_x0.astype(np.float64),
            geometry.run_x1.astype(np.float64),
            row.y + 1,
            row.height - 2,
            geometry.run_level,
        )
        x0 = np.clip(geometry.wide_x0, -2.0, width + 2.0)
        x1 = np.clip(geometry.wide_x1, -2.0, width + 2.0)
        self.density.add(x0, x1, row.y + 1, row.height - 2, np.full(x0.size, DENSITY_LEVELS))

    def draw(self, painter: QPainter) -> None:
        self.density.draw(painter)
        self.slices.draw(painter)


class TimelinePainter:
    def __init__(self, state: TimelineState) -> None:
        self.state = state
        self.font = QFont()
        self.font.setPointSizeF(8.0)
        self.metrics = QFontMetrics(self.font)
        self.counters = CounterPainter(self.font)
        self.flows = FlowPainter(state)

    def paint(self, painter: QPainter, width: int, height: int) -> None:
        state = self.state
        painter.fillRect(0, 0, width, height, BACKGROUND)
        if width <= 0 or state.trace.events == 0 and not state.trace.counters:
            return
        begin, end = state.visible_range()
        edges = column_edges(state.t0, begin, (end - begin) / width, width)
        rows = self._visible_rows(height)
        painter.translate(0, -state.y_offset)
        self._backgrounds(painter, rows, width)
        self._grid(painter, width, rows)
        layer = self._layer(rows, edges, width)
        layer.draw(painter)
        self._labels(painter, layer.labels, width)
        self._highlight(painter, rows, edges, width)
        for row in rows:
            if row.kind == "counter":
                self.counters.paint(painter, row, state.trace.counters[row.counter], edges)
        self._instants(painter, rows, edges)
        self.flows.paint(painter, edges)
        self._selection(painter, edges)
        painter.translate(0, state.y_offset)
        self._time_range(painter, width, height)

    def _visible_rows(self, height: int) -> list[Row]:
        top, bottom = self.state.y_offset, self.state.y_offset + height
        return [
            row for row in self.state.layout.rows if row.y < bottom and row.y + row.height > top
        ]

    def _backgrounds(self, painter: QPainter, rows: list[Row], width: int) -> None:
        for row in rows:
            if row.kind == "process":
                painter.fillRect(0, row.y, width, row.height, HEADER_BACKGROUND)
            elif row.lane % 2 == 1 or row.kind == "counter":
                painter.fillRect(0, row.y, width, row.height, LANE_SHADE)

    def _grid(self, painter: QPainter, width: int, rows: list[Row]) -> None:
        if not rows:
            return
        begin, end = self.state.visible_range()
        positions, _ = ticks(begin, end, width)
        xs = (positions - begin) * width / (end - begin)
        top, bottom = rows[0].y, rows[-1].y + rows[-1].height
        painter.setPen(QPen(GRID, 1))
        for x in xs:
            painter.drawLine(int(x), top, int(x), bottom)

    def _layer(self, rows: list[Row], edges: np.ndarray, width: int) -> Layer:
        state, trace = self.state, self.state.trace
        layer = Layer(trace.ops)
        for row in rows:
            if row.kind == "slices":
                b, e = row.begin, row.end
                geometry = lay_out_row(
                    trace.start_ns[b:e], state.ends[b:e], state.prefix[b : e + 1], edges
                )
                layer.add(row, geometry, trace.op[b:e], width)
            elif row.kind == "summary":
                busy = state.summaries.of(row.process)
                geometry = lay_out_row(busy.starts, busy.ends, busy.prefix, edges)
                layer.add_busy(row, geometry, width)
        return layer

    def _labels(self, painter: QPainter, labels: list[Label], width: int) -> None:
        trace = self.state.trace
        painter.setFont(self.font)
        for label in labels:
            left, right = max(label.x0, 0.0), min(label.x1, float(width))
            if right - left < LABEL_MIN_PX:
                continue
            text = self.metrics.elidedText(
                trace.names[int(trace.name[label.index])],
                Qt.TextElideMode.ElideRight,
                int(right - left) - 6,
            )
            if len(text) <= 1:
                continue
            painter.setPen(text_color(op_color(trace.ops[int(trace.op[label.index])])))
            painter.drawText(
                QRectF(left + 3, label.row.y, right - left - 6, label.row.height),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                text,
            )

    def _highlight(self, painter: QPainter, rows: list[Row], edges: np.ndarray, width: int):
        """Dim everything, then redraw the highlighted slices in full colour, outlined, named."""
        highlight = self.state.highlight
        if highlight is None:
            return
        trace = self.state.trace
        layer = Layer(trace.ops)
        for row in (r for r in rows if r.kind == "slices"):
            begin, end = highlight.row_span(row.begin, row.end)
            geometry = lay_out_row(
                highlight.starts[begin:end],
                highlight.ends[begin:end],
                highlight.prefix[begin : end + 1],
                edges,
            )
            layer.add(row, geometry, highlight.ops[begin:end], width, highlight.indices[begin:end])
        top = min((r.y for r in rows), default=0)
        bottom = max((r.y + r.height for r in rows), default=0)
        painter.fillRect(0, top, width, bottom - top, DIM)
        layer.draw(painter)
        layer.slices.outline(painter, OUTLINE)
        layer.density.outline(painter, OUTLINE)
        self._labels(painter, layer.labels, width)

    def _instants(self, painter: QPainter, rows: list[Row], edges: np.ndarray) -> None:
        """Markers on their lane's top row; found by binary search in the time-sorted copy."""
        instants = self.state.instants
        if instants.ts.size == 0:
            return
        ns_per_px = (edges[-1] - edges[0]) / max(edges.size - 1, 1)
        window = instants.between(int(edges[0]), int(edges[-1]))
        lane_top = np.full(len(self.state.trace.lanes), np.nan)
        for row in rows:
            if row.kind == "slices" and row.depth == 0:
                lane_top[row.lane] = row.y
        ys = lane_top[instants.lane[window]]
        shown = ~np.isnan(ys)
        xs = (instants.ts[window][shown] - edges[0]).astype(np.float64) / ns_per_px
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(INSTANT)
        rects = rect_array(
            xs - MARKER_HALF_WIDTH,
            xs + MARKER_HALF_WIDTH,
            ys[shown],
            np.full(xs.size, float(MARKER_HEIGHT)),
        )
        draw_rects(painter, rects)
        self._selected_instant(painter, lane_top, edges[0], ns_per_px)

    def _selected_instant(self, painter: QPainter, lane_top, origin: int, ns_per_px: float):
        index = self.state.selected_instant
        if index < 0 or np.isnan(lane_top[int(self.state.trace.instant_lane[index])]):
            return
        x = float(self.state.trace.instant_ts_ns[index] - origin) / ns_per_px
        y = float(lane_top[int(self.state.trace.instant_lane[index])])
        painter.setPen(QPen(QColor(0, 0, 0), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(x - 3, y - 1, 6, MARKER_HEIGHT + 2))

    def _selection(self, painter: QPainter, edges: np.ndarray) -> None:
        index = self.state.selected
        row = self.state.layout.slice_row_of(index) if index >= 0 else None
        if row is None:
            return
        ns_per_px = (edges[-1] - edges[0]) / max(edges.size - 1, 1)
        x0 = float(self.state.trace.start_ns[index] - edges[0]) / ns_per_px
        x1 = max(float(self.state.ends[index] - edges[0]) / ns_per_px, x0 + 2.0)
        limit = float(edges.size + 4)
        x0, x1 = min(max(x0, -4.0), limit), min(max(x1, -4.0), limit)
        painter.setPen(QPen(QColor(0, 0, 0), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(x0, row.y + 1, x1 - x0, row.height - 2))

    def _time_range(self, painter: QPainter, width: int, height: int) -> None:
        time_range = self.state.hover_range or self.state.time_range
        if time_range is None:
            return
        viewport = self.state.viewport
        x0, x1 = (viewport.x_of(t, width) for t in time_range)
        x0, x1 = max(x0, -2.0), min(x1, width + 2.0)
        painter.fillRect(QRectF(x0, 0, x1 - x0, height), RANGE_FILL)
        painter.setPen(QPen(RANGE_EDGE, 1))
        painter.drawLine(int(x0), 0, int(x0), height)
        painter.drawLine(int(x1), 0, int(x1), height)
