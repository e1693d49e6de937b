"""Batched line drawing from numpy, like :mod:`opscope.gui.timeline.primitives` for boxes:
a C-contiguous (n, 4) float64 array has the memory layout of ``QLineF[]``."""

from __future__ import annotations

import numpy as np
from pyqtgraph.Qt import compat
from PySide6.QtCore import QLineF
from PySide6.QtGui import QPainter


def draw_lines(painter: QPainter, lines: np.ndarray) -> None:
    if lines.shape[0]:
        lines = np.ascontiguousarray(lines, dtype=np.float64)
        painter.drawLines(compat.wrapinstance(lines.ctypes.data, QLineF), lines.shape[0])
