"""Open a model and lower it to a :class:`ModelGraph`: natively where opscope's adapter walks
the format's own graph, otherwise (or when asked: the graph onnxruntime would run) through
the model converted to ONNX, with a note saying so."""

from __future__ import annotations

import importlib
from pathlib import Path

from opscope.backend.graph.model import ModelGraph
from opscope.backend.graph.onnx_graph import graph_of_model, onnx_graph
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


def _native(adapter: ModelAdapter) -> ModelGraph | None:
    target = NATIVE.get(adapter.format)
    if target is None:
        return None
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)(adapter)


def _converted(adapter: ModelAdapter, reason: str) -> ModelGraph:
    """The graph of the model converted to ONNX in a scratch folder."""
    from opscope.atomic import scratch_folder
    from opscope.backend.convert import ConvertOptions, _export
    from opscope.backend.models.onnx_model import load_onnx

    with scratch_folder("graph") as folder:
        onnx_path = _export(adapter, Path(folder), adapter.input_specs(), ConvertOptions())
        graph = graph_of_model(load_onnx(onnx_path, with_data=True), Path(folder), adapter.format)
    note = f"showing the model converted to ONNX ({reason})"
    return ModelGraph(**{**_fields(graph), "native": False, "note": note})


def _fields(graph: ModelGraph) -> dict:
    return {name: getattr(graph, name) for name in graph.__struct_fields__}


def extract_graph(
    path: str | Path, progress: FractionProgress, converted: bool = False
) -> ModelGraph:
    """The graph of the model at ``path`` (``converted``: of the model converted to ONNX);
    a failure is one line about the user's file."""
    path = Path(path)
    progress(0.05, f"opening {path.name}")
    adapter = open_for(path)
    progress(0.3, "reading the graph")
    try:
        with quiet_native_output():
            if adapter.format == "onnx":
                return onnx_graph(adapter)
            if converted:
                return _converted(adapter, "asked for")
            graph = _native(adapter)
            if graph is None:
                graph = _converted(adapter, f"opscope does not walk {adapter.format} graphs")
    except OpscopeError as exc:
        raise OpscopeError(f"cannot read the graph of {path}: {exc}") from exc
    return graph
