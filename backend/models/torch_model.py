"""PyTorch models: TorchScript archives and ``torch.export`` programs (``.pt2``).

Opening never unpickles arbitrary objects: TorchScript archives are read by TorchScript's
own restricted loader, ``.pt2`` programs are loaded with every ``torch.load`` forced to
``weights_only=True`` and their Python-pickle paths refused, and plain ``torch.save`` files
are opened with ``weights_only=True`` only to tell the user what they hold.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from opscope.backend.models.base import (
    ExportOptions,
    InputSpec,
    ModelAdapter,
    first_line,
    user_errors,
)
from opscope.backend.summary import GraphSummary, OpKinds, OpNode, TensorInfo, count_nodes
from opscope.errors import OpscopeError

TORCHSCRIPT_KINDS = OpKinds(
    const=frozenset({"prim::Constant"}), variable=frozenset({"prim::GetAttr"})
)
PICKLE_REFUSAL = (
    "it holds pickled Python objects, and unpickling them can run arbitrary code; "
    "save the model with torch.jit.save or torch.export.save"
)


def _torch_dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def _refuse_pickle(*args: Any, **kwargs: Any) -> Any:
    raise OpscopeError(f"refused to load: {PICKLE_REFUSAL}")


@contextlib.contextmanager
def _weights_only_loading() -> Iterator[None]:
    """Force ``weights_only=True`` on every ``torch.load`` and refuse raw pickles.

    ``torch.export.load`` falls back to ``torch.load(weights_only=False)`` and to
    ``pickle.loads`` for objects it cannot load as tensors; inside this block those paths
    either load plain tensors or fail.
    """
    import torch
    from torch.export.pt2_archive import _package

    real_load = torch.load

    def safe_load(*args: Any, **kwargs: Any) -> Any:
        kwargs["weights_only"] = True
        return real_load(*args, **kwargs)

    with (
        mock.patch.object(torch, "load", safe_load),
        mock.patch.object(torch._C, "_pickle_load_obj", _refuse_pickle),
        mock.patch.object(_package, "pickle", mock.Mock(loads=_refuse_pickle)),
    ):
        yield


def _to_numpy(value: Any) -> list[np.ndarray]:
    """A model's result (tensor, tuple, list or dict of them) as a flat list of arrays."""
    import torch

    if isinstance(value, torch.Tensor):
        return [value.detach().cpu().numpy()]
    if isinstance(value, dict):
        return [a for key in sorted(value) for a in _to_numpy(value[key])]
    if isinstance(value, list | tuple):
        return [a for item in value for a in _to_numpy(item)]
    raise OpscopeError(f"the model returned a {type(value).__name__}, not tensors")


def _tensors(inputs: dict[str, np.ndarray], specs: list[InputSpec]) -> tuple[Any, ...]:
    import torch

    return tuple(torch.from_numpy(np.ascontiguousarray(inputs[s.name])) for s in specs)


def _onnx_export(model: Any, args: tuple, target: Path, names: tuple, **kwargs: Any) -> None:
    import torch

    input_names, output_names = names
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            args,
            str(target),
            input_names=input_names,
            output_names=output_names,
            verbose=False,
            **kwargs,
        )


def export_with_fallback(
    model: Any,
    args: tuple,
    target: Path,
    names: tuple[list[str], list[str]],
    options: ExportOptions,
) -> None:
    """The dynamo exporter first; the TorchScript-based exporter when dynamo fails.

    Both get a dynamic batch axis unless ``options.dynamic_batch`` is off.
    """
    import torch

    input_names, output_names = names
    opset = {"opset_version": options.opset} if options.opset else {}
    dynamic: dict[str, Any] = {}
    if options.dynamic_batch:
        batch = torch.export.Dim("batch")
        dynamic = {"dynamic_shapes": tuple({0: batch} for _ in input_names)}
    try:
        _onnx_export(model, args, target, names, dynamo=True, **opset, **dynamic)
        return
    except Exception as exc:  # the dynamo exporter fails on many models; fall back
        dynamo_error = exc
    axes = {n: {0: "batch"} for n in [*input_names, *output_names]}
    legacy = {"dynamic_axes": axes} if options.dynamic_batch else {}
    try:
        _onnx_export(model, args, target, names, dynamo=False, **opset, **legacy)
    except Exception as exc:
        raise OpscopeError(
            f"torch.onnx.export failed ({first_line(exc)}; dynamo: {first_line(dynamo_error)})"
        ) from exc


def _torchscript_nodes(block: Any, nodes: list[OpNode]) -> list[str]:
    """Flatten a TorchScript block into ``nodes``; returns the value names it produces.

    A node that owns blocks (prim::If, prim::Loop) reads what its blocks produce, so the
    nodes inside count as used whenever the owner is.
    """
    produced: list[str] = []
    for node in block.nodes():
        inner: list[str] = []
        for sub in node.blocks():
            inner += _torchscript_nodes(sub, nodes)
        outputs = tuple(v.debugName() for v in node.outputs())
        inputs = tuple(v.debugName() for v in node.inputs()) + tuple(inner)
        name = outputs[0] if outputs else f"{node.kind()}_{len(nodes)}"
        nodes.append(OpNode(name, node.kind(), inputs, outputs))
        produced += outputs
    return produced


def _state_bytes(tensors: list[Any]) -> tuple[int, int]:
    return sum(t.numel() for t in tensors), sum(t.numel() * t.element_size() for t in tensors)


