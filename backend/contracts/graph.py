"""Contracts of the graph jobs: lay out a model's graph, read one weight's statistics."""

from __future__ import annotations

from opscope.backend.contracts.base import Contract
from opscope.backend.graph.model import TensorStats


class GraphParams(Contract):
    path: str  # the model (file or SavedModel folder)
    expanded: list[str] | None = None  # open scopes; None: the view a model opens with


class GraphResult(Contract):
    """The graph, its view and layout travel as ``graph_file`` (msgpack in the cache)."""

    path: str
    graph_file: str
    format: str
    native: bool
    note: str
    nodes: int
    edges: int
    items: int  # boxes in the initial view (nodes and collapsed scopes)
    layout_s: float


class TensorStatsParams(Contract):
    path: str  # an ONNX model
    tensor: str  # initializer name


class TensorStatsResult(Contract):
    tensor: str
    stats: TensorStats | None
