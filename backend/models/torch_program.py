"""``torch.export`` programs (``.pt2``): loaded safely, fed and read the way their signature says.

A program records how its user-facing inputs and outputs are nested (pytree specs). Two
things about real programs need care:

- A transformers model returns a ``ModelOutput`` (``BaseModelOutputWithPooling`` …), and
  ``torch.export.load`` can only rebuild that spec while transformers has registered the
  class. The graph and weights do not need the class: for a spec node whose context is its
  field names, a stand-in that rebuilds a plain ``dict`` of those fields is registered under
  the recorded name. Nothing from the file is run or imported.
- Inputs may be keyword arguments (``attention_mask=…``): the program is called with the
  ``(args, kwargs)`` its input spec describes, not with every tensor positionally.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from opscope.backend.models.base import (
    ExportOptions,
    InputSpec,
    ModelAdapter,
    captured_logs,
    position_rows,
    user_errors,
)
from opscope.backend.models.torch_model import (
    export_with_fallback,
    state_bytes,
    torch_dtype_name,
    weights_only_loading,
)
from opscope.backend.summary import GraphSummary, OpKinds, OpNode, TensorInfo, count_nodes
from opscope.errors import OpscopeError

RETURN_DICT_HINT = "export it with return_dict=False (or return tensors, tuples or dicts)"
PASS_THROUGH = re.compile(r"aten\.(view|reshape|_to_copy|to|contiguous|flatten|clone)\b")


class _Signature(msgspec.Struct):
    in_spec: str | None = None
    out_spec: str | None = None


class _CallEntry(msgspec.Struct):
    signature: _Signature | None = None


class _GraphModule(msgspec.Struct):
    module_call_graph: list[_CallEntry] = []


class _SerializedProgram(msgspec.Struct):
    graph_module: _GraphModule


def _spec_types(schema: Any) -> Iterator[tuple[str, Any, int]]:
    """(type name, context, number of children) of every node of a serialized pytree spec."""
    if isinstance(schema, dict) and schema.get("type"):
        yield schema["type"], schema.get("context"), len(schema.get("children_spec") or ())
    for child in schema.get("children_spec") or () if isinstance(schema, dict) else ():
        yield from _spec_types(child)


def recorded_spec_types(path: Path) -> dict[str, tuple[Any, int]]:
    """The pytree node types named in the program's input and output specs."""
    found: dict[str, tuple[Any, int]] = {}
    with zipfile.ZipFile(path) as archive:
        models = [n for n in archive.namelist() if re.fullmatch(r"[^/]+/models/[^/]+\.json", n)]
        for name in models:
            try:
                program = msgspec.json.decode(archive.read(name), type=_SerializedProgram)
            except msgspec.DecodeError:
                continue  # torch.export.load reports a broken program in its own words
            for entry in program.graph_module.module_call_graph:
                for text in (
                    (entry.signature.in_spec, entry.signature.out_spec) if entry.signature else ()
                ):
                    if text:
                        for type_name, context, children in _spec_types(json.loads(text)[1]):
                            found[type_name] = (context, children)
    return found


def _field_names(context: Any, children: int) -> list[str] | None:
    try:
        names = json.loads(context) if isinstance(context, str) else None
    except ValueError:
        return None
    if (
        isinstance(names, list)
        and len(names) == children
        and all(isinstance(n, str) for n in names)
    ):
        return names
    return None


def register_stand_ins(path: Path) -> list[str]:
    """Stand-ins for the spec types torch does not know; returns the names stood in for.

    Only types whose spec context lists their field names (what transformers' ``ModelOutput``
    records) can be rebuilt as a dict; any other unknown type is a one-line error.
    """
    from torch.utils import _pytree as pytree

    stood_in = []
    for type_name, (context, children) in recorded_spec_types(path).items():
        if type_name in pytree.SERIALIZED_TYPE_TO_PYTHON_TYPE:
            continue
        if _field_names(context, children) is None:
            raise OpscopeError(
                f"the program's inputs or outputs are a {type_name}, which torch cannot rebuild "
                f"without the code that defines it; {RETURN_DICT_HINT}"
            )
        stand_in = type(type_name.rsplit(".", 1)[-1], (), {"__module__": "opscope.stand_in"})
        pytree.register_pytree_node(
            stand_in,
            lambda value: (list(value.values()), list(value)),
            lambda values, names: dict(zip(names, values, strict=True)),
            serialized_type_name=type_name,
        )
        stood_in.append(type_name)
    return stood_in


def load_program(path: Path) -> Any:
    """``torch.export.load`` with weights-only loading, stand-in output types, quiet logs."""
    import torch

    with zipfile.ZipFile(path):
        pass  # a damaged archive fails here, before torch logs its own traceback
    register_stand_ins(path)
    with (
        captured_logs("torch") as records,
        weights_only_loading(),
        user_errors("not a readable torch.export program", records),
    ):
        return torch.export.load(str(path))


def _meta_info(node: Any) -> TensorInfo:
    value = node.meta.get("val")
    if value is None or not hasattr(value, "shape"):
        return TensorInfo(node.name, "unknown", None)
    shape = tuple(int(d) if str(d).isdigit() else str(d) for d in value.shape)
    return TensorInfo(node.name, torch_dtype_name(value.dtype), shape)


