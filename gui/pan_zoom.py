"""Mouse navigation shared by the timeline and the graph canvas.

A left-button drag moves the view, a release within a few pixels of its press is a click,
the wheel zooms about the pointer, Shift+wheel scrolls and a horizontal wheel pans. What
each gesture does to a view differs (the timeline pans a time span and scrolls rows, the
graph moves a 2-D viewport), so a canvas gives the gestures a :class:`Navigable` target.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent

CLICK_SLOP_PX = 4
NOTCH = 120  # angle delta of one wheel notch


class Navigable(Protocol):
    def drag_by(self, dx: int, dy: int) -> None:
        """The pointer moved (dx, dy) pixels with the left button down."""

    def wheel_zoom(self, notches: float, x: float, y: float) -> None:
        """Wheel turned ``notches`` (positive: away from the user) at pixel (x, y)."""

    def wheel_scroll(self, delta: int) -> None:
        """Shift+wheel: the vertical angle delta."""

    def wheel_pan(self, delta: int) -> None:
        """A horizontal wheel (or trackpad): the horizontal angle delta."""


class MouseNavigation:
    """Turns a canvas's mouse events into its target's gestures; the canvas forwards its
    press, move, release and wheel events here."""

    def __init__(self, target: Navigable) -> None:
        self.target = target
        self._press: QPoint | None = None
        self._last: QPoint | None = None

    def press(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = self._last = event.position().toPoint()

    def move(self, event: QMouseEvent) -> bool:
        """True when the move was a drag (handled); False for hovering."""
        if self._last is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return False
        position = event.position().toPoint()
        dx, dy = position.x() - self._last.x(), position.y() - self._last.y()
        self._last = position
        self.target.drag_by(dx, dy)
        return True

    def release(self, event: QMouseEvent) -> QPoint | None:
        """Where the left button clicked; None for the end of a drag or another button."""
        press, self._press, self._last = self._press, None, None
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return None
        position = event.position().toPoint()
        return position if (position - press).manhattanLength() <= CLICK_SLOP_PX else None

    def wheel(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.target.wheel_scroll(delta.y())
        elif delta.y():
            position = event.position()
            self.target.wheel_zoom(delta.y() / NOTCH, position.x(), position.y())
        elif delta.x():
            self.target.wheel_pan(delta.x())
        event.accept()
