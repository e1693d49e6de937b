"""What the graph view shows: nodes, collapsed scopes as single boxes, inputs and outputs.

A scope is open when it and every scope above it are in ``expanded``; each node is shown
by its shallowest closed scope, or by itself; a weight or constant node read only inside
one closed scope is shown in that scope's box. Edges between shown items are merged, so a
collapsed transformer layer is one box with one edge from the layer before. Pure
Python/numpy: the GUI rebuilds a view when a scope opens or closes, off its own thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from opscope.backend.graph.layout import Layout, layered_layout
from opscope.backend.graph.model import ModelGraph
from opscope.backend.graph.scopes import ancestors, parent_of, scope_sizes
from opscope.backend.graph.weights import weight_hosts

NODE, SCOPE, INPUT, OUTPUT = 0, 1, 2, 3
EXPANDED_BELOW = 1500  # graphs with fewer nodes open fully expanded
OPEN_ITEMS = 80  # a larger graph opens with its scopes expanded while this many are shown
CHAR_WIDTH = 6.5
NODE_HEIGHT = 30.0
SCOPE_HEIGHT = 44.0


@dataclass
class GraphView:
    """Shown items (kind, label, the node index or scope they stand for) and merged edges;
    ``edge_of`` is the graph edge each shown edge comes from (its shape is drawn)."""

    kind: np.ndarray
    label: list[str]
    key: list[str]  # node name, scope path, or tensor name of an input / output
    node_item: np.ndarray  # per graph node: the item that shows it
    src: np.ndarray
    dst: np.ndarray
    edge_of: np.ndarray
    size: np.ndarray  # nodes inside each item (1 for a node, 0 for inputs and outputs)
    folded: dict[int, int]  # weight node -> the node whose box shows it (fold_weights)

    @property
    def items(self) -> int:
        return self.kind.size

    def box_sizes(self) -> tuple[np.ndarray, np.ndarray]:
        chars = np.fromiter((len(t) for t in self.label), dtype=np.float64, count=len(self.label))
        width = np.maximum(chars * CHAR_WIDTH + 20.0, 56.0)
        height = np.where(self.kind == SCOPE, SCOPE_HEIGHT, NODE_HEIGHT)
        return width, height

    def lay_out(self) -> Layout:
        width, height = self.box_sizes()
        return layered_layout(self.items, self.src, self.dst, width, height)


def all_scopes(graph: ModelGraph) -> dict[str, int]:
    """Every scope with its node count (nested scopes included)."""
    return scope_sizes(node.scope for node in graph.nodes)


def _shown_scope(scope: str, expanded: set[str]) -> str | None:
    """The shallowest closed scope on the node's path, None when every one is open."""
    return next((a for a in ancestors(scope) if a not in expanded), None)


