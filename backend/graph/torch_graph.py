"""TorchScript archives and ``torch.export`` programs as a :class:`ModelGraph`.

TorchScript: the inlined graph, flattened as the summary flattens it (a node is named after
its first output value). The archive records neither shapes nor scopes, so edges carry the
value's TorchScript type as dtype. ``torch.export``: the FX graph, shapes and dtypes from each
node's ``meta["val"]`` and scopes from its ``nn_module_stack``.
"""

from __future__ import annotations

from typing import Any

from opscope.backend.graph.model import GraphNode, Initializer, ModelGraph, Shape, native_graph
from opscope.backend.graph.stats import tensor_stats
from opscope.backend.models.base import ModelAdapter

SCALAR_KINDS = frozenset({"s", "i", "f", "ss", "is", "fs"})  # attributes worth showing


def _attribute_text(node: Any, name: str) -> str:
    """A scalar or list attribute read with its kind's accessor (``node.i``, ``node.is_``)."""
    kind = node.kindOf(name)
    return str(getattr(node, "is_" if kind == "is" else kind)(name))[:160]


def _block_nodes(block: Any, nodes: list[GraphNode], types: dict) -> list[str]:
    """Flatten a TorchScript block like the summary does; returns the values it produces."""
    produced: list[str] = []
    for node in block.nodes():
        inner: list[str] = []
        for sub in node.blocks():
            inner += _block_nodes(sub, nodes, types)
        outputs = [v.debugName() for v in node.outputs()]
        for value in node.outputs():
            types[value.debugName()] = (None, str(value.type()))
        attributes = {
            a: _attribute_text(node, a)
            for a in node.attributeNames()
            if node.kindOf(a) in SCALAR_KINDS
        }
        nodes.append(
            GraphNode(
                name=outputs[0] if outputs else f"{node.kind()}_{len(nodes)}",
                op_type=node.kind(),
                scope="",
                inputs=[v.debugName() for v in node.inputs()] + inner,
                outputs=outputs,
                attributes=attributes,
            )
        )
        produced += outputs
    return produced


def _state_initializers(state: dict[str, Any]) -> list[Initializer]:
    return [
        Initializer(
            name=name,
            shape=list(tensor.shape),
            dtype=str(tensor.dtype).removeprefix("torch."),
            stats=tensor_stats(tensor.detach().float().numpy()),
        )
        for name, tensor in state.items()
        if hasattr(tensor, "shape")
    ]


def torchscript_graph(adapter: ModelAdapter) -> ModelGraph:
    graph = adapter.module.inlined_graph
    nodes: list[GraphNode] = []
    types: dict[str, tuple[Shape, str | None]] = {}
    inputs = [v.debugName() for v in graph.inputs()]
    for value in graph.inputs():
        types[value.debugName()] = (None, str(value.type()))
    _block_nodes(graph, nodes, types)
    outputs = [v.debugName() for v in graph.outputs()]
    initializers = _state_initializers(adapter.module.state_dict())
    note = "TorchScript records no tensor shapes; edges show value types"
    return native_graph(adapter.format, nodes, inputs, outputs, types, initializers, note)


def _module_scope(node: Any) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    paths = [path for path, _ in stack.values() if path]
    if not paths:
        return ""
    levels, parent = [], ""
    for path in paths:
        levels.append(path[len(parent) + 1 :] if parent and path.startswith(parent + ".") else path)
        parent = path
    return "/".join(levels)


def _meta_type(node: Any) -> tuple[Shape, str | None]:
    value = node.meta.get("val")
    if value is None or not hasattr(value, "shape"):
        return None, None
    shape: list[int | str] = [int(d) if str(d).isdigit() else str(d) for d in value.shape]
    return shape, str(value.dtype).removeprefix("torch.")


def exported_program_graph(adapter: ModelAdapter) -> ModelGraph:
    """The summary's node list (every FX node but ``output``)."""
    program = adapter.program
    fx_nodes = [n for n in program.graph.nodes if n.op != "output"]
    nodes = [
        GraphNode(
            name=n.name,
            op_type=str(n.target) if n.op == "call_function" else n.op,
            scope=_module_scope(n),
            inputs=[i.name for i in n.all_input_nodes],
            outputs=[n.name],
        )
        for n in fx_nodes
    ]
    types = {n.name: _meta_type(n) for n in fx_nodes}
    outputs = [str(name) for name in program.graph_signature.user_outputs]
    initializers = _state_initializers(dict(program.state_dict))
    return native_graph(adapter.format, nodes, [], outputs, types, initializers)
