"""Contracts of the graph jobs: lay out a model's graph, read one weight's statistics."""

from __future__ import annotations

import msgspec

from opscope.backend.contracts.base import Contract


class TensorStats(msgspec.Struct, frozen=True, kw_only=True):
    """Summary statistics of a weight, with a histogram of ``bins`` over [min, max]."""

    min: float
    max: float
    mean: float
    std: float
    counts: list[int]
    sampled: bool = False  # statistics of an evenly spaced sample of a very large tensor


class GraphParams(Contract):
    path: str  # the model (file or SavedModel folder)
    expanded: list[str] | None = None  # open scopes; None: the view a model opens with
    converted: bool = False  # the graph of the model converted to ONNX, not the native one


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
