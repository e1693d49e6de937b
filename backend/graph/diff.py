"""What changed between two ONNX graphs: nodes kept, removed, added, fused or quantized.

Optimizers rename little and rewire much, so nodes are matched in three passes:

1. by name (exporters and onnxruntime keep names of nodes they leave alone), then a node
   to the integer op onnxruntime's quantizer named after it (``MatMul_3_quant``);
2. by an output tensor (a fused node writes the tensor the last node of its pattern wrote:
   Conv + Relu → FusedConv produces Relu's output);
3. by structure: same op type reading tensors from nodes already matched to each other.

A matched pair of the same op type is *kept*; the second node running a quantized op
(QLinearConv, MatMulInteger, …) makes it *quantized*; any other op change is *fused*, as
are the nodes whose output a node of the other graph took over. Whatever is left is
*removed* from the first graph or *added* in the second (Q/DQ pairs inserted by
quantization among them).
"""

from __future__ import annotations

from collections import Counter

from opscope.backend.contracts.graph import GraphDiff, NodeChange
from opscope.backend.graph.model import GraphNode, ModelGraph
from opscope.backend.summary import is_quant_op

KINDS = ("kept", "removed", "added", "fused", "quantized")
QUANT_SUFFIX = "_quant"


def _pair_kind(before: GraphNode, after: GraphNode) -> str:
    if before.op_type == after.op_type:
        return "kept"
    return "quantized" if is_quant_op(after.op_type) else "fused"


def _structure_key(node: GraphNode, producer: dict[str, str], renamed: dict[str, str]) -> tuple:
    sources = tuple(renamed.get(producer.get(t, t), "?") for t in node.inputs)
    return node.op_type, sources


def diff_graphs(first: ModelGraph, second: ModelGraph) -> GraphDiff:
    after_by_name = {n.name: n for n in second.nodes}
    matched: dict[str, str] = {}  # first name -> second name
    kinds: dict[str, str] = {}
    for node in first.nodes:
        other = after_by_name.get(node.name)
        if other is not None:
            matched[node.name], kinds[node.name] = other.name, _pair_kind(node, other)
    taken = set(matched.values())
    _match_quantized(first, second, matched, kinds, taken)
    writer = {t: n for n in second.nodes for t in n.outputs}
    absorbed: dict[str, str] = {}
    for node in first.nodes:
        if node.name in matched:
            continue
        other = next((writer[t] for t in node.outputs if t in writer), None)
        if other is None:
            continue
        if other.name in taken:
            absorbed[node.name] = other.name  # folded into a node matched already
        else:
            matched[node.name], kinds[node.name] = other.name, _pair_kind(node, other)
            if kinds[node.name] == "kept" and other.op_type != node.op_type:
                kinds[node.name] = "fused"
            taken.add(other.name)
    _match_structure(first, second, matched, kinds, taken)
    return _collect(first, second, matched, kinds, absorbed)


def _match_quantized(first, second, matched, kinds, taken) -> None:
    """onnxruntime's quantizers name a node's integer replacement after it
    (``/fc/MatMul`` → ``/fc/MatMul_quant``, a MatMulInteger)."""
    replacement = {}
    for node in second.nodes:
        if is_quant_op(node.op_type) and QUANT_SUFFIX in node.name and node.name not in taken:
            replacement.setdefault(node.name.rsplit(QUANT_SUFFIX, 1)[0], node.name)
    for node in first.nodes:
        other = replacement.get(node.name)
        if node.name not in matched and other is not None and other not in taken:
            matched[node.name], kinds[node.name] = other, "quantized"
            taken.add(other)


def _match_structure(first, second, matched, kinds, taken) -> None:
    first_producer = {t: n.name for n in first.nodes for t in n.outputs}
    second_producer = {t: n.name for n in second.nodes for t in n.outputs}
    identity = {b: b for b in taken}
    identity.update({name: name for name in second.inputs})
    forward = {**matched, **{name: name for name in first.inputs}}
    candidates: dict[tuple, list[GraphNode]] = {}
    for node in second.nodes:
        if node.name not in taken:
            key = _structure_key(node, second_producer, identity)
            candidates.setdefault(key, []).append(node)
    for node in first.nodes:
        if node.name in matched:
            continue
        key = _structure_key(node, first_producer, forward)
        pool = candidates.get(key)
        if pool:
            other = pool.pop(0)
            matched[node.name], kinds[node.name] = other.name, "kept"
            forward[node.name] = other.name
            taken.add(other.name)


def _collect(first, second, matched, kinds, absorbed) -> GraphDiff:
    changes = []
    for node in first.nodes:
        if node.name in matched:
            changes.append(NodeChange(kinds[node.name], node.name, matched[node.name]))
        elif node.name in absorbed:
            after = absorbed[node.name]
            kind = "quantized" if is_quant_op(_op_of(second, after)) else "fused"
            changes.append(NodeChange(kind, node.name, after))
        else:
            changes.append(NodeChange("removed", node.name, None))
    used = set(matched.values()) | set(absorbed.values())
    changes += [NodeChange("added", None, n.name) for n in second.nodes if n.name not in used]
    counts = Counter(c.kind for c in changes)
    return GraphDiff(changes=changes, counts={kind: counts.get(kind, 0) for kind in KINDS})


def _op_of(graph: ModelGraph, name: str) -> str:
    return next((n.op_type for n in graph.nodes if n.name == name), "")
