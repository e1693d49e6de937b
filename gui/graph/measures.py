"""What an overlay shows per box: a collapsed scope stands for all of its nodes."""

from __future__ import annotations

from collections import Counter

import numpy as np

from opscope.backend.graph.diff import GraphDiff
from opscope.gui.graph.scene import GraphScene


def item_times(scene: GraphScene, times: dict) -> np.ndarray:
    """Self time (ns) per shown item from ``NodeTime`` per node name; a scope sums its nodes."""
    ns = np.zeros(len(scene.graph.nodes))
    for name, t in times.items():
        index = scene.node_index.get(name)
        if index is not None:
            ns[index] = t.self_ns
    return np.bincount(scene.view.node_item, weights=ns, minlength=scene.view.items)


def item_errors(scene: GraphScene, errors: dict[str, float]) -> np.ndarray:
    """The worst error of each shown item's nodes (0: not measured)."""
    worst = np.zeros(scene.view.items)
    for name, error in errors.items():
        index = scene.node_index.get(name)
        if index is not None:
            item = scene.item_of_node(index)
            worst[item] = max(worst[item], error)
    return worst


def item_changes(scene: GraphScene, diff: GraphDiff, side: str) -> list[str | None]:
    """The kind of change per shown item of the ``side`` graph ("before" or "after"); a
    scope takes the most common kind other than kept among its nodes."""
    kind_of = {}
    for change in diff.changes:
        name = change.before if side == "before" else change.after
        if name is not None:
            kind_of[name] = change.kind
    per_item: dict[int, Counter] = {}
    for index, node in enumerate(scene.graph.nodes):
        counter = per_item.setdefault(scene.item_of_node(index), Counter())
        counter[kind_of.get(node.name, "kept")] += 1
    kinds: list[str | None] = [None] * scene.view.items
    for item, counter in per_item.items():
        changed = [(n, k) for k, n in counter.items() if k != "kept"]
        kinds[item] = max(changed)[1] if changed else "kept"
    return kinds
