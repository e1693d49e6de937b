"""Weights folded into the nodes that read them, as Netron shows a TensorFlow graph.

A Keras MobileNetV2's serving graph has 263 Placeholders, 262 ReadVariableOps and 91 Consts
beside 35 convolutions: each variable is a resource Placeholder read by a ReadVariableOp,
each constant a Const node. As boxes they bury the computation; folded, each is listed in
the details of the node that reads it. The graph itself (``opscope graph --json``) keeps
every node: folding is a property of the view only.
"""

from __future__ import annotations

from opscope.backend.graph.model import GraphNode, ModelGraph
from opscope.backend.graph.scopes import ancestors, parent_of

WEIGHT_OPS = frozenset({"Const", "ReadVariableOp", "VarHandleOp"})


def is_weight(node: GraphNode) -> bool:
    """A constant, a variable read, or the resource Placeholder a variable read reads."""
    if node.op_type in WEIGHT_OPS:
        return True
    return node.op_type == "Placeholder" and "DT_RESOURCE" in node.attributes.get("dtype", "")


def weight_hosts(graph: ModelGraph) -> dict[int, int]:
    """Per weight node (index): the first node outside the weights that reads it, through
    other weights (resource Placeholder -> ReadVariableOp -> Conv2D). A weight nothing
    reads stays a box of its own."""
    readers: dict[str, list[int]] = {}
    for i, node in enumerate(graph.nodes):
        for tensor in node.inputs:
            readers.setdefault(tensor, []).append(i)
    weights = {i for i, node in enumerate(graph.nodes) if is_weight(node)}
    hosts: dict[int, int] = {}

    def host(i: int, seen: frozenset[int]) -> int:
        if i in hosts:
            return hosts[i]
        for tensor in graph.nodes[i].outputs:
            for reader in readers.get(tensor, ()):
                if reader not in weights:
                    return reader
                if reader not in seen:
                    found = host(reader, seen | {reader})
                    if found >= 0:
                        return found
        return -1

    for i in sorted(weights, reverse=True):  # readers first: their hosts are found once
        found = host(i, frozenset({i}))
        if found >= 0:
            hosts[i] = found
    by_place: dict[str, int] = {}  # node name and scope -> a non-weight node there
    for i, node in enumerate(graph.nodes):
        if i not in weights:
            by_place.setdefault(node.name, i)
            by_place.setdefault("\0" + node.scope, i)
    for i in weights - set(hosts):
        scopes = [graph.nodes[i].scope, *reversed(ancestors(parent_of(graph.nodes[i].scope)))]
        for scope in scopes:
            found = by_place.get(scope, by_place.get("\0" + scope, -1))
            if found >= 0:
                hosts[i] = found
                break
    return hosts
