"""Paints one frame of the timeline from the columnar arrays.

Per frame: the rows inside the vertical window are laid out by :mod:`lod` (cost bounded by
the window's width), every rectangle of the frame is collected into one array, sorted by op
id, and drawn with one ``drawRects`` per colour. Text is drawn only on slices wide enough to
hold a few characters.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from opscope.gui.timeline.colors import op_color, text_color
from opscope.gui.timeline.layout import Row
from opscope.gui.timeline.lod import RowGeometry, column_edges, lay_out_row
from opscope.gui.timeline.primitives import draw_polyline, draw_rects, rect_array
from opscope.gui.timeline.state import TimelineState
from opscope.gui.timeline.ticks import ticks

BACKGROUND = QColor(250, 250, 250)
HEADER_BACKGROUND = QColor(228, 231, 236)
LANE_SHADE = QColor(242, 244, 247)
GRID = QColor(0, 0, 0, 22)
DIM = QColor(255, 255, 255, 170)
RANGE_FILL = QColor(40, 110, 220, 40)
RANGE_EDGE = QColor(40, 110, 220, 200)
INSTANT = QColor(200, 30, 30)
COUNTER_LINE = QColor(30, 90, 170)
LABEL_MIN_PX = 28.0
SLICE_GAP_PX = 1.0  # between neighbouring slices wider than a few pixels


class FrameRects:
    """Rectangles of one frame, gathered row by row, drawn grouped by op colour."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []  # (rects, op ids)

    def add(self, x0: np.ndarray, x1: np.ndarray, y: float, height: float, ops: np.ndarray):
        if x0.size:
            ys = np.full(x0.size, y)
            self.parts.append((rect_array(x0, x1, ys, np.full(x0.size, height)), ops))

    def draw(self, painter: QPainter, op_names: list[str]) -> None:
        if not self.parts:
            return
        rects = np.concatenate([rects for rects, _ in self.parts])
        ops = np.concatenate([ops for _, ops in self.parts])
        order = np.argsort(ops, kind="stable")
        rects, ops = rects[order], ops[order]
        bounds = np.concatenate(([0], np.flatnonzero(np.diff(ops)) + 1, [ops.size]))
        painter.setPen(Qt.PenStyle.NoPen)
        for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
            painter.setBrush(op_color(op_names[int(ops[begin])]))
            draw_rects(painter, rects[begin:end])


