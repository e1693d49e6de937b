"""Batched line drawing from numpy, like :mod:`opscope.gui.timeline.primitives` for boxes:
a C-contiguous (n, 4) float64 array has the memory layout of ``QLineF[]``."""

from __future__ import annotations

import numpy as np
from pyqtgraph.Qt import compat
from PySide6.QtCore import QLineF
from PySide6.QtGui import QPainter


def clip_lines(lines: np.ndarray, width: float, height: float, margin: float = 4.0):
    """The parts of (x0, y0, x1, y1) lines inside the window (Liang–Barsky, vectorized).

    Qt's raster engine rasterizes a line far larger than the window slowly: an edge that
    spans a deep model is hundreds of thousands of pixels long when zoomed in.
    """
    if lines.shape[0] == 0:
        return lines
    x0, y0, x1, y1 = lines.T
    dx, dy = x1 - x0, y1 - y0
    low = np.zeros(x0.size)
    high = np.ones(x0.size)
    inside = np.ones(x0.size, dtype=bool)
    for p, q in (
        (-dx, x0 + margin),
        (dx, width + margin - x0),
        (-dy, y0 + margin),
        (dy, height + margin - y0),
    ):
        parallel = p == 0
        inside &= ~(parallel & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
        low = np.where(~parallel & (p < 0), np.maximum(low, t), low)
        high = np.where(~parallel & (p > 0), np.minimum(high, t), high)
    keep = inside & (low <= high)
    low, high = low[keep], high[keep]
    return np.column_stack(
        (
            x0[keep] + low * dx[keep],
            y0[keep] + low * dy[keep],
            x0[keep] + high * dx[keep],
            y0[keep] + high * dy[keep],
        )
    )


def draw_lines(painter: QPainter, lines: np.ndarray) -> None:
    if lines.shape[0]:
        lines = np.ascontiguousarray(lines, dtype=np.float64)
        painter.drawLines(compat.wrapinstance(lines.ctypes.data, QLineF), lines.shape[0])
