"""The graph summary every model format is reduced to, and the counting behind it.

Frameworks describe graphs differently, so each adapter first lowers its graph to a flat
list of :class:`OpNode` (name, op, tensors in, tensors out) and the counting here is the
same for all of them: per-op counts, Const / Variable / Identity / Placeholder counts, dead
nodes (nothing they produce reaches an output) and quantization nodes. That makes the
numbers comparable before and after a conversion or a pruning step.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# ONNX and TensorFlow quantization ops by exact name; QLinear* / *Integer / Quantized* /
# FakeQuant* are matched by prefix or suffix in :func:`is_quant_op`.
QUANT_OPS = frozenset(
    {
        "QuantizeLinear",
        "DequantizeLinear",
        "DynamicQuantizeLinear",
        "DynamicQuantizeMatMul",
        "DynamicQuantizeLSTM",
        "QuantizeV2",
        "Dequantize",
        "QuantizeAndDequantize",
        "QuantizeAndDequantizeV2",
        "QuantizeAndDequantizeV3",
        "QuantizeAndDequantizeV4",
        "aten::quantize_per_tensor",
        "aten::quantize_per_channel",
        "aten::dequantize",
    }
)
QUANT_PREFIXES = ("QLinear", "Quantized", "FakeQuant", "quantized::", "_contrib_quantize")
QUANT_SUFFIXES = ("Integer",)


def is_quant_op(op: str) -> bool:
    """Whether ``op`` quantizes, dequantizes or computes on quantized integers."""
    short = op.rsplit(".", 1)[-1] if op.startswith("com.") else op
    return short in QUANT_OPS or short.startswith(QUANT_PREFIXES) or short.endswith(QUANT_SUFFIXES)


@dataclass(frozen=True)
class OpNode:
    """One node of any framework's graph, reduced to what the counting needs."""

    name: str
    op: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class OpKinds:
    """Which op names a framework uses for constants, variables, identities, placeholders."""

    const: frozenset[str] = frozenset()
    variable: frozenset[str] = frozenset()
    identity: frozenset[str] = frozenset()
    placeholder: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output as the user sees it; a ``None`` or named dim is dynamic."""

    name: str
    dtype: str
    shape: tuple[int | str | None, ...] | None

    def to_dict(self) -> dict[str, Any]:
        shape = None if self.shape is None else list(self.shape)
        return {"name": self.name, "dtype": self.dtype, "shape": shape}


@dataclass
class GraphSummary:
    """The node-count summary of one graph; ``to_dict`` is the ``inspect --json`` object."""

    format: str
    nodes: int = 0
    op_counts: dict[str, int] = field(default_factory=dict)
    const: int = 0
    variable: int = 0
    identity: int = 0
    placeholder: int = 0
    params: int = 0
    param_bytes: int = 0
    initializers: int = 0
    inputs: list[TensorInfo] = field(default_factory=list)
    outputs: list[TensorInfo] = field(default_factory=list)
    unused_nodes: list[str] = field(default_factory=list)
    unused_initializers: list[str] = field(default_factory=list)
    quant_nodes: int = 0
    opset: int | None = None
    producer: str = ""
    size_bytes: int = 0
    # ops inside control-flow bodies (TF While/If functions, ONNX Loop/If/Scan subgraphs):
    # an LSTM's cell runs there, and the top-level counts alone would hide it
    subgraph_op_counts: dict[str, int] = field(default_factory=dict)
    frozen: GraphSummary | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["inputs"] = [t.to_dict() for t in self.inputs]
        data["outputs"] = [t.to_dict() for t in self.outputs]
        data["frozen"] = None if self.frozen is None else self.frozen.to_dict()
        if self.frozen is None:
            del data["frozen"]
        return data


def count_nodes(
    summary: GraphSummary,
    nodes: Sequence[OpNode],
    graph_outputs: Iterable[str],
    kinds: OpKinds,
) -> None:
    """Fill the node counts, unused nodes and quantization count of ``summary``."""
    ops = Counter(node.op for node in nodes)
    summary.nodes = len(nodes)
    summary.op_counts = dict(sorted(ops.items(), key=lambda item: (-item[1], item[0])))
    summary.const = sum(ops[op] for op in kinds.const)
    summary.variable = sum(ops[op] for op in kinds.variable)
    summary.identity = sum(ops[op] for op in kinds.identity)
    summary.placeholder = sum(ops[op] for op in kinds.placeholder)
    summary.quant_nodes = sum(n for op, n in ops.items() if is_quant_op(op))
    used = used_nodes(nodes, graph_outputs)
    summary.unused_nodes = [node.name for i, node in enumerate(nodes) if i not in used]


def used_nodes(nodes: Sequence[OpNode], graph_outputs: Iterable[str]) -> set[int]:
    """Indices of the nodes whose results reach a graph output (walking producers back)."""
    producer: dict[str, int] = {}
    for index, node in enumerate(nodes):
        for tensor in node.outputs:
            producer[tensor] = index
    used: set[int] = set()
    pending = [producer[t] for t in graph_outputs if t in producer]
    while pending:
        index = pending.pop()
        if index in used:
            continue
        used.add(index)
        pending.extend(producer[t] for t in nodes[index].inputs if t in producer)
    return used


def consumed_tensors(nodes: Sequence[OpNode], used: set[int]) -> set[str]:
    """Every tensor read by the used nodes."""
    return {tensor for index in used for tensor in nodes[index].inputs}


def path_size(*paths: str | os.PathLike) -> int:
    """Bytes on disk of files and folders (a SavedModel is a folder)."""
    total = 0
    for path in map(Path, paths):
        if path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            total += path.stat().st_size
    return total
