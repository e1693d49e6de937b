"""PyTorch models: TorchScript archives, and what the ``.pt2`` adapter shares with them.

Opening never unpickles arbitrary objects: TorchScript archives are read by TorchScript's
own restricted loader, ``.pt2`` programs (:mod:`torch_program`) are loaded with every
``torch.load`` forced to ``weights_only=True`` and their Python-pickle paths refused, and
plain ``torch.save`` files are opened with ``weights_only=True`` only to tell the user what
they hold. torch's own log records (tracebacks among them) are kept, never printed.
"""

from __future__ import annotations

import contextlib
import re
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
    captured_logs,
    first_line,
    position_rows,
    user_errors,
)
from opscope.backend.summary import GraphSummary, OpKinds, OpNode, TensorInfo, count_nodes
from opscope.errors import OpscopeError

TORCHSCRIPT_KINDS = OpKinds(
    const=frozenset({"prim::Constant"}), variable=frozenset({"prim::GetAttr"})
)
PASS_THROUGH_KINDS = frozenset(
    {"aten::view", "aten::reshape", "aten::to", "aten::contiguous", "aten::flatten"}
)
MASK_NAME = re.compile(r"mask", re.IGNORECASE)
PICKLE_REFUSAL = (
    "it holds pickled Python objects, and unpickling them can run arbitrary code; "
    "save the model with torch.jit.save or torch.export.save"
)


def torch_dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def _refuse_pickle(*args: Any, **kwargs: Any) -> Any:
    raise OpscopeError(f"refused to load: {PICKLE_REFUSAL}")


@contextlib.contextmanager
def weights_only_loading() -> Iterator[None]:
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
    with warnings.catch_warnings(), captured_logs("torch"):
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


def _export_options(input_names: list[str], options: ExportOptions) -> dict[str, Any]:
    """The dynamo exporter's arguments: the opset, and a dynamic batch axis when asked."""
    import torch

    extra: dict[str, Any] = {"opset_version": options.opset} if options.opset else {}
    if options.dynamic_batch:
        batch = torch.export.Dim("batch")
        extra["dynamic_shapes"] = tuple({0: batch} for _ in input_names)
    return extra


def export_with_fallback(
    model: Any,
    args: tuple,
    target: Path,
    names: tuple[list[str], list[str] | None],
    options: ExportOptions,
    *,
    kwargs: dict[str, Any] | None = None,
) -> None:
    """The dynamo exporter first; the TorchScript-based exporter when dynamo fails.

    Both get a dynamic batch axis unless ``options.dynamic_batch`` is off. ``kwargs`` are
    keyword inputs (a ``.pt2`` program's), passed as the program's signature expects.
    """
    input_names, output_names = names
    extra = _export_options(input_names, options)
    if kwargs:
        extra.pop("dynamic_shapes", None)
        extra["kwargs"] = kwargs
    try:
        _onnx_export(model, args, target, names, dynamo=True, **extra)
        return
    except Exception as exc:  # the dynamo exporter fails on many models; fall back
        dynamo_error = exc
    axes = {n: {0: "batch"} for n in [*input_names, *(output_names or ())]}
    legacy = {"dynamic_axes": axes} if options.dynamic_batch else {}
    opset = {"opset_version": options.opset} if options.opset else {}
    try:
        _onnx_export(model, args, target, names, dynamo=False, **opset, **legacy)
    except Exception as exc:
        raise OpscopeError(
            f"torch.onnx.export failed ({first_line(exc)}; dynamo: {first_line(dynamo_error)})"
        ) from exc


