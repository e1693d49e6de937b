"""The Graph page: the canvas, a search bar, highlight and overlay controls, the details.

Opening or closing a scope lays the view out again on a worker thread (the layout is pure
numpy and takes milliseconds for a collapsed view, well under a second for 10,000 boxes),
then swaps the scene and keeps the opened or closed part of the graph under the eye.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QThreadPool, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from opscope.backend.contracts.graph import GraphDiff
from opscope.backend.graph.files import load_graph_file
from opscope.backend.graph.scopes import ancestors
from opscope.backend.graph.view import SCOPE, all_scopes
from opscope.gui.graph.canvas import GraphCanvas
from opscope.gui.graph.details import NodeDetails
from opscope.gui.graph.layout_task import LayoutTask
from opscope.gui.graph.measures import OVERLAYS
from opscope.gui.graph.page_overlays import PageOverlays
from opscope.gui.graph.scene import GraphScene
from opscope.gui.graph.search import SearchCursor

NO_HIGHLIGHT = "Highlight op type…"
FOCUS_SCALE = 1.0


class GraphPage(PageOverlays, QWidget):
    layout_changed = Signal()  # a new scene is shown (after opening / closing a scope)
    node_selected = Signal(str)  # name of the node (or scope) clicked
    revealed = Signal(str)  # a node searched for or asked for is selected in its own box

    def __init__(self, graph_file: str, note: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        graph, expanded, layout = load_graph_file(graph_file)
        self.graph = graph
        self.scopes = all_scopes(graph)
        self.times: dict | None = None
        self.errors: dict[str, float] | None = None
        self.diff: tuple[GraphDiff, str] | None = None
        self.sides: dict[str, GraphScene] = {}
        self.cursor = SearchCursor()
        self._tasks: list[LayoutTask] = []
        self._pending: tuple[int, bool] | None = None  # node to reveal once laid out, zoom
        self.canvas = GraphCanvas(self)
        self.details = NodeDetails(self)
        self._build(note)
        self._show(GraphScene.from_parts(graph, expanded, layout))
        self.fold_box.setVisible(bool(self.scene.view.folded))  # weights to fold at all
        self.canvas.clicked.connect(self.select_item)
        self.canvas.activated.connect(self._activate)

    # -- construction ------------------------------------------------------------------
    def _build(self, note: str) -> None:
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("Find name, op type or attribute (Enter / Shift+Enter)")
        self.search_box.installEventFilter(self)
        self.search_box.textChanged.connect(self.search)
        self.match_label = QLabel("", self)
        self.op_box = QComboBox(self)
        self._fill_ops()
        self.op_box.currentIndexChanged.connect(
            lambda i: self.highlight_op(self._op_counts[i - 1][0] if i > 0 else None)
        )
        self.swap_button = QPushButton("Show second graph", self)
        self.swap_button.setToolTip("The other graph of the diff, at the same place")
        self.swap_button.clicked.connect(self.swap_sides)
        self.swap_button.hide()
        self.overlay_box = QComboBox(self)
        self.overlay_box.addItems(OVERLAYS)
        self.overlay_box.currentIndexChanged.connect(self._refresh_overlay)
        self.fold_box = QCheckBox("Fold weights", self)
        self.fold_box.setToolTip(
            "Fold weights into their readers: constants, variable reads and the variables "
            "they read are listed in the details of the node that reads them, not drawn"
        )
        self.fold_box.setChecked(True)
        self.fold_box.toggled.connect(lambda: self.set_expanded(set(self.scene.expanded)))
        self.legend = QLabel("", self)
        fit = QPushButton("Fit", self)
        fit.clicked.connect(self.fit)
        zoom = QPushButton("Zoom to selection", self)
        zoom.clicked.connect(self.zoom_to_selection)
        self.search_box.setMinimumWidth(260)
        # the legend has a row of its own and wraps there: it never widens the window nor
        # loses its last entries (the whole text is its tooltip too)
        self.legend.setWordWrap(True)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.bar = bar = QHBoxLayout()
        for widget in (self.search_box, self.match_label, self.op_box, fit, zoom):
            bar.addWidget(widget)
        bar.addWidget(self.fold_box)
        bar.addWidget(self.overlay_box)
        bar.addWidget(self.swap_button)
        bar.addStretch(1)
        self.note_label = QLabel(note, self)
        self.note_label.setStyleSheet("color: #8a5a00;")
        self.note_label.setVisible(bool(note))
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([1150, 420])
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(bar)
        column.addWidget(self.legend)
        column.addWidget(self.note_label)
        column.addWidget(splitter, 1)

    def _fill_ops(self) -> None:
        self._op_counts = Counter(n.op_type for n in self.graph.nodes).most_common()
        self.op_box.blockSignals(True)
        self.op_box.clear()
        self.op_box.addItems([NO_HIGHLIGHT, *[f"{op} ({n:,})" for op, n in self._op_counts]])
        self.op_box.blockSignals(False)
        self._highlight_op = None

    @property
    def scene(self) -> GraphScene:
        return self.canvas.scene

    def _show(self, scene: GraphScene, focus: str | None = None) -> None:
        first = self.canvas.scene is None
        self.canvas.set_scene(scene)
        self.canvas.style_state.selected = -1
        self._refresh_highlight()
        self._refresh_overlay()
        if first:
            self.canvas.viewport.overview(scene.bounds)
        elif focus is not None:
            self._focus_on(focus)
        self.layout_changed.emit()

    # -- scopes ------------------------------------------------------------------------
    def toggle_scope(self, scope: str) -> None:
        expanded = set(self.scene.expanded)
        if scope in expanded:
            expanded -= {s for s in expanded if s == scope or s.startswith(scope + "/")}
        else:
            expanded.add(scope)
        self.set_expanded(expanded, scope)

    def set_expanded(self, expanded: set[str], focus: str = "") -> None:
        task = LayoutTask(self.graph, set(expanded), focus, self.fold_box.isChecked())
        task.signals.done.connect(self._laid_out)
        self._tasks.append(task)
        QThreadPool.globalInstance().start(task)

    def expand_all(self) -> None:
        self.set_expanded(set(self.scopes))

    def collapse_all(self) -> None:
        self.set_expanded(set())

    def _laid_out(self, scene: GraphScene, focus: str) -> None:
        self._tasks = [t for t in self._tasks if t.focus != focus or t.expanded != scene.expanded]
        self._show(scene, focus)
        if self._pending is not None:
            self.reveal(*self._pending)

    def _focus_on(self, scope: str) -> None:
        """Keep the scale; centre on the box of ``scope`` or on the boxes now inside it."""
        scene = self.scene
        if not scope:
            return
        item = scene.item_index.get(scope)
        if item is None:
            inside = [i for i, n in enumerate(self.graph.nodes) if n.scope.startswith(scope)]
            if not inside:
                return
            item = scene.item_of_node(inside[0])
        vp = self.canvas.viewport
        vp.set_view(float(scene.layout.x[item]), float(scene.layout.y[item]), vp.scale)

    def _activate(self, item: int) -> None:
        if self.scene.is_scope(item):
            self.toggle_scope(self.scene.view.key[item])
        else:
            scope = self.graph.nodes[self.scene.node_index[self.scene.view.key[item]]].scope
            if scope:
                self.toggle_scope(scope)

    # -- selection, search, highlight ----------------------------------------------------
    def select_item(self, item: int) -> None:
        self.canvas.style_state.selected = item
        self.details.show_item(self.scene, item, self.times)
        self.canvas.update()
        if item >= 0:
            self.node_selected.emit(self.scene.view.key[item])

    def select_node(self, name: str) -> int:
        """Select the box showing node ``name`` (its collapsed scope if it is inside one)."""
        index = self.scene.node_index.get(name)
        if index is None:
            return -1
        item = self.scene.item_of_node(index)
        self.select_item(item)
        if self.scene.is_node(item):
            self.details.show_item(self.scene, item, self.times)
        return item

    def search(self, text: str) -> int:
        count = self.cursor.search(self.graph, text)
        self.match_label.setText(f"{count:,} found" if text.strip() else "")
        self._refresh_highlight()
        return count

    def step(self, direction: int) -> int:
        """Select the next (+1) or previous (-1) match in graph order; its node index."""
        node = self.cursor.step(direction)
        if node >= 0:
            self.match_label.setText(f"{self.cursor.current + 1:,} of {self.cursor.matches.size:,}")
            self.reveal(node)
        return node

    def reveal(self, node: int, zoom: bool = False) -> None:
        """Select graph node ``node`` in its own box and bring it into view (``zoom``: zoom
        to it); the scopes that hide it open first, laid out off this thread, so a search
        or "Show in graph" lands on the node rather than on a collapsed scope."""
        item = self.scene.item_of_node(node)
        opened = set(self.scene.expanded) | set(ancestors(self.graph.nodes[node].scope))
        if self.scene.is_scope(item):  # a weight shown inside the scope that reads it
            opened |= set(ancestors(self.scene.view.key[item]))
        if self.scene.is_node(item) or opened == self.scene.expanded:
            self._pending = None
            self.select_item(item)
            self.zoom_to_selection() if zoom else self._centre(item)
            self.revealed.emit(self.graph.nodes[node].name)
            return
        self._pending = (node, zoom)
        self.set_expanded(opened)

    def show_node(self, name: str) -> bool:
        """Reveal and zoom to node ``name``, in the other graph of a diff if it is there;
        False when neither graph has it. An onnxruntime node that ran fused or rewritten
        nodes shows the node its time is counted on."""
        ran = {t.ran_as: n for n, t in (self.times or {}).items() if t.ran_as and not t.counted_on}
        name = name if name in self.scene.node_index else ran.get(name, name)
        if name not in self.scene.node_index and self.diff is not None:
            other = "after" if self.diff[1] == "before" else "before"
            if name in self.sides[other].node_index:
                self.swap_sides()
        index = self.scene.node_index.get(name)
        if index is not None:
            self.reveal(index, zoom=True)
        return index is not None

    def highlight_op(self, op_type: str | None) -> int:
        """Outline every node of ``op_type`` (None clears); the number of nodes."""
        self._highlight_op = op_type
        self._refresh_highlight()
        if op_type is None:
            return 0
        return sum(1 for n in self.graph.nodes if n.op_type == op_type)

    def _refresh_highlight(self) -> None:
        scene = self.scene
        op = getattr(self, "_highlight_op", None)
        nodes = self.cursor.matches
        if op is not None:
            nodes = np.asarray(
                [i for i, n in enumerate(self.graph.nodes) if n.op_type == op], np.int64
            )
        if op is None and not self.cursor.query.strip():
            self.canvas.style_state.highlight = None
        else:
            mask = np.zeros(scene.view.items, dtype=bool)
            mask[scene.view.node_item[nodes]] = True
            self.canvas.style_state.highlight = mask
        self.canvas.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.search_box and event.type() == QEvent.Type.KeyPress:
            key_event: QKeyEvent = event
            if key_event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                shift = key_event.modifiers() & Qt.KeyboardModifier.ShiftModifier
                self.step(-1 if shift else 1)
                return True
        return super().eventFilter(watched, event)

    # -- viewport ----------------------------------------------------------------------
    def fit(self) -> None:
        self.canvas.viewport.fit(self.scene.bounds)

    def _centre(self, item: int) -> None:
        if item >= 0:
            vp = self.canvas.viewport
            scale = max(vp.scale, FOCUS_SCALE * 0.6)
            vp.set_view(float(self.scene.layout.x[item]), float(self.scene.layout.y[item]), scale)

    def zoom_to_selection(self) -> None:
        item = self.canvas.style_state.selected
        if item < 0:
            return
        s = self.scene
        rect = (s.x0[item], s.y0[item], s.x1[item], s.y1[item])
        pad = 4 * float(s.layout.height[item])
        self.canvas.viewport.fit(
            (rect[0] - pad, rect[1] - pad, rect[2] + pad, rect[3] + pad), max_scale=2.0
        )

    def shown_scopes(self) -> list[str]:
        return [
            k
            for k, kind in zip(self.scene.view.key, self.scene.view.kind, strict=True)
            if kind == SCOPE
        ]
