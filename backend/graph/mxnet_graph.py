"""MXNet symbols as a :class:`ModelGraph`, read from the symbol JSON itself.

Every operator of the symbol is a node; its ``null`` nodes are what the summary counts them
as: inputs (graph inputs here) and weights (initializers). Output ``i`` of node ``n`` is the
tensor ``n_output`` / ``n_output{i}`` (MXNet's names); a ``null`` node's tensor is its own
name. The symbol itself records shapes only as ``__shape__``; given the input shapes (the
user's, or the ones the model page suggests), MXNet's own ``infer_shape`` types every edge.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from opscope.backend.graph.model import GraphNode, Initializer, ModelGraph, Shape, native_graph
from opscope.backend.graph.stats import tensor_stats
from opscope.backend.inputs import InputSpec
from opscope.backend.models.base import ModelAdapter

NO_SHAPES = "the MXNet symbol records no tensor shapes; give the input shapes to infer them"


def _tensor(nodes: list[dict], node_id: int, index: int) -> str:
    node = nodes[node_id]
    if node["op"] == "null":
        return node["name"]
    return f"{node['name']}_output{index or ''}"


def _shape(text: str) -> Shape:
    dims = json.loads(text.replace("(", "[").replace(")", "]").replace(",]", "]"))
    return [int(d) if int(d) > 0 else "?" for d in dims]


def _recorded_types(raw: list[dict], outputs_of: dict[int, set[int]]) -> dict:
    """The shapes the symbol's ``__shape__`` attributes record."""
    types: dict[str, tuple[Shape, str | None]] = {}
    for node_id, node in enumerate(raw):
        attrs = node.get("attrs") or {}
        if "__shape__" not in attrs:
            continue
        tensor = _tensor(raw, node_id, min(outputs_of.get(node_id, {0})))
        dtype = attrs.get("__dtype__") if node["op"] != "null" else "float32"
        types[tensor] = (_shape(attrs["__shape__"]), dtype)
    return types


def inferred_types(symbol: dict, specs: Sequence[InputSpec], params: dict) -> dict | None:
    """Every tensor's shape and dtype as MXNet infers them from the input shapes and the
    weights' own; None when a shape is missing or MXNet rejects them."""
    if not specs or any(s.shape is None or None in s.shape for s in specs):
        return None
    from opscope.backend.models.mxnet_model import _import_mxnet

    mx = _import_mxnet()
    internals = mx.sym.load_json(json.dumps(symbol)).get_internals()
    arguments = set(internals.list_arguments())
    shapes = {name: a.shape for name, a in params.items() if name in arguments}
    shapes |= {s.name: tuple(int(d) for d in s.shape) for s in specs}
    dtypes = {s.name: np.dtype(s.dtype) for s in specs}
    try:
        _, out_shapes, _ = internals.infer_shape(**shapes)
        _, out_types, _ = internals.infer_type(**dtypes)
    except mx.base.MXNetError:
        return None
    if out_shapes is None or out_types is None:
        return None
    return {
        name: ([int(d) for d in shape], np.dtype(dtype).name)
        for name, shape, dtype in zip(internals.list_outputs(), out_shapes, out_types, strict=True)
    }


def mxnet_graph(adapter: ModelAdapter, specs: Sequence[InputSpec] = ()) -> ModelGraph:
    """``specs``: the inputs with their shapes, for MXNet to infer every edge's shape."""
    symbol = adapter.graph
    raw = symbol["nodes"]
    outputs_of: dict[int, set[int]] = {}
    for node in raw:
        for node_id, index, *_ in node["inputs"]:
            outputs_of.setdefault(node_id, set()).add(index)
    for node_id, index, *_ in symbol["heads"]:
        outputs_of.setdefault(node_id, set()).add(index)
    nodes = [
        GraphNode(
            name=node["name"],
            op_type=node["op"],
            scope="",
            inputs=[_tensor(raw, i[0], i[1]) for i in node["inputs"]],
            outputs=[_tensor(raw, node_id, i) for i in sorted(outputs_of.get(node_id, {0}))],
            attributes={k: str(v) for k, v in (node.get("attrs") or {}).items()},
        )
        for node_id, node in enumerate(raw)
        if node["op"] != "null"
    ]
    outputs = [_tensor(raw, h[0], h[1]) for h in symbol["heads"]]
    inputs = [n["name"] for n in raw if n["op"] == "null" and n["name"] not in adapter.params]
    types = inferred_types(symbol, specs, adapter.params)
    note = "" if types is not None else NO_SHAPES
    if types is None:
        types = _recorded_types(raw, outputs_of)
    initializers = [
        Initializer(
            name=name,
            shape=list(array.shape),
            dtype=np.dtype(array.dtype).name,
            stats=tensor_stats(array.asnumpy()),
        )
        for name, array in adapter.params.items()
    ]
    return native_graph(adapter.format, nodes, inputs, outputs, types, initializers, note)
