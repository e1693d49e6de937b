"""Which nodes of an INT8 model cost the accuracy: per-node error contributions.

Knowing that a quantized model misses the tolerance is not enough to fix it; the nodes to
keep in float are. Both models run on the same inputs with every float intermediate tensor
as an output (onnxruntime's ``qdq_loss_debug`` augmentation); a QDQ model keeps the float
model's tensor names for its nodes' outputs. A node's contribution is the relative error of
its output (quantized vs float) minus the largest relative error among its inputs: what the
node adds (its weights, its inputs' and its own quantization), not what it inherits, so
the error of one bad layer is not blamed on every layer after it.

An NNCF model is an OpenVINO model, with no QDQ tensors to match; its ops keep the float
model's names (NNCF inserts FakeQuantize layers in front of them), so the same comparison
runs on the two OpenVINO models' intermediate outputs: a weighted layer's contribution is
the error of its output minus the largest error among the layers that feed it, i.e. what
its own input and weight quantization add.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.models.base import user_errors
from opscope.backend.models.onnx_model import load_onnx

WORST_NODES = 5  # how many a report lists, and a retry excludes
WEIGHTED_OPS = frozenset({"Conv", "ConvTranspose", "Gemm", "MatMul", "Attention", "LSTM", "GRU"})
# OpenVINO's layers that NNCF quantizes with weights (excluding them keeps them in float)
OPENVINO_WEIGHTED = frozenset(
    {"Convolution", "GroupConvolution", "ConvolutionBackpropData", "MatMul", "LSTMSequence"}
)


@dataclass(frozen=True)
class NodeError:
    """A float-model node (the one with weights in its segment ``nodes``): the relative error
    of the segment's output, and how much of it the segment adds."""

    node: str
    op_type: str
    output: str
    relative_error: float
    contribution: float
    nodes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _activations(
    model: Path, folder: Path, batches: Sequence[Mapping[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Every float intermediate tensor of ``model`` over ``batches``, flattened and joined."""
    from onnxruntime.quantization.qdq_loss_debug import (
        collect_activations,
        modify_model_output_intermediate_tensors,
    )

    augmented = folder / f"{model.stem}.activations.onnx"
    with user_errors(f"cannot collect the intermediate outputs of {model.name}"):
        modify_model_output_intermediate_tensors(str(model), str(augmented))
        collected = collect_activations(str(augmented), [dict(b) for b in batches])
    return {name: np.concatenate([np.ravel(t) for t in runs]) for name, runs in collected.items()}


def relative_error(expected: np.ndarray, actual: np.ndarray) -> float:
    """``||actual - expected|| / ||expected||`` (absolute where the reference is all zero)."""
    want, got = expected.astype(np.float64), actual.astype(np.float64)
    if want.shape != got.shape:
        return float("inf")
    scale = float(np.linalg.norm(want))
    diff = float(np.linalg.norm(got - want))
    return diff / scale if scale > 0 else diff


def _compared(
    reference: Mapping[str, np.ndarray], quantized: Mapping[str, np.ndarray]
) -> dict[str, float]:
    """Relative error per float tensor, as the quantized model's consumers see it: after its
    QuantizeLinear/DequantizeLinear pair where it has one (the quantizer may fold a ReLU
    into that pair and give the Conv's output the ReLU's name: only the pair's output means
    the same as the float tensor)."""
    from onnxruntime.quantization.quant_utils import DEQUANT_OUTPUT_SUFFIX

    errors = {}
    for name, expected in reference.items():
        actual = quantized.get(name + DEQUANT_OUTPUT_SUFFIX, quantized.get(name))
        if actual is not None:
            errors[name] = relative_error(expected, actual)
    return errors


def _segment(node: Any, producer: Mapping[str, Any], errors: Mapping[str, float]):
    """The nodes between ``node``'s compared output and the nearest compared tensors above
    it (a Conv whose output the quantized model fused away belongs to its ReLU's segment),
    and the largest error among those tensors."""
    nodes, inherited, pending, seen = [node], 0.0, list(node.input), set()
    while pending:
        name = pending.pop()
        if not name or name in seen:
            continue
        seen.add(name)
        if name in errors or name not in producer:
            inherited = max(inherited, errors.get(name, 0.0))
            continue
        nodes.append(producer[name])
        pending.extend(producer[name].input)
    return nodes[::-1], inherited


def node_errors(
    float_model: Path,
    quantized_model: Path,
    batches: Sequence[Mapping[str, np.ndarray]],
    folder: Path,
) -> list[NodeError]:
    """Every float-model segment whose output both models compute, the node that carries
    its weights named first; largest contribution first."""
    errors = _compared(
        _activations(float_model, folder, batches), _activations(quantized_model, folder, batches)
    )
    nodes = list(load_onnx(float_model).graph.node)  # one wrapper per node: ids stay valid
    names = {id(n): n.name or f"{n.op_type}_{i}" for i, n in enumerate(nodes)}
    producer = {out: node for node in nodes for out in node.output}
    rows = []
    for node in nodes:
        outputs = [o for o in node.output if o in errors]
        if not outputs:
            continue
        output = max(outputs, key=errors.__getitem__)
        segment, inherited = _segment(node, producer, errors)
        weighted = [n for n in segment if n.op_type in WEIGHTED_OPS] or [node]
        rows.append(
            NodeError(
                node=names[id(weighted[0])],
                op_type=weighted[0].op_type,
                output=output,
                relative_error=errors[output],
                contribution=max(errors[output] - inherited, 0.0),
                nodes=tuple(names[id(n)] for n in segment),
            )
        )
    return sorted(rows, key=lambda r: (-r.contribution, -r.relative_error, r.node))


def worst_nodes(errors: Sequence[NodeError], count: int = WORST_NODES) -> list[str]:
    """The nodes of the ``count`` segments that add the most error (and add any at all):
    what to keep in float."""
    names = [n for e in errors[:count] if e.contribution > 0 for n in e.nodes or (e.node,)]
    return list(dict.fromkeys(names))


def onnx_name(layer: str, onnx_nodes: Sequence[str]) -> str:
    """The ONNX node an OpenVINO layer came from: its ONNX frontend names a node's layers
    after it (``/conv/Conv`` -> ``/conv/Conv/WithoutBiases``); the layer's own name when
    no node matches."""
    matches = [n for n in onnx_nodes if n and (layer == n or layer.startswith(n + "/"))]
    return max(matches, key=len) if matches else layer


def openvino_node_errors(
    float_model: Any,
    quantized_model: Any,
    batches: Sequence[Mapping[str, np.ndarray]],
    onnx_nodes: Sequence[str] = (),
) -> list[NodeError]:
    """Per weighted layer of an NNCF model (``ov.Model``s, float and quantized, on the same
    inputs): the relative error of its output and the part it adds; ``node`` is the ONNX
    node it came from (what ``--exclude-nodes`` and NNCF's ignored scope take); largest
    contribution first."""
    from opscope.backend.runtimes import openvino_runtime as ovr

    shared = set(ovr.comparable_ops(quantized_model))
    names = [n for n in ovr.comparable_ops(float_model) if n in shared]
    want = ovr.intermediate_outputs(float_model, list(batches), names)
    got = ovr.intermediate_outputs(quantized_model, list(batches), names)
    errors = {n: relative_error(want[n], got[n]) for n in want if n in got}
    rows = []
    for op in float_model.get_ordered_ops():
        name = op.get_friendly_name()
        if op.get_type_name() not in OPENVINO_WEIGHTED or name not in errors:
            continue
        feeding = [i.get_source_output().get_node().get_friendly_name() for i in op.inputs()]
        inherited = max((errors.get(n, 0.0) for n in feeding), default=0.0)
        node = onnx_name(name, onnx_nodes)
        rows.append(
            NodeError(
                node=node,
                op_type=op.get_type_name(),
                output=name,
                relative_error=errors[name],
                contribution=max(errors[name] - inherited, 0.0),
                nodes=(node,),
            )
        )
    return sorted(rows, key=lambda r: (-r.contribution, -r.relative_error, r.node))
