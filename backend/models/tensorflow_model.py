"""TensorFlow models: SavedModel folders and Keras ``.keras`` / ``.h5`` files.

The summary looks at the serving function's graph the way engineers inspect a GraphDef
before pruning it: once as saved (function calls inlined, variables still variables) and
once frozen (variables folded into constants). Keras files load with ``safe_mode=True``,
so a Lambda layer's pickled Python code is refused rather than run.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.models.base import (
    ExportOptions,
    InputSpec,
    ModelAdapter,
    quiet_native_output,
    user_errors,
)
from opscope.backend.summary import GraphSummary, OpKinds, OpNode, TensorInfo, count_nodes
from opscope.errors import OpscopeError
from opscope.paths import cache_dir

TF_KINDS = OpKinds(
    const=frozenset({"Const"}),
    variable=frozenset({"VarHandleOp", "VariableV2", "Variable"}),
    identity=frozenset({"Identity", "IdentityN"}),
    placeholder=frozenset({"Placeholder", "PlaceholderWithDefault"}),
)
DT_RESOURCE = 20


def import_tf() -> Any:
    """Import TensorFlow quietly, with its caches away from the user's folders.

    Its start-up banner would break the CLI's promise of one error line on stderr.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_HOME", str(cache_dir("keras")))
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with quiet_native_output():
        import tensorflow as tf
    return tf


def node_name(tensor: str) -> str:
    """``^name`` (control input), ``name:1`` and ``name`` all refer to node ``name``."""
    return tensor.lstrip("^").split(":")[0]


def _const_size(node: Any) -> tuple[int, int]:
    import tensorflow as tf

    tensor = node.attr["value"].tensor
    elements = int(np.prod([d.size for d in tensor.tensor_shape.dim], dtype=np.int64))
    try:
        itemsize = tf.as_dtype(tensor.dtype).size
    except TypeError:
        itemsize = 0
    return elements, elements * itemsize


def graphdef_summary(graph_def: Any, outputs: list[str], fmt: str) -> GraphSummary:
    """Counts over a GraphDef's top-level nodes; resource placeholders are variables."""
    nodes = [
        OpNode(n.name, n.op, tuple(node_name(i) for i in n.input), (n.name,))
        for n in graph_def.node
    ]
    summary = GraphSummary(format=fmt)
    count_nodes(summary, nodes, [node_name(o) for o in outputs], TF_KINDS)
    captured = sum(
        1 for n in graph_def.node if n.op == "Placeholder" and n.attr["dtype"].type == DT_RESOURCE
    )
    summary.variable += captured
    summary.placeholder -= captured
    consts = [_const_size(n) for n in graph_def.node if n.op == "Const"]
    summary.params = sum(c[0] for c in consts)
    summary.param_bytes = sum(c[1] for c in consts)
    summary.initializers = len(consts)
    summary.subgraph_op_counts = dict(
        Counter(n.op for f in graph_def.library.function for n in f.node_def)
    )
    return summary


def function_summaries(function: Any, fmt: str) -> tuple[GraphSummary, GraphSummary]:
    """The concrete function's graph as saved (calls inlined) and frozen."""
    from tensorflow.python.framework import convert_to_constants as c2c

    with user_errors("cannot read the serving function's graph"):
        saved = c2c._run_inline_graph_optimization(function, False, True)
        frozen_function = c2c.convert_variables_to_constants_v2(
            function, lower_control_flow=False, aggressive_inlining=True
        )
    outputs = [t.name for t in function.outputs]
    summary = graphdef_summary(saved, outputs, fmt)
    variables = list(function.graph.variables)
    summary.params = sum(int(np.prod(v.shape.as_list(), dtype=np.int64)) for v in variables)
    summary.param_bytes = sum(
        int(np.prod(v.shape.as_list(), dtype=np.int64)) * v.dtype.size for v in variables
    )
    summary.initializers = len(variables)
    frozen_outputs = [t.name for t in frozen_function.outputs]
    frozen = graphdef_summary(frozen_function.graph.as_graph_def(), frozen_outputs, fmt)
    return summary, frozen