class TorchScriptAdapter(ModelAdapter):
    """A ``torch.jit.save`` archive."""

    format = "torchscript"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        import torch

        with user_errors("not a readable TorchScript archive"):
            self.module = torch.jit.load(str(path), map_location="cpu").eval()
        graph_inputs = list(self.module.graph.inputs())[1:]  # the first is ``self``
        self._input_names = [v.debugName().split(".")[0] for v in graph_inputs]

    def summary(self) -> GraphSummary:
        graph = self.module.inlined_graph
        nodes: list[OpNode] = []
        _torchscript_nodes(graph, nodes)
        summary = GraphSummary(format=self.format, size_bytes=self.path.stat().st_size)
        count_nodes(summary, nodes, [v.debugName() for v in graph.outputs()], TORCHSCRIPT_KINDS)
        summary.placeholder = len(self._input_names)
        state = list(self.module.state_dict().values())
        summary.params, summary.param_bytes = _state_bytes(state)
        summary.initializers = len(state)
        summary.inputs = [s.info for s in self.input_specs()]
        summary.outputs = [TensorInfo(n, "unknown", None) for n in self.output_names()]
        summary.producer = "TorchScript"
        return summary

    def input_specs(self) -> list[InputSpec]:
        """Names only: a TorchScript archive records neither input shapes nor dtypes."""
        return [InputSpec(name, "float32", None) for name in self._input_names]

    def output_names(self) -> list[str]:
        outputs = list(self.module.graph.outputs())
        kind = outputs[0].node().kind() if len(outputs) == 1 else ""
        count = len(list(outputs[0].node().inputs())) if kind == "prim::TupleConstruct" else 1
        return [f"output_{i}" for i in range(count)]

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        import torch

        specs = self.input_specs()
        with torch.no_grad(), user_errors("PyTorch failed to run the model"):
            return _to_numpy(self.module(*_tensors(inputs, specs)))

    def export_onnx(self, target: Path, specs: list[InputSpec], options: ExportOptions) -> None:
        from opscope.backend.inputs import random_inputs

        args = _tensors(random_inputs(specs), specs)
        names = ([s.name for s in specs], self.output_names())
        export_with_fallback(self.module, args, target, names, options)


def _meta_info(node: Any) -> TensorInfo:
    value = node.meta.get("val")
    if value is None or not hasattr(value, "shape"):
        return TensorInfo(node.name, "unknown", None)
    shape = tuple(int(d) if str(d).isdigit() else str(d) for d in value.shape)
    return TensorInfo(node.name, _torch_dtype_name(value.dtype), shape)


class ExportedProgramAdapter(ModelAdapter):
    """A ``torch.export.save`` program (``.pt2``)."""

    format = "torch-export"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        import torch

        with _weights_only_loading(), user_errors("not a readable torch.export program"):
            self.program = torch.export.load(str(path))
        self._module: Any = None

    def _placeholders(self) -> dict[str, Any]:
        return {n.name: n for n in self.program.graph.nodes if n.op == "placeholder"}

    def summary(self) -> GraphSummary:
        graph = self.program.graph
        nodes = [
            OpNode(
                n.name,
                str(n.target) if n.op == "call_function" else n.op,
                tuple(i.name for i in n.all_input_nodes),
                (n.name,),
            )
            for n in graph.nodes
            if n.op != "output"
        ]
        signature = self.program.graph_signature
        summary = GraphSummary(format=self.format, size_bytes=self.path.stat().st_size)
        count_nodes(summary, nodes, list(signature.user_outputs), OpKinds())
        summary.placeholder = len(signature.user_inputs)
        summary.variable = len(signature.parameters) + len(signature.buffers)
        summary.const = len(signature.lifted_tensor_constants)
        tensors = [*self.program.state_dict.values(), *self.program.constants.values()]
        tensors = [t for t in tensors if hasattr(t, "numel")]
        summary.params, summary.param_bytes = _state_bytes(tensors)
        summary.initializers = len(tensors)
        summary.inputs = [s.info for s in self.input_specs()]
        by_name = {n.name: n for n in graph.nodes}
        summary.outputs = [
            _meta_info(by_name[name]) if name in by_name else TensorInfo(name, "unknown", None)
            for name in signature.user_outputs
        ]
        summary.opset = None
        summary.producer = "torch.export"
        return summary

    def input_specs(self) -> list[InputSpec]:
        placeholders = self._placeholders()
        names = self.program.graph_signature.user_inputs
        infos = [_meta_info(placeholders[name]) for name in names]
        return [InputSpec(i.name, i.dtype, i.shape) for i in infos]

    def output_names(self) -> list[str]:
        return [str(name) for name in self.program.graph_signature.user_outputs]

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        import torch

        if self._module is None:
            self._module = self.program.module()
        with torch.no_grad(), user_errors("PyTorch failed to run the program"):
            return _to_numpy(self._module(*_tensors(inputs, self.input_specs())))

    def export_onnx(self, target: Path, specs: list[InputSpec], options: ExportOptions) -> None:
        """Export with the shapes the program was exported with (its own dynamic dims)."""
        from opscope.backend.inputs import random_inputs

        args = _tensors(random_inputs(specs), specs)
        names = ([s.name for s in specs], self.output_names())
        static = ExportOptions(opset=options.opset, dynamic_batch=False)
        export_with_fallback(self.program, args, target, names, static)


def refuse_weights_file(path: Path) -> ModelAdapter:
    """A plain ``torch.save`` file: say what it holds, never build a model from it."""
    import torch

    try:
        content = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception:
        raise OpscopeError(f"refused to load: {PICKLE_REFUSAL}") from None
    what = "a state_dict (weights only)" if isinstance(content, dict) else "tensors"
    raise OpscopeError(
        f"it is a torch.save file holding {what}, not a model graph; "
        "save the model with torch.jit.save or torch.export.save"
    )
