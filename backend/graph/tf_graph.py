"""TensorFlow SavedModel / Keras models as a :class:`ModelGraph`: the serving function's
GraphDef with its calls inlined (the graph ``opscope inspect`` counts), shapes and dtypes
from TensorFlow's own shape inference when the GraphDef is imported into a fresh graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from opscope.backend.graph.model import GraphNode, Initializer, ModelGraph, Shape, native_graph
from opscope.backend.graph.scopes import scope_of_name
from opscope.backend.graph.stats import tensor_stats
from opscope.backend.models.base import ModelAdapter, user_errors

ATTRIBUTE_CHARS = 160
HIDDEN_ATTRIBUTES = frozenset({"_output_shapes", "_class"})


def _tensor_name(reference: str) -> str:
    """GraphDef input ``name`` means ``name:0``; control inputs (``^name``) carry no tensor."""
    return reference if ":" in reference else f"{reference}:0"


def _attribute_text(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= ATTRIBUTE_CHARS else text[: ATTRIBUTE_CHARS - 1] + "…"


def _concrete_function(adapter: ModelAdapter) -> Any:
    """The serving function: a SavedModel's signature, or a Keras model's traced call."""
    function = getattr(adapter, "function", None)
    if function is not None:
        return function
    import tensorflow as tf

    from opscope.backend.models.tensorflow_model import _specs_to_tf

    signature = _specs_to_tf(adapter.input_specs(), dynamic_batch=True)
    return tf.function(adapter._call, input_signature=signature).get_concrete_function()


def _shapes(graph_def: Any) -> dict[str, tuple[Shape, str | None]]:
    """Each tensor's shape and dtype as TensorFlow infers them for the imported GraphDef."""
    import tensorflow as tf

    types: dict[str, tuple[Shape, str | None]] = {}
    with tf.Graph().as_default() as graph:
        try:
            tf.graph_util.import_graph_def(graph_def, name="")
        except (ValueError, TypeError, tf.errors.OpError):
            return types
        for op in graph.get_operations():
            for tensor in op.outputs:
                shape = tensor.shape
                dims = (
                    None
                    if shape.rank is None
                    else [d if d is not None else "?" for d in shape.as_list()]
                )
                types[tensor.name] = (dims, tensor.dtype.name)
    return types


def _const_initializers(graph_def: Any) -> list[Initializer]:
    import tensorflow as tf

    result = []
    for node in graph_def.node:
        if node.op != "Const":
            continue
        array = tf.make_ndarray(node.attr["value"].tensor)
        dtype = array.dtype.name if array.dtype != object else "string"
        stats = tensor_stats(array) if array.dtype != object else None
        result.append(
            Initializer(
                name=f"{node.name}:0", shape=list(np.shape(array)), dtype=dtype, stats=stats
            )
        )
    return result


def tensorflow_graph(adapter: ModelAdapter) -> ModelGraph:
    from tensorflow.python.framework import convert_to_constants as c2c

    function = _concrete_function(adapter)
    with user_errors("cannot read the serving function's graph"):
        graph_def = c2c._run_inline_graph_optimization(function, False, True)
    types = _shapes(graph_def)
    produced: dict[str, list[str]] = {}
    for tensor in types:
        produced.setdefault(tensor.rsplit(":", 1)[0], []).append(tensor)
    nodes = [
        GraphNode(
            name=node.name,
            op_type=node.op,
            scope=scope_of_name(node.name),
            inputs=[_tensor_name(i) for i in node.input if not i.startswith("^")],
            outputs=produced.get(node.name) or [f"{node.name}:0"],
            attributes={
                k: _attribute_text(v) for k, v in node.attr.items() if k not in HIDDEN_ATTRIBUTES
            },
        )
        for node in graph_def.node
    ]
    outputs = [t.name for t in function.outputs]
    return native_graph(adapter.format, nodes, [], outputs, types, _const_initializers(graph_def))
