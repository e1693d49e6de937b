"""Batch drawing from numpy: one ``QPainter.drawRects`` / ``drawPath`` call per array.

This is pyqtgraph's ``PrimitiveArray`` trick (used by its BarGraphItem) without the object:
a C-contiguous float64 array of (x, y, w, h) rows has the memory layout of ``QRectF[]``, and
PySide6 (≥ 6.4.3) accepts a pointer to its first element plus a count, so nothing is
converted per rectangle.
"""

from __future__ import annotations

import numpy as np
from pyqtgraph.functions import arrayToQPath
from pyqtgraph.Qt import compat
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter


def rect_array(x0: np.ndarray, x1: np.ndarray, y: np.ndarray, height: np.ndarray) -> np.ndarray:
    """(n, 4) float64 rows of x, y, w, h."""
    rects = np.empty((x0.size, 4), dtype=np.float64)
    rects[:, 0] = x0
    rects[:, 1] = y
    rects[:, 2] = x1 - x0
    rects[:, 3] = height
    return rects


def draw_rects(painter: QPainter, rects: np.ndarray) -> None:
    if rects.shape[0]:
        rects = np.ascontiguousarray(rects, dtype=np.float64)
        painter.drawRects(compat.wrapinstance(rects.ctypes.data, QRectF), rects.shape[0])


def draw_polyline(painter: QPainter, x: np.ndarray, y: np.ndarray) -> None:
    """One path built by pyqtgraph from the arrays (PySide has no pointer overload here)."""
    if x.size >= 2:
        painter.drawPath(arrayToQPath(x.astype(np.float64), y.astype(np.float64)))
