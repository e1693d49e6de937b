"""What the canvas draws: one laid-out view of a graph, as arrays, with spatial look-ups.

Boxes are kept sorted by their top edge, so the boxes in a window are one
``np.searchsorted`` plus a mask; edge segments carry their bounding boxes for the same
test. Nothing here creates a Python object per node while drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opscope.backend.graph.layout import Layout
from opscope.backend.graph.model import ModelGraph
from opscope.backend.graph.view import NODE, SCOPE, GraphView, build_view

Rect = tuple[float, float, float, float]  # left, top, right, bottom in world units
STUB_UNITS = 40.0  # a long edge is drawn as this much line out of its source and into its reader


def _stubs(segments: np.ndarray) -> np.ndarray:
    """Both ends of each long segment: edges that run the length of a deep model are
    noise in every window they cross (and costly to rasterize); their ends say enough,
    and a selected node's long edges are drawn whole."""
    x0, y0, x1, y1 = segments.T
    length = np.maximum(np.hypot(x1 - x0, y1 - y0), 1e-9)
    t = np.minimum(STUB_UNITS / length, 0.5)
    head = np.column_stack((x0, y0, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    tail = np.column_stack((x1 - (x1 - x0) * t, y1 - (y1 - y0) * t, x1, y1))
    return np.concatenate((head, tail))


@dataclass
class GraphScene:
    graph: ModelGraph
    view: GraphView
    layout: Layout
    expanded: frozenset[str]
    fold_weights: bool = True  # constants and variables shown in their readers' boxes

    def __post_init__(self) -> None:
        layout = self.layout
        self.x0 = layout.x - layout.width / 2
        self.x1 = layout.x + layout.width / 2
        self.y0 = layout.y - layout.height / 2
        self.y1 = layout.y + layout.height / 2
        self.by_top = np.argsort(self.y0, kind="stable")
        self.top_sorted = self.y0[self.by_top]
        self.tallest = float(layout.height.max()) if layout.height.size else 0.0
        self.box_height = float(np.median(layout.height)) if layout.height.size else 0.0
        s = layout.segments
        self.seg_x0 = np.minimum(s[:, 0], s[:, 2])
        self.seg_x1 = np.maximum(s[:, 0], s[:, 2])
        self.seg_y0 = np.minimum(s[:, 1], s[:, 3])
        self.seg_y1 = np.maximum(s[:, 1], s[:, 3])
        span = layout.layer[self.view.dst] - layout.layer[self.view.src]
        self.seg_long = span[layout.segment_edge] > 8 if span.size else np.zeros(0, bool)
        self.stubs = _stubs(layout.segments[self.seg_long])
        self.ops = sorted(set(self.view.label) | {"·scope"})
        op_index = {op: i for i, op in enumerate(self.ops)}
        self.op_id = np.fromiter(
            (
                op_index["·scope"] if kind == SCOPE else op_index[label]
                for kind, label in zip(self.view.kind.tolist(), self.view.label, strict=True)
            ),
            dtype=np.int64,
            count=self.view.items,
        )
        self.node_index = {node.name: i for i, node in enumerate(self.graph.nodes)}
        self.item_index = {key: i for i, key in enumerate(self.view.key)}
        self.first_segment = np.full(self.view.src.size, -1, dtype=np.int64)
        order = np.arange(layout.segment_edge.size)[::-1]
        self.first_segment[layout.segment_edge[order]] = order  # the first one written wins

    def edges_of_item(self, item: int) -> np.ndarray:
        """Segments of the edges into or out of ``item``."""
        edges = np.flatnonzero((self.view.src == item) | (self.view.dst == item))
        return np.flatnonzero(np.isin(self.layout.segment_edge, edges))

    @classmethod
    def build(cls, graph: ModelGraph, expanded: set[str], fold_weights: bool = True) -> GraphScene:
        """View and layout of ``graph`` with ``expanded`` open (run off the GUI thread)."""
        view = build_view(graph, expanded, fold_weights)
        return cls(graph, view, view.lay_out(), frozenset(expanded), fold_weights)

    @classmethod
    def from_parts(cls, graph: ModelGraph, expanded: set[str], layout: Layout) -> GraphScene:
        """The graph job's layout (laid out with weights folded, the view's default)."""
        return cls(graph, build_view(graph, expanded), layout, frozenset(expanded))

    @property
    def bounds(self) -> Rect:
        return self.layout.bounds

    def items_in(self, rect: Rect) -> np.ndarray:
        left, top, right, bottom = rect
        begin = int(np.searchsorted(self.top_sorted, top - self.tallest, side="left"))
        end = int(np.searchsorted(self.top_sorted, bottom, side="right"))
        candidates = self.by_top[begin:end]
        keep = (
            (self.y1[candidates] >= top)
            & (self.x1[candidates] >= left)
            & (self.x0[candidates] <= right)
        )
        return np.sort(candidates[keep])

    def segments_in(self, rect: Rect) -> np.ndarray:
        left, top, right, bottom = rect
        return np.flatnonzero(
            (self.seg_x1 >= left)
            & (self.seg_x0 <= right)
            & (self.seg_y1 >= top)
            & (self.seg_y0 <= bottom)
        )

    def item_at(self, x: float, y: float, slop: float = 0.0) -> int:
        """The box under world point (x, y), -1 for none."""
        hits = self.items_in((x - slop, y - slop, x + slop, y + slop))
        return int(hits[0]) if hits.size else -1

    def item_of_node(self, node: int) -> int:
        return int(self.view.node_item[node])

    def nodes_of_item(self, item: int) -> np.ndarray:
        return np.flatnonzero(self.view.node_item == item)

    def is_scope(self, item: int) -> bool:
        return int(self.view.kind[item]) == SCOPE

    def is_node(self, item: int) -> bool:
        return int(self.view.kind[item]) == NODE
