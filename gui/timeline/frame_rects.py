"""Rectangles of one frame, gathered row by row and drawn with one ``drawRects`` per colour."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter

from opscope.gui.timeline.primitives import draw_rects, rect_array


class FrameRects:
    """Rectangles keyed by an int (op id, density level); ``color_of`` gives each key's brush."""

    def __init__(self, color_of: Callable[[int], QColor]) -> None:
        self.color_of = color_of
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []  # (rects, keys)

    def add(
        self, x0: np.ndarray, x1: np.ndarray, y: float, height: float, keys: np.ndarray
    ) -> None:
        if x0.size:
            rects = rect_array(x0, x1, np.full(x0.size, y), np.full(x0.size, height))
            self.parts.append((rects, np.asarray(keys)))

    def all_rects(self) -> np.ndarray:
        if not self.parts:
            return np.zeros((0, 4))
        return np.concatenate([rects for rects, _ in self.parts])

    def draw(self, painter: QPainter) -> None:
        if not self.parts:
            return
        rects = self.all_rects()
        keys = np.concatenate([keys for _, keys in self.parts])
        order = np.argsort(keys, kind="stable")
        rects, keys = rects[order], keys[order]
        bounds = np.concatenate(([0], np.flatnonzero(np.diff(keys)) + 1, [keys.size]))
        painter.setPen(Qt.PenStyle.NoPen)
        for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
            painter.setBrush(self.color_of(int(keys[begin])))
            draw_rects(painter, rects[begin:end])

    def outline(self, painter: QPainter, color: QColor) -> None:
        painter.setPen(color)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        draw_rects(painter, self.all_rects())