def _specs_to_tf(specs: list[InputSpec], dynamic_batch: bool) -> list[Any]:
    import tensorflow as tf

    from opscope.backend.inputs import DEFAULT_BATCH, concrete_shape

    result = []
    for spec in specs:
        shape: list[int | None] = list(concrete_shape(spec, DEFAULT_BATCH))
        for axis, dim in enumerate(spec.shape or ()):
            if not isinstance(dim, int) or dim <= 0:
                shape[axis] = None if (axis > 0 or dynamic_batch) else shape[axis]
        result.append(tf.TensorSpec(shape, tf.as_dtype(spec.dtype), name=spec.name))
    return result


def _to_numpy(value: Any, order: list[str]) -> list[np.ndarray]:
    if isinstance(value, dict):
        return [np.asarray(value[key]) for key in order]
    if isinstance(value, list | tuple):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


def _export_function(
    call: Callable[..., Any], target: Path, specs: list[InputSpec], options: ExportOptions
) -> None:
    """Convert a Python callable of positional tensors through ``tf2onnx.from_function``."""
    import tensorflow as tf
    import tf2onnx

    signature = _specs_to_tf(specs, options.dynamic_batch)
    function = tf.function(call, input_signature=signature)
    with user_errors("tf2onnx cannot convert the model"):
        tf2onnx.convert.from_function(
            function, input_signature=signature, opset=options.opset, output_path=str(target)
        )


def _tensor_info(name: str, spec: Any) -> TensorInfo:
    shape = spec.shape.as_list() if spec.shape.rank is not None else None
    dtype = np.dtype(spec.dtype.as_numpy_dtype).name
    return TensorInfo(name, dtype, None if shape is None else tuple(shape))


class SavedModelAdapter(ModelAdapter):
    """A SavedModel folder, served through its ``serving_default`` signature."""

    format = "tensorflow-savedmodel"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        tf = import_tf()
        with user_errors("not a readable SavedModel"):
            self.loaded = tf.saved_model.load(str(path))
        signatures = dict(self.loaded.signatures)
        if not signatures:
            raise OpscopeError("the SavedModel has no serving signature")
        self.function = signatures.get("serving_default") or next(iter(signatures.values()))
        self._inputs = dict(self.function.structured_input_signature[1])
        self._outputs = dict(self.function.structured_outputs)

    def summary(self) -> GraphSummary:
        from opscope.backend.summary import path_size

        summary, frozen = function_summaries(self.function, self.format)
        summary.inputs = [_tensor_info(n, s) for n, s in self._inputs.items()]
        summary.outputs = [_tensor_info(n, self._outputs[n]) for n in self.output_names()]
        summary.size_bytes = path_size(self.path)
        summary.producer = self._producer()
        summary.frozen = frozen
        return summary

    def _producer(self) -> str:
        from tensorflow.core.protobuf import saved_model_pb2

        proto = saved_model_pb2.SavedModel()
        proto.ParseFromString((self.path / "saved_model.pb").read_bytes())
        version = proto.meta_graphs[0].meta_info_def.tensorflow_version if proto.meta_graphs else ""
        return f"TensorFlow {version}".strip()

    def input_specs(self) -> list[InputSpec]:
        infos = [_tensor_info(n, s) for n, s in self._inputs.items()]
        return [InputSpec(i.name, i.dtype, i.shape) for i in infos]

    def output_names(self) -> list[str]:
        return sorted(self._outputs)

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        with user_errors("TensorFlow failed to run the model"):
            result = self.function(**{name: inputs[name] for name in self._inputs})
        return _to_numpy(result, self.output_names())

    def export_onnx(self, target: Path, specs: list[InputSpec], options: ExportOptions) -> None:
        names, outputs, function = [s.name for s in specs], self.output_names(), self.function

        def call(*args: Any) -> list[Any]:
            result = function(**dict(zip(names, args, strict=True)))
            return [result[key] for key in outputs]

        _export_function(call, target, specs, options)


