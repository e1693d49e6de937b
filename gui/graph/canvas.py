"""The graph's drawing area: wheel, drag, clicks and keys become viewport and page calls
(the mouse gestures through :mod:`opscope.gui.pan_zoom`, as the timeline does).

Keys follow the timeline (and chrome://tracing): W/S zoom in and out, A/D pan left and
right; the graph runs top to bottom, so the arrow keys and Shift+wheel pan vertically.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QToolTip, QWidget

from opscope.gui.graph.painter import GraphPainter, GraphStyle
from opscope.gui.graph.scene import GraphScene
from opscope.gui.graph.viewport import GraphViewport
from opscope.gui.pan_zoom import MouseNavigation

ZOOM_STEP = 0.8
PAN_STEP = 0.1  # one key press moves a tenth of the window
HIT_SLOP_PX = 3.0


class GraphCanvas(QWidget):
    clicked = Signal(int)  # item, -1 for the background
    activated = Signal(int)  # double-clicked item (a scope opens or closes)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene: GraphScene | None = None
        self.viewport = GraphViewport(self)
        self.style_state = GraphStyle()
        self.painter = GraphPainter()
        self.navigation = MouseNavigation(self)
        self.fit_on_resize = True  # until the user moves the view, a resize fits the graph
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(200, 200)
        self.viewport.changed.connect(self.update)

    def set_scene(self, scene: GraphScene) -> None:
        self.scene = scene
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        self.painter.paint(painter, self.scene, self.viewport, self.style_state)
        painter.end()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.viewport.resize(self.width(), self.height())
        if self.fit_on_resize and self.scene is not None:
            self.viewport.overview(self.scene.bounds)
        super().resizeEvent(event)

    def item_at(self, point: QPoint) -> int:
        if self.scene is None:
            return -1
        x, y = self.viewport.to_world(point.x(), point.y())
        return self.scene.item_at(x, y, HIT_SLOP_PX / self.viewport.scale)

    def handle_key(self, key: int) -> bool:
        """Apply a navigation key; False when it means nothing here."""
        vp = self.viewport
        actions = {
            Qt.Key.Key_W: lambda: vp.zoom(1 / ZOOM_STEP),
            Qt.Key.Key_S: lambda: vp.zoom(ZOOM_STEP),
            Qt.Key.Key_A: lambda: vp.pan_pixels(-PAN_STEP * vp.width, 0),
            Qt.Key.Key_D: lambda: vp.pan_pixels(PAN_STEP * vp.width, 0),
            Qt.Key.Key_Up: lambda: vp.pan_pixels(0, -PAN_STEP * vp.height),
            Qt.Key.Key_Down: lambda: vp.pan_pixels(0, PAN_STEP * vp.height),
        }
        action = actions.get(Qt.Key(key))
        if action is None:
            return False
        self.fit_on_resize = False
        action()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if not self.handle_key(event.key()):
            super().keyPressEvent(event)

    # -- gestures (opscope.gui.pan_zoom.Navigable) ----------------------------------------
    def drag_by(self, dx: int, dy: int) -> None:
        self.fit_on_resize = False
        self.viewport.pan_pixels(-dx, -dy)

    def wheel_zoom(self, notches: float, x: float, y: float) -> None:
        self.fit_on_resize = False
        self.viewport.zoom((1 / ZOOM_STEP) ** notches, (x, y))

    def wheel_scroll(self, delta: int) -> None:
        self.fit_on_resize = False
        self.viewport.pan_pixels(0, -delta / 2)

    def wheel_pan(self, delta: int) -> None:
        self.fit_on_resize = False
        self.viewport.pan_pixels(-delta / 2, 0)

    # -- mouse ---------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        self.navigation.wheel(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.navigation.press(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self.navigation.move(event):
            return
        item = self.item_at(event.position().toPoint())
        if item >= 0 and self.scene is not None:
            view = self.scene.view
            tip = f"{view.label[item]}\n{view.key[item]}"
            QToolTip.showText(event.globalPosition().toPoint(), tip, self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        position = self.navigation.release(event)
        if position is not None:
            self.clicked.emit(self.item_at(position))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        item = self.item_at(event.position().toPoint())
        if item >= 0:
            self.activated.emit(item)
