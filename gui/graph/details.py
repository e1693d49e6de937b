"""The details of the clicked box: a node's attributes, tensors with shapes, weights as
statistics and a histogram, measured times; a collapsed scope's contents."""

from __future__ import annotations

from collections import Counter
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QTextBrowser, QVBoxLayout, QWidget

from opscope.backend.contracts.graph import NodeTime
from opscope.backend.graph.model import Initializer, TensorStats
from opscope.backend.graph.svg import shape_text
from opscope.backend.graph.view import SCOPE
from opscope.gui.graph.scene import GraphScene

TOP_OPS = 12
HISTOGRAM_HEIGHT = 170


def _row(*cells: str) -> str:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f} ms"


def _folded_into(scene: GraphScene, index: int) -> dict[str, str]:
    """Output tensor -> op type of each weight node the view folds into node ``index``."""
    nodes = scene.graph.nodes
    return {
        tensor: nodes[weight].op_type
        for weight, host in scene.view.folded.items()
        if host == index
        for tensor in nodes[weight].outputs
    }


def _names(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(escape(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _time_text(name: str, t: NodeTime) -> str:
    """Runs and times, and where onnxruntime ran the node when it fused or rewrote it."""
    lines = [f"runs {t.count:,} · total {_ms(t.total_ns)} · self {_ms(t.self_ns)}"]
    ran = f"<b>{escape(t.ran_as)}</b> ({escape(t.ran_op)})"
    if t.counted_on:
        lines.append(
            f"ran fused into {ran} with {_names(t.fused_with)}; "
            f"its time is counted on <b>{escape(t.counted_on)}</b>"
        )
    elif t.fused_with:
        lines.append(f"ran fused as {ran} with {_names(t.fused_with)}; the time is theirs too")
    elif t.ran_as and t.ran_as != name:
        lines.append(f"ran as {ran}, rewritten by onnxruntime")
    if t.added:
        lines.append(
            f"includes {_ms(t.added_ns)} of {_names(t.added)} added by onnxruntime "
            "(layout reorders for this node)"
        )
    return "<p>" + "<br>".join(lines) + "</p>"


class NodeDetails(QWidget):
    stats_requested = Signal(str)  # initializer name whose statistics are not loaded yet
    trace_requested = Signal(str)  # node whose first slice "Show in trace" asks for

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QTextBrowser(self)
        self.text.setOpenLinks(False)
        self.histogram = pg.PlotWidget(self, background="w")
        # a fixed height: the text above scrolls, the histogram never gets squeezed flat
        self.histogram.setFixedHeight(HISTOGRAM_HEIGHT)
        self.histogram.setMouseEnabled(x=False, y=False)
        self.histogram.hideButtons()
        self.histogram.hide()
        self.stats_button = QPushButton("Compute weight statistics", self)
        self.stats_button.hide()
        self.stats_button.clicked.connect(self._ask_stats)
        self._pending: str = ""
        self.trace_button = QPushButton("Show in trace", self)
        self.trace_button.setToolTip(
            "Open this model's onnxruntime profile at the first run of this node "
            "(profiles the model first if needed)"
        )
        self.trace_button.hide()
        self.trace_button.clicked.connect(lambda: self.trace_requested.emit(self.trace_event))
        self.node = ""  # the node shown, "" for a scope, a tensor or nothing
        self.trace_event = ""  # the onnxruntime node whose slices show the node's runs
        self.can_trace = True  # the graph is the one onnxruntime profiles
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.trace_button)
        layout.addWidget(self.stats_button)
        layout.addWidget(self.histogram)
        self.clear()

    def clear(self) -> None:
        self.text.setHtml("<p style='color:#666'>Click a box to see its details.</p>")
        self.histogram.hide()
        self.stats_button.hide()

    def show_item(self, scene: GraphScene, item: int, times: dict | None = None) -> None:
        self.node = ""
        self.trace_button.hide()
        if item < 0:
            self.clear()
            return
        if int(scene.view.kind[item]) == SCOPE:
            self._show_scope(scene, item, times)
            return
        node_index = scene.node_index.get(scene.view.key[item])
        if node_index is None:
            self._show_tensor(scene, item)
            return
        self._show_node(scene, node_index, times)

    def _show_scope(self, scene: GraphScene, item: int, times: dict | None) -> None:
        nodes = [scene.graph.nodes[i] for i in scene.nodes_of_item(item)]
        ops = Counter(n.op_type for n in nodes).most_common(TOP_OPS)
        parts = [
            f"<h3>{escape(scene.view.key[item])}</h3>",
            f"<p>collapsed scope · {len(nodes):,} nodes · double-click to open</p>",
            "<table>" + "".join(_row(escape(op), f"{n:,}") for op, n in ops) + "</table>",
        ]
        if times:
            total = sum(times[n.name].self_ns for n in nodes if n.name in times)
            parts.append(f"<p>self time (sum of its nodes): {_ms(total)}</p>")
        self.text.setHtml("".join(parts))
        self.histogram.hide()
        self.stats_button.hide()

    def _show_tensor(self, scene: GraphScene, item: int) -> None:
        name = scene.view.key[item]
        edge = next((e for e in scene.graph.edges if e.tensor == name), None)
        shape = shape_text(edge.shape, edge.dtype) if edge else "?"
        self.text.setHtml(f"<h3>{escape(name)}</h3><p>graph input / output · {escape(shape)}</p>")
        self.histogram.hide()
        self.stats_button.hide()

    def _show_node(self, scene: GraphScene, index: int, times: dict | None) -> None:
        graph = scene.graph
        node = graph.nodes[index]
        self.node = node.name
        self.trace_button.setVisible(self.can_trace)
        measured = times.get(node.name) if times else None
        # a node onnxruntime fused or rewrote shows the slices of the node it ran as
        self.trace_event = (measured.ran_as or node.name) if measured else node.name
        self.trace_button.setEnabled(not times or measured is not None)
        types = {e.tensor: e for e in graph.edges}
        weights = {i.name: i for i in graph.initializers}
        parts = [
            f"<h3>{escape(node.op_type)}</h3><p><b>{escape(node.name)}</b><br>"
            f"scope: {escape(node.scope or '(top)')}</p>"
        ]
        if measured is not None:
            parts.append(_time_text(node.name, measured))
        elif times:
            parts.append(
                "<p>did not run in onnxruntime: its optimizer folded it into weights or "
                "removed it</p>"
            )
        if node.attributes:
            rows = "".join(_row(escape(k), escape(v)) for k, v in node.attributes.items())
            parts.append(f"<h4>Attributes</h4><table>{rows}</table>")
        folded = _folded_into(scene, index)
        if folded:
            parts.append(f"<p>{len(folded)} weight nodes folded into this box (Fold weights)</p>")
        for title, tensors in (("Inputs", node.inputs), ("Outputs", node.outputs)):
            rows = []
            for tensor in tensors:
                if tensor in weights:
                    w = weights[tensor]
                    rows.append(
                        _row(escape(tensor), escape(shape_text(w.shape, w.dtype)), "weight")
                    )
                else:
                    edge = types.get(tensor)
                    shape = shape_text(edge.shape, edge.dtype) if edge else "?"
                    kind = "variable" if folded.get(tensor) == "ReadVariableOp" else ""
                    rows.append(_row(escape(tensor), escape(shape), kind))
            parts.append(f"<h4>{title}</h4><table>{''.join(rows)}</table>")
        shown = [weights[t] for t in [*node.inputs, *node.outputs] if t in weights]
        parts += [self._weight_text(w) for w in shown]
        self.text.setHtml("".join(parts))
        self._plot(next((w for w in shown if w.stats is not None), None))
        missing = next((w for w in shown if w.stats is None), None)
        self._pending = missing.name if missing else ""
        self.stats_button.setVisible(missing is not None)

    @staticmethod
    def _weight_text(weight: Initializer) -> str:
        shape = escape(shape_text(weight.shape, weight.dtype))
        head = f"<h4>Weight {escape(weight.name)}</h4><p>{shape}"
        s = weight.stats
        if s is None:
            return head + "</p>"
        sampled = " (sampled)" if s.sampled else ""
        return (
            f"{head}<br>min {s.min:.4g} · max {s.max:.4g} · mean {s.mean:.4g} · "
            f"std {s.std:.4g}{sampled}</p>"
        )

    def _plot(self, weight: Initializer | None) -> None:
        self.histogram.clear()
        if weight is None or weight.stats is None:
            self.histogram.hide()
            return
        self.show_stats(weight.name, weight.stats)

    def show_stats(self, name: str, stats: TensorStats) -> None:
        counts = np.asarray(stats.counts, dtype=np.float64)
        edges = np.linspace(
            stats.min, stats.max if stats.max > stats.min else stats.min + 1, counts.size + 1
        )
        self.histogram.clear()
        self.histogram.plot(
            edges, counts, stepMode="center", fillLevel=0, brush=(70, 130, 180, 160)
        )
        self.histogram.setTitle(f"{name}: histogram of values")
        self.histogram.show()

    def _ask_stats(self) -> None:
        if self._pending:
            self.stats_requested.emit(self._pending)
