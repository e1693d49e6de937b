"""Paints one frame of the graph: boxes by colour, edges as one batch of lines, labels.

Level of detail, per frame and in numpy:

* boxes shorter than ``MERGE_PX`` on screen merge into a grid of ``CELL_PX`` blocks (one
  block per occupied cell, coloured by the first box in it) and edges are left out;
* otherwise boxes are drawn with one ``drawRects`` per colour and edges with one
  ``drawLines`` (long, straight edges lighter), then op labels on boxes tall enough to
  read, and tensor shapes under the boxes that write them once the zoom makes them legible.

Only what intersects the window is touched, so a frame costs what is visible, not what
the graph holds.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from opscope.backend.graph.svg import shape_text
from opscope.backend.graph.view import INPUT, OUTPUT, SCOPE
from opscope.gui.graph.drawing import clip_lines, draw_lines
from opscope.gui.graph.overlay import NO_DATA, NO_DATA_COLOR, Overlay
from opscope.gui.graph.scene import GraphScene
from opscope.gui.graph.viewport import GraphViewport
from opscope.gui.timeline.colors import op_color, text_color
from opscope.gui.timeline.primitives import draw_rects

BACKGROUND = QColor(250, 250, 250)
EDGE = QColor(110, 118, 130)
LONG_EDGE = QColor(150, 156, 166)  # opaque: translucent lines are ~10x slower to draw
SCOPE_FILL = QColor(214, 220, 230)
IO_FILL = QColor(255, 255, 255)
OUTLINE = QColor(60, 60, 60)
HIGHLIGHT = QColor(255, 120, 0)
SELECTED = QColor(0, 0, 0)
SELECTED_RING = QColor(255, 255, 255)
MERGE_PX = 4.0
CELL_PX = 4
OUTLINE_PX = 8.0  # boxes at least this tall get a border
LABEL_PX = 19.0  # boxes at least this tall get their op type written in them
SHAPE_LABEL_SCALE = 0.9
MAX_LABELS = 600
MAX_SHAPE_LABELS = 300
LABEL_FONT_UNITS = 11.0  # label font height in world units (boxes are sized for it)
FONT_SIZES_PX = (7, 9, 11, 14, 18)  # a few sizes, so glyphs come from Qt's cache while zooming


class GraphStyle:
    """What the page changes between frames: selection, highlighted items, an overlay."""

    def __init__(self) -> None:
        self.selected = -1
        self.highlight: np.ndarray | None = None  # bool per item
        self.overlay: Overlay | None = None


class GraphPainter:
    def __init__(self) -> None:
        self.font = QFont()
        self.font.setPointSizeF(8.0)
        self.metrics = QFontMetrics(self.font)
        self.small = QFont()
        self.small.setPointSizeF(7.0)

    def paint(self, painter: QPainter, scene: GraphScene | None, vp: GraphViewport, style):
        painter.fillRect(0, 0, vp.width, vp.height, BACKGROUND)
        if scene is None or scene.view.items == 0:
            return
        items = scene.items_in(vp.world_rect())
        box_px = scene.box_height * vp.scale
        if box_px < MERGE_PX:
            self._blocks(painter, scene, vp, style, items)
        else:
            self._edges(painter, scene, vp, style)
            rects = self._screen_rects(scene, vp, items)
            self._boxes(painter, scene, style, items, rects, box_px >= OUTLINE_PX)
            if box_px >= LABEL_PX:
                self._labels(painter, scene, style, items, rects, vp.scale)
            if vp.scale >= SHAPE_LABEL_SCALE:
                self._shape_labels(painter, scene, vp)
            self._marks(painter, style, items, rects)

    # -- colours ---------------------------------------------------------------------------
    def _key_colors(self, scene: GraphScene, style, items: np.ndarray):
        """An int key per item and the colour of each key (op type, or overlay level)."""
        overlay: Overlay | None = style.overlay
        if overlay is not None:
            levels = overlay.level[items]
            keys = np.where(levels == NO_DATA, len(overlay.palette), levels)
            return (
                keys,
                lambda key: overlay.palette[key] if key < len(overlay.palette) else NO_DATA_COLOR,
            )
        kinds = scene.view.kind[items]
        keys = np.where(kinds == SCOPE, -1, scene.op_id[items])
        keys = np.where((kinds == INPUT) | (kinds == OUTPUT), -2, keys)

        def color(key: int) -> QColor:
            if key == -1:
                return SCOPE_FILL
            if key == -2:
                return IO_FILL
            return op_color(scene.ops[key])

        return keys, color

    # -- far away: blocks ------------------------------------------------------------------
    def _blocks(self, painter: QPainter, scene: GraphScene, vp: GraphViewport, style, items):
        cx = (scene.layout.x[items] - vp.cx) * vp.scale + vp.width / 2
        cy = (scene.layout.y[items] - vp.cy) * vp.scale + vp.height / 2
        cell = (np.floor(cy / CELL_PX).astype(np.int64) << 20) + np.floor(cx / CELL_PX).astype(
            np.int64
        )
        cells, first = np.unique(cell, return_index=True)
        keys, color = self._key_colors(scene, style, items[first])
        x = np.floor(cx[first] / CELL_PX) * CELL_PX
        y = np.floor(cy[first] / CELL_PX) * CELL_PX
        rects = np.column_stack((x, y, np.full(x.size, CELL_PX), np.full(x.size, CELL_PX)))
        self._draw_grouped(painter, rects, keys, color, None)
        if style.highlight is not None:
            lit = style.highlight[items]
            if lit.any():
                spots = np.unique(cell[lit], return_index=True)[1]
                hx = np.floor(cx[lit][spots] / CELL_PX) * CELL_PX
                hy = np.floor(cy[lit][spots] / CELL_PX) * CELL_PX
                painter.setBrush(HIGHLIGHT)
                painter.setPen(Qt.PenStyle.NoPen)
                size = np.full(hx.size, CELL_PX + 2.0)
                draw_rects(painter, np.column_stack((hx - 1, hy - 1, size, size)))
        self._marks(painter, style, items, self._screen_rects(scene, vp, items), minimum=6.0)

    # -- near: boxes, edges, labels --------------------------------------------------------
    def _screen_rects(self, scene: GraphScene, vp: GraphViewport, items: np.ndarray):
        x = (scene.x0[items] - vp.cx) * vp.scale + vp.width / 2
        y = (scene.y0[items] - vp.cy) * vp.scale + vp.height / 2
        w = scene.layout.width[items] * vp.scale
        h = scene.layout.height[items] * vp.scale
        return np.column_stack((x, y, w, h))

    def _edges(self, painter: QPainter, scene: GraphScene, vp: GraphViewport, style) -> None:
        """Edges across a few layers whole, long ones as stubs at both ends (whole for the
        selected box), in one ``drawLines`` per colour."""
        rect = vp.world_rect()
        segments = scene.segments_in(rect)
        short = scene.layout.segments[segments[~scene.seg_long[segments]]]
        stubs = scene.stubs
        left, top, right, bottom = rect
        visible = (
            (np.maximum(stubs[:, 0], stubs[:, 2]) >= left)
            & (np.minimum(stubs[:, 0], stubs[:, 2]) <= right)
            & (np.maximum(stubs[:, 1], stubs[:, 3]) >= top)
            & (np.minimum(stubs[:, 1], stubs[:, 3]) <= bottom)
        )
        chosen = np.zeros((0, 4))
        if style.selected >= 0:
            chosen = scene.layout.segments[scene.edges_of_item(style.selected)]
        for color, part in ((LONG_EDGE, stubs[visible]), (EDGE, short), (SELECTED, chosen)):
            lines = part.copy()
            lines[:, [0, 2]] = (lines[:, [0, 2]] - vp.cx) * vp.scale + vp.width / 2
            lines[:, [1, 3]] = (lines[:, [1, 3]] - vp.cy) * vp.scale + vp.height / 2
            pen = QPen(color, 1)
            pen.setCosmetic(True)
            painter.setPen(pen)
            draw_lines(painter, clip_lines(lines, vp.width, vp.height))

    def _boxes(self, painter, scene, style, items, rects, outlined: bool) -> None:
        keys, color = self._key_colors(scene, style, items)
        self._draw_grouped(painter, rects, keys, color, OUTLINE if outlined else None)

    @staticmethod
    def _draw_grouped(painter, rects, keys, color, outline) -> None:
        if rects.shape[0] == 0:
            return
        order = np.argsort(keys, kind="stable")
        rects, keys = rects[order], keys[order]
        bounds = np.concatenate(([0], np.flatnonzero(np.diff(keys)) + 1, [keys.size]))
        painter.setPen(QPen(outline, 0.8) if outline is not None else Qt.PenStyle.NoPen)
        for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
            painter.setBrush(color(int(keys[begin])))
            draw_rects(painter, rects[begin:end])

    def _labels(self, painter, scene: GraphScene, style, items, rects, scale: float) -> None:
        """Op types in their boxes, the font scaled with the boxes (text is part of the
        picture, not an overlay: boxes were sized for it)."""
        wanted = LABEL_FONT_UNITS * scale
        size = max((s for s in FONT_SIZES_PX if s <= wanted), default=FONT_SIZES_PX[0])
        if size != self.font.pixelSize():
            self.font.setPixelSize(size)
            self.metrics = QFontMetrics(self.font)
        painter.setFont(self.font)
        wide = np.flatnonzero(rects[:, 2] >= 24.0)[:MAX_LABELS]
        keys, color = self._key_colors(scene, style, items[wide])
        for position, key in zip(wide.tolist(), keys.tolist(), strict=True):
            x, y, w, h = rects[position]
            label = scene.view.label[int(items[position])]
            text = self.metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(w) - 6)
            painter.setPen(text_color(color(key)))
            painter.drawText(QRectF(x + 3, y, w - 6, h), Qt.AlignmentFlag.AlignCenter, text)

    def _shape_labels(self, painter: QPainter, scene: GraphScene, vp: GraphViewport) -> None:
        """Each tensor's shape once, just below the box that writes it (where its edges
        to several readers still share one point)."""
        left, top, right, bottom = vp.world_rect()
        segments = scene.segments_in((left, top, right, bottom))
        starts = scene.layout.segments[segments, :2]
        first = (scene.first_segment[scene.layout.segment_edge[segments]] == segments) & (
            (starts[:, 0] >= left)
            & (starts[:, 0] <= right)
            & (starts[:, 1] >= top)
            & (starts[:, 1] <= bottom)
        )
        painter.setFont(self.small)
        painter.setPen(QColor(90, 90, 90))
        written: set[tuple[int, str]] = set()
        for segment in segments[first][:MAX_SHAPE_LABELS].tolist():
            edge = int(scene.layout.segment_edge[segment])
            tensor = scene.graph.edges[int(scene.view.edge_of[edge])]
            source = (int(scene.view.src[edge]), tensor.tensor)
            if source in written:
                continue
            written.add(source)
            x0, y0 = scene.layout.segments[segment, :2]
            sx = (x0 - vp.cx) * vp.scale + vp.width / 2
            sy = (y0 - vp.cy) * vp.scale + vp.height / 2
            painter.drawText(
                QRectF(sx + 4, sy + 1, 220, 12),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                shape_text(tensor.shape, tensor.dtype),
            )

    def _marks(self, painter, style, items, rects, minimum: float = 0.0) -> None:
        """Outline highlighted boxes in orange and the selected one in black and white."""
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if style.highlight is not None and minimum == 0.0:
            lit = style.highlight[items]
            painter.setPen(QPen(HIGHLIGHT, 2.5))
            draw_rects(painter, rects[lit])
        if style.selected >= 0:
            where = np.flatnonzero(items == style.selected)
            if where.size:
                x, y, w, h = rects[int(where[0])]
                gx, gy = max(0.0, (minimum - w) / 2), max(0.0, (minimum - h) / 2)
                box = QRectF(x - gx, y - gy, w + 2 * gx, h + 2 * gy)
                # black outside on the light canvas, white on the box's edge: one of the two
                # stands out on any overlay colour, the darkest included
                painter.setPen(QPen(SELECTED, 3.0))
                painter.drawRect(box.adjusted(-2.5, -2.5, 2.5, 2.5))
                painter.setPen(QPen(SELECTED_RING, 2.0))
                painter.drawRect(box)