class TimelinePainter:
    def __init__(self, state: TimelineState) -> None:
        self.state = state
        self.font = QFont()
        self.font.setPointSizeF(8.0)
        self.metrics = QFontMetrics(self.font)
        order = np.argsort(state.trace.instant_ts_ns, kind="stable")
        self._instant_ts = state.trace.instant_ts_ns[order]
        self._instant_lane = state.trace.instant_lane[order]

    def paint(self, painter: QPainter, width: int, height: int) -> None:
        state = self.state
        painter.fillRect(0, 0, width, height, BACKGROUND)
        if width <= 0 or state.trace.events == 0 and not state.trace.counters:
            return
        begin, end = state.visible_range()
        ns_per_px = (end - begin) / width
        edges = column_edges(state.t0, begin, ns_per_px, width)
        rows = self._visible_rows(height)
        painter.translate(0, -state.y_offset)
        self._backgrounds(painter, rows, width)
        self._grid(painter, width, rows)
        rects, labels = FrameRects(), []
        for row in rows:
            if row.kind == "slices":
                labels.extend(self._slices(row, edges, rects))
        rects.draw(painter, state.trace.ops)
        self._labels(painter, labels)
        self._highlight(painter, rows, edges, width)
        for row in rows:
            if row.kind == "counter":
                self._counter(painter, row, edges, ns_per_px)
        self._instants(painter, rows, edges, ns_per_px)
        self._selection(painter, edges, ns_per_px)
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

    def _slices(self, row: Row, edges: np.ndarray, rects: FrameRects) -> list[tuple]:
        trace, b, e = self.state.trace, row.begin, row.end
        ops = trace.op[b:e]
        geometry = lay_out_row(trace.start_ns[b:e], self.state.ends[b:e], edges, ops)
        self._add_geometry(rects, geometry, row, ops, edges.size - 1)
        wide = geometry.wide_x1 - geometry.wide_x0 >= LABEL_MIN_PX
        return [
            (row, b + int(p), x0, x1)
            for p, x0, x1 in zip(
                geometry.wide[wide], geometry.wide_x0[wide], geometry.wide_x1[wide], strict=True
            )
        ]

    @staticmethod
    def _add_geometry(
        rects: FrameRects, geometry: RowGeometry, row: Row, ops: np.ndarray, width: int
    ) -> None:
        y, height = row.y + 1, row.height - 2
        rects.add(
            geometry.run_x0.astype(np.float64),
            geometry.run_x1.astype(np.float64),
            y,
            height,
            ops[geometry.run_first],
        )
        x0 = np.clip(geometry.wide_x0, -2.0, width + 2.0)
        x1 = np.clip(geometry.wide_x1, -2.0, width + 2.0)
        x1 = np.where(x1 - x0 > 3 * SLICE_GAP_PX, x1 - SLICE_GAP_PX, x1)
        rects.add(x0, x1, y, height, ops[geometry.wide])

    def _labels(self, painter: QPainter, labels: list[tuple]) -> None:
        trace = self.state.trace
        painter.setFont(self.font)
        width = painter.device().width()
        for row, index, x0, x1 in labels:
            left, right = max(x0, 0.0), min(x1, float(width))
            if right - left < LABEL_MIN_PX:
                continue
            text = self.metrics.elidedText(
                trace.names[int(trace.name[index])],
                Qt.TextElideMode.ElideRight,
                int(right - left) - 6,
            )
            if len(text) <= 1:
                continue
            painter.setPen(text_color(op_color(trace.ops[int(trace.op[index])])))
            painter.drawText(
                QRectF(left + 3, row.y, right - left - 6, row.height),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                text,
            )

    def _highlight(self, painter: QPainter, rows: list[Row], edges: np.ndarray, width: int):
        """Dim everything, then redraw the highlighted slices in full colour, outlined."""
        highlight = self.state.highlight
        if highlight is None:
            return
        trace = self.state.trace
        rects = FrameRects()
        for row in (r for r in rows if r.kind == "slices"):
            begin, end = highlight.row_span(row.begin, row.end)
            ops = trace.op[highlight.indices[begin:end]]
            geometry = lay_out_row(
                highlight.starts[begin:end], highlight.ends[begin:end], edges, ops
            )
            self._add_geometry(rects, geometry, row, ops, width)
        top = min((r.y for r in rows), default=0)
        bottom = max((r.y + r.height for r in rows), default=0)
        painter.fillRect(0, top, width, bottom - top, DIM)
        rects.draw(painter, trace.ops)
        painter.setPen(QPen(QColor(20, 20, 20), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for part, _ in rects.parts:
            draw_rects(painter, part)

    def _counter(self, painter: QPainter, row: Row, edges: np.ndarray, ns_per_px: float) -> None:
        series = self.state.trace.counters[row.counter]
        if series.ts_ns.size == 0:
            return
        first = max(int(np.searchsorted(series.ts_ns, edges[0])) - 1, 0)
        last = int(np.searchsorted(series.ts_ns, edges[-1])) + 1
        ts, values = series.ts_ns[first:last], series.values[first:last]
        low, high = float(np.nanmin(series.values)), float(np.nanmax(series.values))
        scale = (row.height - 6) / (high - low) if high > low else 0.0
        x = (ts - edges[0]).astype(np.float64) / ns_per_px
        y = row.y + row.height - 3 - (values - low) * scale
        x, y = np.repeat(x, 2)[1:], np.repeat(y, 2)[:-1]  # counters hold their value: steps
        painter.setPen(QPen(COUNTER_LINE, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        draw_polyline(painter, np.clip(x, -10.0, edges.size + 10.0), y)

    def _instants(self, painter: QPainter, rows: list[Row], edges: np.ndarray, ns_per_px: float):
        """Markers on their lane's top row; found by binary search in the time-sorted copy."""
        if self._instant_ts.size == 0:
            return
        first, last = np.searchsorted(self._instant_ts, (edges[0], edges[-1] + 1))
        lane_top = np.full(len(self.state.trace.lanes), np.nan)
        for row in rows:
            if row.kind == "slices" and row.depth == 0:
                lane_top[row.lane] = row.y
        ys = lane_top[self._instant_lane[first:last]]
        shown = ~np.isnan(ys)
        xs = (self._instant_ts[first:last][shown] - edges[0]).astype(np.float64) / ns_per_px
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(INSTANT)
        draw_rects(painter, rect_array(xs - 1.0, xs + 1.0, ys[shown], np.full(xs.size, 7.0)))

    def _selection(self, painter: QPainter, edges: np.ndarray, ns_per_px: float) -> None:
        index = self.state.selected
        row = self.state.layout.slice_row_of(index) if index >= 0 else None
        if row is None:
            return
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
