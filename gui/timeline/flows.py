"""Flow arrows (a forward op to its backward op, a launch to its kernel) between slices.

Each arrow runs from the end of its source slice to the start of its destination, between
the middles of the rows that show them (a collapsed process's summary row stands in for its
lanes). Every arrow in the window is drawn while there are few enough to read; beyond that
only the selected slice's arrows are, as Perfetto does. All segments (shaft and two head
strokes per arrow) go into one path built from numpy arrays.
"""

from __future__ import annotations

import numpy as np
from pyqtgraph.functions import arrayToQPath
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen

from opscope.gui.timeline.state import TimelineState

FLOW = QColor(60, 60, 60, 150)
SELECTED_FLOW = QColor(215, 90, 0)
MAX_ARROWS = 500  # more than this in the window is a tangle: show the selected slice's only
HEAD_PX = 6.0


class FlowPainter:
    def __init__(self, state: TimelineState) -> None:
        self.state = state
        trace = state.trace
        self.src, self.dst = trace.flow_src, trace.flow_dst
        self.t_src = state.ends[self.src]
        self.t_dst = trace.start_ns[self.dst]
        self.low = np.minimum(self.t_src, self.t_dst)
        self.high = np.maximum(self.t_src, self.t_dst)

    def in_window(self, begin_ns: int, end_ns: int) -> np.ndarray:
        """Positions of the arrows drawn for the window [begin_ns, end_ns)."""
        if self.src.size == 0:
            return np.zeros(0, np.int64)
        shown = np.flatnonzero((self.low < end_ns) & (self.high >= begin_ns))
        if shown.size > MAX_ARROWS:
            shown = shown[self._touching_selection(shown)]
        return shown

    def _touching_selection(self, positions: np.ndarray) -> np.ndarray:
        selected = self.state.selected
        return (self.src[positions] == selected) | (self.dst[positions] == selected)

    def paint(self, painter: QPainter, edges: np.ndarray) -> None:
        shown = self.in_window(int(edges[0]), int(edges[-1]))
        if shown.size == 0:
            return
        ns_per_px = (edges[-1] - edges[0]) / max(edges.size - 1, 1)
        layout = self.state.layout
        x0 = (self.t_src[shown] - edges[0]).astype(np.float64) / ns_per_px
        x1 = (self.t_dst[shown] - edges[0]).astype(np.float64) / ns_per_px
        y0, y1 = layout.row_middles(self.src[shown]), layout.row_middles(self.dst[shown])
        drawn = ~(np.isnan(y0) | np.isnan(y1))
        limit = float(edges.size + 50)
        x0, x1 = np.clip(x0, -limit, 2 * limit), np.clip(x1, -limit, 2 * limit)
        selected = self._touching_selection(shown)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for mask, color, width in ((~selected, FLOW, 1.0), (selected, SELECTED_FLOW, 2.0)):
            keep = drawn & mask
            if keep.any():
                painter.setPen(QPen(color, width))
                painter.drawPath(arrow_path(x0[keep], y0[keep], x1[keep], y1[keep]))


def arrow_path(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray):
    """One path of disconnected segments: each arrow's shaft and the two strokes of its head."""
    back = np.arctan2(y0 - y1, x0 - x1)  # from the tip back along the shaft
    segments = [(x0, y0, x1, y1)]
    for spread in (-0.45, 0.45):
        segments.append(
            (x1, y1, x1 + HEAD_PX * np.cos(back + spread), y1 + HEAD_PX * np.sin(back + spread))
        )
    from_x, from_y, to_x, to_y = (np.concatenate(part) for part in zip(*segments, strict=True))
    xs = np.column_stack((from_x, to_x)).ravel()
    ys = np.column_stack((from_y, to_y)).ravel()
    return arrayToQPath(xs, ys, connect="pairs")
