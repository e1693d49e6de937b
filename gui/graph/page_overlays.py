"""The Graph page's overlays: measured times, INT8 errors and a diff with another graph
(whose two sides the page swaps between), each recoloured over the scene shown."""

from __future__ import annotations

import numpy as np

from opscope.backend.contracts.graph import GraphDiff
from opscope.backend.graph.files import load_graph_file
from opscope.backend.graph.view import all_scopes
from opscope.gui.graph import measures
from opscope.gui.graph.measures import OVERLAYS
from opscope.gui.graph.scene import GraphScene


class PageOverlays:
    """Mixed into :class:`GraphPage`, which owns the canvas, the overlay box and the legend."""

    # -- overlays ----------------------------------------------------------------------
    def set_node_times(self, times: dict) -> None:
        """Measured times per node name (``NodeTime``); shows the time overlay."""
        self.times = times
        self.overlay_box.setCurrentIndex(OVERLAYS.index("Measured time"))
        self._refresh_overlay()

    def set_node_errors(self, errors: dict[str, float]) -> None:
        """Quantization error per node name, as the optimizer measured it."""
        self.errors = errors
        self.overlay_box.setCurrentIndex(OVERLAYS.index("Quantization error"))
        self._refresh_overlay()

    def set_diff(self, diff: GraphDiff, other_file: str) -> None:
        """Colour nodes by how ``diff`` (this graph → the one in ``other_file``) changed
        them; the swap button shows the other graph where this one was being looked at."""
        other, expanded, layout = load_graph_file(other_file)
        self.sides = {
            "before": self.scene,
            "after": GraphScene.from_parts(other, expanded, layout),
        }
        self.diff = (diff, "before")
        self.swap_button.show()
        self.overlay_box.setCurrentIndex(OVERLAYS.index("Diff"))
        self._refresh_overlay()

    def swap_sides(self) -> str:
        """Show the other graph of the diff, centred on the counterpart of the box at the
        centre of the window; returns the side now shown."""
        diff, side = self.diff
        other = "after" if side == "before" else "before"
        vp = self.canvas.viewport
        anchor = self._item_near(vp.cx, vp.cy)
        name = self.scene.view.key[anchor] if anchor >= 0 else ""
        pairs = {
            (c.before if side == "before" else c.after): (c.after if side == "before" else c.before)
            for c in diff.changes
        }
        self.sides[side] = self.scene
        scene = self.sides[other]
        self.graph, self.scopes, self.diff = scene.graph, all_scopes(scene.graph), (diff, other)
        self._fill_ops()
        self._show(scene)
        target = scene.node_index.get(pairs.get(name) or "")
        if target is not None:
            item = scene.item_of_node(target)
            vp.set_view(float(scene.layout.x[item]), float(scene.layout.y[item]), vp.scale)
        self.swap_button.setText("Show first graph" if other == "after" else "Show second graph")
        return other

    def _item_near(self, x: float, y: float) -> int:
        scene = self.scene
        if scene.view.items == 0:
            return -1
        return int(np.argmin(np.hypot(scene.layout.x - x, scene.layout.y - y)))

    def item_times(self) -> np.ndarray:
        return measures.item_times(self.scene, self.times or {})

    def item_errors(self) -> np.ndarray:
        return measures.item_errors(self.scene, self.errors or {})

    def _refresh_overlay(self) -> None:
        choice = OVERLAYS[self.overlay_box.currentIndex()]
        overlay, legend = measures.shown_overlay(
            choice, self.scene, self.times, self.errors, self.diff
        )
        self.canvas.style_state.overlay = overlay
        self.legend.setText(legend)
        self.legend.setToolTip(legend)
        self.legend.setVisible(bool(legend))
        self.canvas.update()