def export_torchscript(
    module: Any,
    args: tuple,
    target: Path,
    names: tuple[list[str], list[str]],
    options: ExportOptions,
) -> None:
    """A TorchScript module: the TorchScript-based exporter, made for it, first.

    torch.onnx's dynamo exporter refuses ScriptModules outright; when the TorchScript
    exporter fails too (torchvision's ViT: ``transpose for tensor of unknown rank``), the
    module is converted to a ``torch.export`` program (``TS2EPConverter``, as torch itself
    advises) and that is exported by dynamo.
    """
    from torch._export.converter import TS2EPConverter

    input_names, output_names = names
    axes = {n: {0: "batch"} for n in [*input_names, *output_names]}
    legacy = {"dynamic_axes": axes} if options.dynamic_batch else {}
    opset = {"opset_version": options.opset} if options.opset else {}
    try:
        _onnx_export(module, args, target, names, dynamo=False, **opset, **legacy)
        return
    except Exception as exc:
        legacy_error = exc
    try:
        with warnings.catch_warnings(), captured_logs("torch"):
            warnings.simplefilter("ignore")
            program = TS2EPConverter(module, args).convert()
        _onnx_export(
            program, args, target, names, dynamo=True, **_export_options(input_names, options)
        )
    except Exception as exc:
        raise OpscopeError(
            f"torch.onnx.export failed ({first_line(legacy_error)}; "
            f"through torch.export: {first_line(exc)})"
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


def state_bytes(tensors: list[Any]) -> tuple[int, int]:
    return sum(t.numel() for t in tensors), sum(t.numel() * t.element_size() for t in tensors)


def _attribute_path(value: Any) -> str:
    """``self.embeddings.word_embeddings.weight`` as a state_dict key, from its GetAttr chain."""
    names = []
    node = value.node()
    while node.kind() == "prim::GetAttr":
        names.append(node.s("name"))
        node = node.input().node()
    return ".".join(reversed(names))


def _through_pass_ops(value: Any) -> Any:
    while value.node().kind() in PASS_THROUGH_KINDS:
        value = next(iter(value.node().inputs()))
    return value


class TorchScriptAdapter(ModelAdapter):
    """A ``torch.jit.save`` archive."""

    format = "torchscript"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        import torch

        with (
            captured_logs("torch") as records,
            user_errors("not a readable TorchScript archive", records),
        ):
            self.module = torch.jit.load(str(path), map_location="cpu").eval()
        graph_inputs = list(self.module.graph.inputs())[1:]  # the first is ``self``
        self._input_names = [v.debugName().split(".")[0] for v in graph_inputs]

    def summary(self) -> GraphSummary:
        graph = self.module.inlined_graph
        nodes: list[OpNode] = []
        _torchscript_nodes(graph, nodes)
        summary = GraphSummary(format=self.format, size_bytes=self.path.stat().st_size)
        count_nodes(summary, nodes, [v.debugName() for v in graph.outputs()], TORCHSCRIPT_KINDS)
        # Looking up a submodule (``self.dropout``) whose code was inlined leaves a GetAttr
        # of a module object nothing reads; that is bookkeeping, not an unused computation.
        modules = {
            node.output().debugName()
            for node in graph.findAllNodes("prim::GetAttr")
            if node.output().type().kind() == "ClassType"
        }
        summary.unused_nodes = [name for name in summary.unused_nodes if name not in modules]
        summary.placeholder = len(self._input_names)
        state = list(self.module.state_dict().values())
        summary.params, summary.param_bytes = state_bytes(state)
        summary.initializers = len(state)
        summary.inputs = [s.info for s in self.input_specs()]
        summary.outputs = [TensorInfo(n, "unknown", None) for n in self.output_names()]
        summary.producer = "TorchScript"
        return summary

    def _embedding_rows(self) -> dict[str, int]:
        """Inputs used as embedding indices -> rows of the table they index."""
        graph = self.module.inlined_graph
        by_value = {v.debugName(): v.debugName().split(".")[0] for v in list(graph.inputs())[1:]}
        state = self.module.state_dict()
        rows: dict[str, int] = {}
        for node in graph.findAllNodes("aten::embedding"):
            weight, indices = list(node.inputs())[:2]
            name = by_value.get(_through_pass_ops(indices).debugName())
            table = state.get(_attribute_path(weight))
            if name is not None and table is not None:
                rows[name] = min(int(table.shape[0]), rows.get(name, int(table.shape[0])))
        return rows

    def input_specs(self) -> list[InputSpec]:
        """Names, and integer types where an input indexes an embedding or is a mask.

        A TorchScript archive records neither input shapes nor dtypes: shapes come from
        the user (``--input``); token ids are ``int64`` below the vocabulary's size.
        """
        rows = self._embedding_rows()
        longest = position_rows({k: tuple(v.shape) for k, v in self.module.state_dict().items()})
        return [
            InputSpec(
                name,
                "int64" if name in rows or MASK_NAME.search(name) else "float32",
                None,
                high=rows.get(name),
                max_length=longest,
            )
            for name in self._input_names
        ]

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
        export_torchscript(self.module, args, target, names, options)


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
