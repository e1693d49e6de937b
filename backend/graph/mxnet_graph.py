"""MXNet symbols as a :class:`ModelGraph`, read from the symbol JSON itself.

Every operator of the symbol is a node; its ``null`` nodes are what the summary counts them
as: inputs (graph inputs here) and weights (initializers). Output ``i`` of node ``n`` is the
tensor ``n_output`` / ``n_output{i}`` (MXNet's names); a ``null`` node's tensor is its own
name. The symbol records shapes only as ``__shape__``.
"""

from __future__ import annotations

import json

import numpy as np

from opscope.backend.graph.model import GraphNode, Initializer, ModelGraph, Shape, tensor_edges
from opscope.backend.graph.stats import tensor_stats
from opscope.backend.models.base import ModelAdapter


def _tensor(nodes: list[dict], node_id: int, index: int) -> str:
    node = nodes[node_id]
    if node["op"] == "null":
        return node["name"]
    return f"{node['name']}_output{index or ''}"


def _shape(text: str) -> Shape:
    dims = json.loads(text.replace("(", "[").replace(")", "]").replace(",]", "]"))
    return [int(d) if int(d) > 0 else "?" for d in dims]


def mxnet_graph(adapter: ModelAdapter) -> ModelGraph:
    symbol = adapter.graph
    raw = symbol["nodes"]
    outputs_of: dict[int, set[int]] = {}
    for node in raw:
        for node_id, index, *_ in node["inputs"]:
            outputs_of.setdefault(node_id, set()).add(index)
    for node_id, index, *_ in symbol["heads"]:
        outputs_of.setdefault(node_id, set()).add(index)
    nodes = []
    types: dict[str, tuple[Shape, str | None]] = {}
    for node_id, node in enumerate(raw):
        if node["op"] == "null":
            continue
        outputs = [_tensor(raw, node_id, i) for i in sorted(outputs_of.get(node_id, {0}))]
        attrs = {k: str(v) for k, v in (node.get("attrs") or {}).items()}
        if "__shape__" in attrs:
            types[outputs[0]] = (_shape(attrs["__shape__"]), attrs.get("__dtype__"))
        nodes.append(
            GraphNode(
                name=node["name"],
                op_type=node["op"],
                scope="",
                inputs=[_tensor(raw, i[0], i[1]) for i in node["inputs"]],
                outputs=outputs,
                attributes=attrs,
            )
        )
    outputs = [_tensor(raw, h[0], h[1]) for h in symbol["heads"]]
    inputs = [n["name"] for n in raw if n["op"] == "null" and n["name"] not in adapter.params]
    for node in raw:
        shape = (node.get("attrs") or {}).get("__shape__")
        if node["op"] == "null" and shape:
            types[node["name"]] = (_shape(shape), "float32")
    initializers = [
        Initializer(
            name=name,
            shape=list(array.shape),
            dtype=np.dtype(array.dtype).name,
            stats=tensor_stats(array.asnumpy()),
        )
        for name, array in adapter.params.items()
    ]
    return ModelGraph(
        format=adapter.format,
        native=True,
        note="the MXNet symbol records no tensor shapes",
        nodes=nodes,
        edges=tensor_edges(nodes, inputs, outputs, types),
        inputs=inputs,
        outputs=outputs,
        initializers=initializers,
    )