class KerasAdapter(ModelAdapter):
    """A Keras ``.keras`` or legacy ``.h5`` model, loaded with ``safe_mode=True``."""

    format = "keras"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        import_tf()
        import keras

        self.format = "keras-h5" if path.suffix.lower() in (".h5", ".hdf5") else "keras"
        with user_errors("not a readable Keras model"):
            self.model = keras.saving.load_model(str(path), safe_mode=True, compile=False)
        if not getattr(self.model, "inputs", None):
            raise OpscopeError("the Keras model has no defined inputs (build or call it first)")

    def _vocabulary(self) -> int | None:
        """The smallest Embedding vocabulary: generated ids must stay below it."""
        sizes = [
            layer.input_dim for layer in self.model._flatten_layers() if hasattr(layer, "input_dim")
        ]
        return min(sizes) if sizes else None

    def input_specs(self) -> list[InputSpec]:
        vocabulary = self._vocabulary()
        specs = []
        for tensor in self.model.inputs:
            dtype = np.dtype(str(tensor.dtype)).name
            high = vocabulary if np.issubdtype(np.dtype(dtype), np.integer) else None
            specs.append(InputSpec(tensor.name, dtype, tuple(tensor.shape), high=high))
        return specs

    def output_names(self) -> list[str]:
        names = list(getattr(self.model, "output_names", None) or [])
        if len(names) == len(self.model.outputs):
            return names
        return [t.name for t in self.model.outputs]

    def _call(self, *args: Any) -> list[Any]:
        result = self.model(list(args) if len(args) > 1 else args[0], training=False)
        return _as_list(result, self.output_names())

    def summary(self) -> GraphSummary:
        import tensorflow as tf

        signature = _specs_to_tf(self.input_specs(), dynamic_batch=True)
        function = tf.function(self._call, input_signature=signature).get_concrete_function()
        summary, frozen = function_summaries(function, self.format)
        summary.inputs = [s.info for s in self.input_specs()]
        summary.outputs = [
            TensorInfo(name, np.dtype(str(t.dtype)).name, tuple(t.shape))
            for name, t in zip(self.output_names(), self.model.outputs, strict=True)
        ]
        summary.size_bytes = self.path.stat().st_size
        summary.producer = "Keras"
        summary.frozen = frozen
        return summary

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        args = [inputs[spec.name] for spec in self.input_specs()]
        with user_errors("Keras failed to run the model"):
            return [np.asarray(v) for v in self._call(*args)]

    def serving_runner(self, inputs: dict[str, np.ndarray]) -> Callable[[], list[np.ndarray]]:
        """One call as a Keras model is served: a compiled ``tf.function`` with the inputs'
        signature. Called eagerly, a Bi-LSTM tagger took 187 ms where its tf.function took
        3.2: an eager baseline inflates every speed-up against it."""
        import tensorflow as tf

        args = [tf.constant(inputs[spec.name]) for spec in self.input_specs()]
        signature = [tf.TensorSpec(a.shape, a.dtype) for a in args]
        with user_errors("Keras failed to trace the model"):
            concrete = tf.function(self._call, input_signature=signature).get_concrete_function()
        return lambda: [np.asarray(v) for v in concrete(*args)]

    def export_onnx(self, target: Path, specs: list[InputSpec], options: ExportOptions) -> None:
        """tf2onnx's Keras converter; a traced function when it cannot take the model."""
        import tf2onnx

        signature = _specs_to_tf(specs, options.dynamic_batch)
        try:
            tf2onnx.convert.from_keras(
                self.model, input_signature=signature, opset=options.opset, output_path=str(target)
            )
        except Exception:  # Sequential and subclassed models: convert the traced call
            _export_function(self._call, target, specs, options)


def _as_list(value: Any, order: list[str]) -> list[Any]:
    """A Keras call's result as a list of tensors in output order (symbolic when traced)."""
    if isinstance(value, dict):
        return [value[key] for key in order]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]
