"""What an overlay shows per box: a collapsed scope stands for all of its nodes."""

from __future__ import annotations

from collections import Counter

import numpy as np

from opscope.backend.contracts.graph import GraphDiff
from opscope.gui.graph.overlay import (
    FUSED_COLOR,
    NO_DATA,
    NO_DATA_COLOR,
    Overlay,
    diff_overlay,
    error_overlay,
    time_overlay,
    time_text,
)
from opscope.gui.graph.scene import GraphScene

OVERLAYS = ("No overlay", "Measured time", "Quantization error", "Diff")
MISSING = {
    "Measured time": "press Profile to measure",
    "Quantization error": "run Optimize with INT8 and auto to measure",
    "Diff": "press Diff with… to compare",
}


def item_times(scene: GraphScene, times: dict) -> np.ndarray:
    """Self time (ns) per shown item from ``NodeTime`` per node name; a scope sums its nodes."""
    ns = np.zeros(len(scene.graph.nodes))
    for name, t in times.items():
        index = scene.node_index.get(name)
        if index is not None:
            ns[index] = t.self_ns
    return np.bincount(scene.view.node_item, weights=ns, minlength=scene.view.items)


def item_fused(scene: GraphScene, times: dict) -> np.ndarray:
    """Per shown item: whether a node of it ran fused into another that holds its time."""
    fused = np.zeros(len(scene.graph.nodes), dtype=bool)
    for name, t in times.items():
        index = scene.node_index.get(name)
        if index is not None and t.counted_on:
            fused[index] = True
    return np.bincount(scene.view.node_item, weights=fused, minlength=scene.view.items) > 0


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


def shown_overlay(
    choice: str,
    scene: GraphScene,
    times: dict | None,
    errors: dict[str, float] | None,
    diff: tuple[GraphDiff, str] | None,
) -> tuple[Overlay | None, str]:
    """The overlay ``choice`` (one of ``OVERLAYS``) over ``scene`` and its legend's text;
    no overlay and a hint when nothing was measured for it."""
    overlay: Overlay | None = None
    if choice == "Measured time" and times:
        overlay = time_overlay(item_times(scene, times))
        fused = item_fused(scene, times) & (overlay.level == NO_DATA)
        if fused.any():
            overlay.palette.append(FUSED_COLOR)
            overlay.level[fused] = len(overlay.palette) - 1
            overlay.legend.append((FUSED_COLOR, "fused: time on the node it ran with"))
        outside = [t.self_ns for name, t in times.items() if name not in scene.node_index]
        if outside:  # nodes onnxruntime added that stand for none of the graph's
            note = f"{len(outside)} nodes added by onnxruntime: {time_text(sum(outside))}"
            overlay.legend.append((NO_DATA_COLOR, f"grey: did not run; {note}"))
        else:
            overlay.legend.append((NO_DATA_COLOR, "grey: did not run"))
    elif choice == "Quantization error" and errors:
        overlay = error_overlay(item_errors(scene, errors))
    elif choice == "Diff" and diff is not None:
        overlay = diff_overlay(item_changes(scene, *diff), diff[0].counts)
    if overlay is not None:
        return overlay, _legend_html(overlay)
    return None, MISSING.get(choice, "")


def _legend_html(overlay: Overlay) -> str:
    swatches = "".join(
        f"<span style='background:{c.name()}'>&nbsp;&nbsp;&nbsp;</span> {text} &nbsp;"
        for c, text in overlay.legend
    )
    return f"<b>{overlay.title}</b>: {swatches}"
