"""ONNX models as a :class:`ModelGraph`, with edge shapes from ONNX shape inference.

Node names and op types are those of the summary (:func:`op_nodes`), so the graph view and
``opscope inspect`` count the same nodes. Shape inference runs on the graph without its
weights loaded; a model it cannot infer keeps the shapes the file declares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.graph.model import GraphNode, Initializer, ModelGraph, Shape, native_graph
from opscope.backend.graph.scopes import scope_of_name, scope_of_namespace
from opscope.backend.graph.stats import tensor_stats
from opscope.backend.models.onnx_model import load_onnx, op_nodes, value_info
from opscope.backend.summary import path_size
from opscope.errors import OpscopeError

EAGER_STATS_BYTES = 64 << 20  # weights of smaller models get statistics in the graph job
ATTRIBUTE_CHARS = 160


def _infer(model: Any) -> Any:
    """The model with inferred value_info; the model itself when inference fails."""
    import onnx

    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception:  # custom domains, malformed graphs: shapes stay as declared
        return model


def tensor_types(graph: Any) -> dict[str, tuple[Shape, str | None]]:
    """Shape (ints and dimension names, None when unknown) and dtype of every typed tensor."""
    types: dict[str, tuple[Shape, str | None]] = {}
    for value in [*graph.value_info, *graph.input, *graph.output]:
        if not value.type.HasField("tensor_type"):
            continue
        info = value_info(value)
        shape = None if info.shape is None else [d if d is not None else "?" for d in info.shape]
        types[value.name] = (shape, info.dtype)
    return types


def _attribute_text(attribute: Any) -> str:
    from onnx import helper, numpy_helper

    if attribute.HasField("t"):
        tensor = attribute.t
        if int(np.prod(tensor.dims, dtype=np.int64)) <= 8:
            return str(numpy_helper.to_array(tensor).tolist())
        return f"tensor {list(tensor.dims)} {helper.tensor_dtype_to_np_dtype(tensor.data_type)}"
    if attribute.HasField("g"):
        return f"graph ({len(attribute.g.node)} nodes)"
    if attribute.graphs:
        return f"{len(attribute.graphs)} graphs"
    value = helper.get_attribute_value(attribute)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif isinstance(value, list):
        value = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value]
    text = str(value)
    return text if len(text) <= ATTRIBUTE_CHARS else text[: ATTRIBUTE_CHARS - 1] + "…"


def _scope(node: Any) -> str:
    namespace = next((p.value for p in node.metadata_props if p.key == "namespace"), "")
    return scope_of_namespace(namespace) if namespace else scope_of_name(node.name)


def _initializers(graph: Any, folder: Path, with_stats: bool) -> list[Initializer]:
    from onnx import helper, numpy_helper

    result = []
    for tensor in graph.initializer:
        stats = None
        if with_stats:
            try:
                stats = tensor_stats(numpy_helper.to_array(tensor, str(folder)))
            except (OSError, ValueError, TypeError):
                stats = None
        try:
            dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.data_type)).name
        except (KeyError, TypeError, ValueError):
            dtype = "undefined"
        result.append(
            Initializer(name=tensor.name, shape=list(tensor.dims), dtype=dtype, stats=stats)
        )
    return result


def graph_of_model(model: Any, folder: Path, fmt: str = "onnx", with_stats: bool = True):
    """The :class:`ModelGraph` of a loaded ``ModelProto`` (weights in ``folder`` if external)."""
    graph = _infer(model).graph
    initializer_names = {t.name for t in graph.initializer}
    nodes = [
        GraphNode(
            name=op.name,
            op_type=op.op,
            scope=_scope(proto),
            inputs=list(op.inputs),
            outputs=list(op.outputs),
            attributes={a.name: _attribute_text(a) for a in proto.attribute},
        )
        for op, proto in zip(op_nodes(graph), graph.node, strict=True)
    ]
    inputs = [v.name for v in graph.input if v.name not in initializer_names]
    outputs = [v.name for v in graph.output]
    initializers = _initializers(graph, folder, with_stats)
    return native_graph(fmt, nodes, inputs, outputs, tensor_types(graph), initializers)


def onnx_graph(adapter: Any) -> ModelGraph:
    """The graph of an opened ``.onnx`` file; weight statistics for models up to 64 MB."""
    small = path_size(adapter.path) <= EAGER_STATS_BYTES
    return graph_of_model(adapter.model, adapter.path.parent, with_stats=small)


def onnx_tensor_stats(path: Path, name: str):
    """Statistics of one initializer, read on request (the details pane of a large model)."""
    from onnx import numpy_helper

    model = load_onnx(path)
    tensor = next((t for t in model.graph.initializer if t.name == name), None)
    if tensor is None:
        raise OpscopeError(f"{path.name} has no initializer named {name!r}")
    return tensor_stats(numpy_helper.to_array(tensor, str(path.parent)))
