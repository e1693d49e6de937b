"""Open a model and lower it to a :class:`ModelGraph`: natively where opscope's adapter walks
the format's own graph, otherwise (or when asked: the graph onnxruntime would run) through
the model converted to ONNX, with a note saying so."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

import msgspec

from opscope.backend.graph.model import ModelGraph
from opscope.backend.graph.onnx_graph import graph_of_model, onnx_graph
from opscope.backend.inputs import InputSpec, apply_overrides, parse_input_option
from opscope.backend.models import open_for
from opscope.backend.models.base import ModelAdapter, quiet_native_output
from opscope.errors import OpscopeError
from opscope.progress import FractionProgress

# adapter format -> "module:function" taking the adapter
NATIVE: dict[str, str] = {
    "tensorflow-savedmodel": "opscope.backend.graph.tf_graph:tensorflow_graph",
    "keras": "opscope.backend.graph.tf_graph:tensorflow_graph",
    "keras-h5": "opscope.backend.graph.tf_graph:tensorflow_graph",
    "torchscript": "opscope.backend.graph.torch_graph:torchscript_graph",
    "torch-export": "opscope.backend.graph.torch_graph:exported_program_graph",
    "mxnet": "opscope.backend.graph.mxnet_graph:mxnet_graph",
}
# formats whose extractor also takes the input shapes, to infer every edge's shape from
SHAPES_FROM_INPUTS = frozenset({"mxnet"})


def _specs(adapter: ModelAdapter, inputs: Sequence[str]) -> list[InputSpec]:
    """The model's inputs with the shapes the user gave (``NAME:SHAPE:DTYPE``)."""
    return apply_overrides(adapter.input_specs(), [parse_input_option(t) for t in inputs])


def _native(adapter: ModelAdapter, inputs: Sequence[str]) -> ModelGraph | None:
    target = NATIVE.get(adapter.format)
    if target is None:
        return None
    module, function = target.split(":")
    extractor = getattr(importlib.import_module(module), function)
    if adapter.format in SHAPES_FROM_INPUTS:
        return extractor(adapter, _specs(adapter, inputs))
    return extractor(adapter)


def _converted(adapter: ModelAdapter, inputs: Sequence[str], reason: str) -> ModelGraph:
    """The graph of the model converted to ONNX in a scratch folder, exported as the
    profile job exports it (same input shapes, so the same node names)."""
    from opscope.atomic import scratch_folder
    from opscope.backend.convert import ConvertOptions, _export
    from opscope.backend.models.onnx_model import load_onnx

    with scratch_folder("graph") as folder:
        onnx_path = _export(adapter, Path(folder), _specs(adapter, inputs), ConvertOptions())
        graph = graph_of_model(load_onnx(onnx_path, with_data=True), Path(folder), adapter.format)
    note = f"showing the model converted to ONNX ({reason})"
    return msgspec.structs.replace(graph, native=False, note=note)


def extract_graph(
    path: str | Path,
    progress: FractionProgress,
    converted: bool = False,
    inputs: Sequence[str] = (),
) -> ModelGraph:
    """The graph of the model at ``path`` (``converted``: of the model converted to ONNX);
    ``inputs`` (``NAME:SHAPE:DTYPE``) give the input shapes a file does not record. A
    failure is one line about the user's file."""
    path = Path(path)
    progress(0.05, f"opening {path.name}")
    adapter = open_for(path)
    progress(0.3, "reading the graph")
    try:
        with quiet_native_output():
            if adapter.format == "onnx":
                return onnx_graph(adapter)
            if converted:
                return _converted(adapter, inputs, "asked for")
            graph = _native(adapter, inputs)
            if graph is None:
                reason = f"opscope does not walk {adapter.format} graphs"
                graph = _converted(adapter, inputs, reason)
    except OpscopeError as exc:
        raise OpscopeError(f"cannot read the graph of {path}: {exc}") from exc
    return graph
