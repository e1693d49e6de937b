"""The one graph every format is lowered to: nodes, tensor edges, initializers.

It is a msgspec struct so that the graph job can write it to a file the GUI reads back
strictly typed, and so that ``opscope graph --json`` prints exactly its fields. Edges are
derived from the nodes' tensor names (:func:`tensor_edges`), the same way for every format:
a tensor produced by a node, or fed as a graph input, connects its producer to each reader;
weights (initializers, constants read from a file) are not edges but details of a node.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from opscope.backend.contracts.graph import TensorStats

Dim = int | str
Shape = list[Dim] | None


class Initializer(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    shape: list[int]
    dtype: str
    stats: TensorStats | None = None  # None: computed on request (a large model)


class GraphNode(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    op_type: str
    scope: str  # "/"-separated module path, "" at the top
    inputs: list[str]
    outputs: list[str]
    attributes: dict[str, str] = {}


class GraphEdge(msgspec.Struct, frozen=True, kw_only=True):
    tensor: str
    src: str = msgspec.field(name="from")  # node name, or the graph input's tensor name
    dst: str = msgspec.field(name="to")  # node name, or the graph output's tensor name
    shape: Shape = None
    dtype: str | None = None


class ModelGraph(msgspec.Struct, frozen=True, kw_only=True):
    format: str
    native: bool  # False: the converted ONNX is shown (see ``note``)
    note: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    inputs: list[str]
    outputs: list[str]
    initializers: list[Initializer] = []


def tensor_edges(
    nodes: Sequence[GraphNode],
    graph_inputs: Iterable[str],
    graph_outputs: Iterable[str],
    tensor_types: dict[str, tuple[Shape, str | None]],
) -> list[GraphEdge]:
    """Edges in node order: one per (tensor, reader), then one per graph output."""
    producer = {name: name for name in graph_inputs}
    for node in nodes:
        for tensor in node.outputs:
            producer[tensor] = node.name
    edges: list[GraphEdge] = []

    def edge(tensor: str, src: str, dst: str) -> GraphEdge:
        shape, dtype = tensor_types.get(tensor, (None, None))
        return GraphEdge(tensor=tensor, src=src, dst=dst, shape=shape, dtype=dtype)

    for node in nodes:
        for tensor in dict.fromkeys(node.inputs):
            if tensor in producer:
                edges.append(edge(tensor, producer[tensor], node.name))
    for tensor in graph_outputs:
        if tensor in producer:
            edges.append(edge(tensor, producer[tensor], tensor))
    return edges


def native_graph(
    fmt: str,
    nodes: list[GraphNode],
    inputs: list[str],
    outputs: list[str],
    types: dict[str, tuple[Shape, str | None]],
    initializers: list[Initializer],
    note: str = "",
) -> ModelGraph:
    """The graph a format's extractor walked itself: edges joined from the nodes' tensor
    names (:func:`tensor_edges`) and typed by ``types``."""
    return ModelGraph(
        format=fmt,
        native=True,
        note=note,
        nodes=nodes,
        edges=tensor_edges(nodes, inputs, outputs, types),
        inputs=inputs,
        outputs=outputs,
        initializers=initializers,
    )


def headless_json(graph: ModelGraph) -> dict:
    """The ``opscope graph --json`` object: nodes and edges with the issue's fields."""
    nodes = [
        {
            "name": n.name,
            "op_type": n.op_type,
            "scope": n.scope,
            "inputs": n.inputs,
            "outputs": n.outputs,
        }
        for n in graph.nodes
    ]
    return {
        "format": graph.format,
        "native": graph.native,
        "note": graph.note,
        "nodes": nodes,
        "edges": msgspec.to_builtins(graph.edges),
    }
