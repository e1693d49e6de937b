"""Where the canvas looks: a world point at its centre and a scale in pixels per unit."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

MIN_SCALE = 1e-5
MAX_SCALE = 8.0
FIT_MARGIN = 0.95
READABLE_SCALE = 0.85  # op types are readable in boxes from here on


class GraphViewport(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cx = 0.0
        self.cy = 0.0
        self.scale = 1.0
        self.width = 1
        self.height = 1

    def resize(self, width: int, height: int) -> None:
        self.width, self.height = max(width, 1), max(height, 1)
        self.changed.emit()

    def world_rect(self) -> tuple[float, float, float, float]:
        half_w, half_h = self.width / 2 / self.scale, self.height / 2 / self.scale
        return self.cx - half_w, self.cy - half_h, self.cx + half_w, self.cy + half_h

    def to_world(self, px: float, py: float) -> tuple[float, float]:
        return (
            self.cx + (px - self.width / 2) / self.scale,
            self.cy + (py - self.height / 2) / self.scale,
        )

    def set_view(self, cx: float, cy: float, scale: float) -> None:
        self.cx, self.cy = cx, cy
        self.scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        self.changed.emit()

    def fit(self, rect: tuple[float, float, float, float], max_scale: float = 1.5) -> None:
        left, top, right, bottom = rect
        scale = FIT_MARGIN * min(
            self.width / max(right - left, 1e-6), self.height / max(bottom - top, 1e-6)
        )
        self.set_view((left + right) / 2, (top + bottom) / 2, min(scale, max_scale))

    def overview(self, rect: tuple[float, float, float, float]) -> None:
        """How a graph opens: all of it when that stays legible, else the middle of its
        top at a legible scale (a deep model fitted whole is a thin coloured line)."""
        self.fit(rect)
        if self.scale >= READABLE_SCALE:
            return
        left, top, right, _ = rect
        scale = READABLE_SCALE
        self.set_view((left + right) / 2, top + self.height / 2 / scale - 10 / scale, scale)

    def zoom(self, factor: float, anchor: tuple[float, float] | None = None) -> None:
        """Scale by ``factor`` keeping the pixel ``anchor`` (default: the centre) in place."""
        px, py = anchor if anchor is not None else (self.width / 2, self.height / 2)
        wx, wy = self.to_world(px, py)
        scale = min(max(self.scale * factor, MIN_SCALE), MAX_SCALE)
        self.set_view(
            wx - (px - self.width / 2) / scale, wy - (py - self.height / 2) / scale, scale
        )

    def pan_pixels(self, dx: float, dy: float) -> None:
        self.set_view(self.cx + dx / self.scale, self.cy + dy / self.scale, self.scale)