def _output_info(node: Any, name: str) -> TensorInfo:
    if node is None:
        return TensorInfo(name, "unknown", None)
    info = _meta_info(node)
    return TensorInfo(name, info.dtype, info.shape)


def _through_pass_ops(node: Any) -> Any:
    while node.op == "call_function" and PASS_THROUGH.match(str(node.target)) and node.args:
        node = node.args[0]
    return node


class ExportedProgramAdapter(ModelAdapter):
    """A ``torch.export.save`` program (``.pt2``)."""

    format = "torch-export"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.program = load_program(path)
        self._module: Any = None

    def _placeholders(self) -> dict[str, Any]:
        return {n.name: n for n in self.program.graph.nodes if n.op == "placeholder"}

    def _parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Placeholder name -> shape of the weight it stands for."""
        signature = self.program.graph_signature
        named = {**signature.inputs_to_parameters, **signature.inputs_to_buffers}
        state = self.program.state_dict
        return {p: tuple(state[fqn].shape) for p, fqn in named.items() if fqn in state}

    def _embedding_rows(self) -> dict[str, int]:
        """User inputs used as embedding indices -> rows of the table they index."""
        shapes = self._parameter_shapes()
        rows: dict[str, int] = {}
        for node in self.program.graph.nodes:
            if node.op != "call_function" or "embedding" not in str(node.target):
                continue
            table, indices = node.args[0], _through_pass_ops(node.args[1])
            if getattr(table, "name", None) in shapes and indices.op == "placeholder":
                limit = shapes[table.name][0]
                rows[indices.name] = min(limit, rows.get(indices.name, limit))
        return rows

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
        summary.params, summary.param_bytes = state_bytes(tensors)
        summary.initializers = len(tensors)
        summary.inputs = [s.info for s in self.input_specs()]
        by_name = {n.name: n for n in graph.nodes}
        summary.outputs = [
            _output_info(by_name.get(graph_name), name)
            for name, graph_name in zip(self.output_names(), signature.user_outputs, strict=True)
        ]
        summary.opset = None
        summary.producer = "torch.export"
        return summary

    def input_specs(self) -> list[InputSpec]:
        placeholders = self._placeholders()
        rows = self._embedding_rows()
        longest = position_rows(
            {
                self.program.graph_signature.inputs_to_parameters.get(k, k): v
                for k, v in self._parameter_shapes().items()
            }
        )
        specs = []
        for name in self.program.graph_signature.user_inputs:
            info = _meta_info(placeholders[name])
            specs.append(
                InputSpec(
                    info.name, info.dtype, info.shape, high=rows.get(name), max_length=longest
                )
            )
        return specs

    def output_names(self) -> list[str]:
        """The field names of a returned dict or ``ModelOutput`` (``last_hidden_state``);
        otherwise the graph's names for the outputs."""
        graph_names = [str(name) for name in self.program.graph_signature.user_outputs]
        spec = self.program.call_spec.out_spec
        fields = spec.context if spec is not None else None
        flat = spec is not None and all(child.is_leaf() for child in spec.children())
        if flat and isinstance(fields, list) and len(fields) == len(graph_names):
            return [str(name) for name in fields]
        return graph_names

    def call_arguments(self, tensors: list[Any]) -> tuple[tuple, dict]:
        """The user inputs, in signature order, nested as the program's input spec says."""
        from torch.utils import _pytree as pytree

        spec = self.program.call_spec.in_spec
        if spec is None:
            return tuple(tensors), {}
        if spec.num_leaves != len(tensors):
            raise OpscopeError(
                f"the program takes {spec.num_leaves} input values, of which only "
                f"{len(tensors)} are tensors; opscope feeds tensors only"
            )
        args, kwargs = pytree.tree_unflatten(list(tensors), spec)
        return tuple(args), dict(kwargs)

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        import torch
        from torch.utils import _pytree as pytree

        tensors = [
            torch.from_numpy(np.ascontiguousarray(inputs[s.name])) for s in self.input_specs()
        ]
        with (
            torch.no_grad(),
            captured_logs("torch") as records,
            user_errors("PyTorch failed to run the program", records),
        ):
            if self._module is None:
                self._module = self.program.module()
            args, kwargs = self.call_arguments(tensors)
            result = self._module(*args, **kwargs)
        leaves = pytree.tree_leaves(result)
        return [leaf.detach().cpu().numpy() for leaf in leaves if isinstance(leaf, torch.Tensor)]

    def export_onnx(self, target: Path, specs: list[InputSpec], options: ExportOptions) -> None:
        """Export with the shapes the program was exported with (its own dynamic dims)."""
        import torch

        from opscope.backend.inputs import random_inputs

        arrays = random_inputs(specs)
        tensors = [torch.from_numpy(np.ascontiguousarray(arrays[s.name])) for s in specs]
        args, kwargs = self.call_arguments(tensors)
        # Outputs keep the exporter's names here (the graph's names can clash with values
        # inside it); the conversion renames them afterwards where that is safe.
        names = ([s.name for s in specs], None)
        static = ExportOptions(opset=options.opset, dynamic_batch=False)
        export_with_fallback(self.program, args, target, names, static, kwargs=kwargs)