def build_view(graph: ModelGraph, expanded: Iterable[str], fold_weights: bool = True) -> GraphView:
    """``fold_weights``: constants and variables are shown in their reader's box
    (:mod:`weights`), not as boxes of their own."""
    expanded = set(expanded)
    kind: list[int] = []
    label: list[str] = []
    key: list[str] = []
    size: list[int] = []
    index: dict[tuple[int, str], int] = {}

    def item(k: int, text: str, name: str, count: int) -> int:
        slot = index.get((k, name))
        if slot is None:
            slot = index[(k, name)] = len(kind)
            kind.append(k)
            label.append(text)
            key.append(name)
            size.append(count)
        return slot

    for name in graph.inputs:
        item(INPUT, name, name, 0)
    node_item = np.full(len(graph.nodes), -1, dtype=np.int64)
    folded = weight_hosts(graph) if fold_weights else {}
    satellites = {i: r for i, r in _satellites(graph).items() if i not in folded}
    for i, node in enumerate(graph.nodes):
        scope = _shown_scope(node.scope, expanded)
        if i in folded:
            continue
        if scope is not None:
            node_item[i] = item(SCOPE, scope, scope, 0)
        elif i not in satellites:
            node_item[i] = item(NODE, node.op_type, node.name, 1)
    for i, readers in satellites.items():
        if node_item[i] >= 0:
            continue
        shown = {int(node_item[r]) for r in readers}
        host = shown.pop() if len(shown) == 1 else -1
        if host >= 0 and kind[host] == SCOPE:
            node_item[i] = host
        else:
            node_item[i] = item(NODE, graph.nodes[i].op_type, graph.nodes[i].name, 1)
    for weight, host in folded.items():
        node_item[weight] = node_item[host]
    members = np.bincount(node_item, minlength=len(kind))
    for slot, k in enumerate(kind):
        if k == SCOPE:
            size[slot] = int(members[slot])
            label[slot] = f"{key[slot].rsplit('/', 1)[-1]} ({size[slot]:,})"
    for name in graph.outputs:
        item(OUTPUT, name, name, 0)
    by_name = {node.name: int(node_item[i]) for i, node in enumerate(graph.nodes)}
    hidden = {graph.nodes[i].name for i in folded}  # a shared constant draws no edges
    src, dst, edge_of = _merged_edges(graph, by_name, index, hidden)
    return GraphView(
        kind=np.asarray(kind, dtype=np.int8),
        label=label,
        key=key,
        node_item=node_item,
        src=src,
        dst=dst,
        edge_of=edge_of,
        size=np.asarray(size, dtype=np.int64),
        folded=folded,
    )


def _satellites(graph: ModelGraph) -> dict[int, list[int]]:
    """Nodes that read no other node's output nor a graph input (weights behind an
    Identity, constants), with their readers. They belong where they are read: one that
    only a collapsed scope reads is shown inside that scope's box, not beside it (a
    TorchScript export of a 125-layer encoder has 1,491 such Identity nodes at the top).
    """
    produced = {t for n in graph.nodes for t in n.outputs} | set(graph.inputs)
    readers: dict[str, list[int]] = {}
    for i, node in enumerate(graph.nodes):
        for tensor in node.inputs:
            readers.setdefault(tensor, []).append(i)
    found = {}
    for i, node in enumerate(graph.nodes):
        if not any(t in produced for t in node.inputs):
            reading = [r for t in node.outputs for r in readers.get(t, ())]
            if reading:
                found[i] = reading
    return found


def _merged_edges(
    graph: ModelGraph, by_name: dict[str, int], index: dict, hidden: set[str]
) -> tuple:
    inputs = {name: index[(INPUT, name)] for name in graph.inputs}
    outputs = {name: index[(OUTPUT, name)] for name in graph.outputs}
    seen: dict[tuple[int, int], int] = {}
    for number, edge in enumerate(graph.edges):
        if edge.src in hidden:
            continue
        a = by_name.get(edge.src, inputs.get(edge.src))
        b = by_name.get(edge.dst, outputs.get(edge.dst))
        if a is None or b is None or a == b:
            continue
        seen.setdefault((a, b), number)
    pairs = np.asarray(list(seen), dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1], np.asarray(list(seen.values()), dtype=np.int64)


def initial_expanded(graph: ModelGraph) -> set[str]:
    """Small graphs open fully; larger ones open level by level while few items show."""
    sizes = all_scopes(graph)
    if len(graph.nodes) < EXPANDED_BELOW:
        return set(sizes)
    children: dict[str, int] = {}
    for scope in sizes:
        children[parent_of(scope)] = children.get(parent_of(scope), 0) + 1
    direct: dict[str, int] = {}
    for node in graph.nodes:
        direct[node.scope] = direct.get(node.scope, 0) + 1
    expanded: set[str] = set()
    shown = children.get("", 0) + direct.get("", 0)
    frontier = sorted((s for s in sizes if "/" not in s), key=lambda s: -sizes[s])
    while frontier:
        scope = frontier.pop(0)
        more = children.get(scope, 0) + direct.get(scope, 0) - 1
        if shown + more > OPEN_ITEMS:
            continue
        expanded.add(scope)
        shown += more
        inner = [s for s in sizes if parent_of(s) == scope and s != scope]
        frontier = sorted(frontier + inner, key=lambda s: -sizes[s])
    return expanded
