"""Contracts of the graph jobs: lay out a model's graph, read one weight's statistics, diff
two graphs, join a profile's times to the nodes."""

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
    inputs: tuple[str, ...] = ()  # NAME:SHAPE:DTYPE for files that record no input shapes


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


class NodeChange(msgspec.Struct, frozen=True):
    kind: str  # one of diff.KINDS
    before: str | None  # node name in the first graph
    after: str | None  # node name in the second graph


class GraphDiff(Contract):
    """What changed from the first graph to the second, node by node, with counts per kind."""

    changes: list[NodeChange]
    counts: dict[str, int]

    def of_kind(self, kind: str) -> list[NodeChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def changed(self) -> bool:
        return any(c.kind != "kept" for c in self.changes)


class GraphDiffParams(Contract):
    first: str  # graph files the model_graph job wrote
    second: str


class NodeTime(msgspec.Struct, frozen=True):
    """A node's runs in an onnxruntime profile. A node onnxruntime fused with others ran
    as ``ran_as`` (op ``ran_op``) together with ``fused_with``; that node's time is counted
    on one of them, the others name it in ``counted_on`` and have no time of their own.
    ``added`` are layout reorders onnxruntime inserted for this node; their time
    (``added_ns``) is part of ``total_ns`` and ``self_ns``."""

    count: int
    total_ns: int
    self_ns: int
    ran_as: str = ""  # the onnxruntime node whose events these are; "": this node's own
    ran_op: str = ""
    fused_with: list[str] = []
    counted_on: str = ""
    added_ns: int = 0
    added: list[str] = []


class NodeTimesParams(Contract):
    trace_file: str  # an onnxruntime profile as the import_trace job saved it
    profile: str = ""  # the profile it was imported from: finds the graph onnxruntime ran
    graph_file: str = ""  # the graph shown (model_graph's file): fused nodes map onto it


class NodeTimesResult(Contract):
    times: dict[str, NodeTime]  # per node name
