"""Open a model file with the adapter of its framework.

Adapters are named by import path, so opening an ONNX file never imports TensorFlow and
``import opscope.backend.models`` imports no framework at all.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from opscope.backend.detect import detect_file
from opscope.backend.models.base import ExportOptions, InputSpec, ModelAdapter
from opscope.errors import OpscopeError

# detected format -> "module:class"
ADAPTERS: dict[str, str] = {
    "onnx": "opscope.backend.models.onnx_model:OnnxAdapter",
    "tensorflow-savedmodel": "opscope.backend.models.tensorflow_model:SavedModelAdapter",
    "keras": "opscope.backend.models.tensorflow_model:KerasAdapter",
    "keras-h5": "opscope.backend.models.tensorflow_model:KerasAdapter",
    "torchscript": "opscope.backend.models.torch_model:TorchScriptAdapter",
    "torch-export": "opscope.backend.models.torch_program:ExportedProgramAdapter",
    "torch-weights": "opscope.backend.models.torch_model:refuse_weights_file",
    "mxnet": "opscope.backend.models.mxnet_model:MXNetAdapter",
}

__all__ = ["ADAPTERS", "ExportOptions", "InputSpec", "ModelAdapter", "open_for", "open_model"]


def open_model(path: str | Path) -> ModelAdapter:
    """Detect the format of ``path`` from its content and open it in its framework."""
    path = Path(path)
    kind = detect_file(path)
    if kind.kind != "model":
        raise OpscopeError(f"{path.name} is a profiler trace ({kind.format}), not a model")
    target = ADAPTERS.get(kind.format)
    if target is None:
        raise OpscopeError(f"{path.name}: opscope cannot open {kind.format} models")
    module_name, name = target.split(":")
    return getattr(importlib.import_module(module_name), name)(path)


def open_for(path: str | Path, verb: str = "open") -> ModelAdapter:
    """Open a model for a verb whose errors are not wrapped elsewhere: a failure becomes
    ``cannot VERB MODEL: reason``."""
    try:
        return open_model(path)
    except OpscopeError as exc:
        raise OpscopeError(f"cannot {verb} {path}: {exc}") from exc
