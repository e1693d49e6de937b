"""The graph jobs: extract and lay out a model's graph; read one weight's statistics."""

from __future__ import annotations

import time
from pathlib import Path

from opscope.backend.contracts.graph import (
    GraphParams,
    GraphResult,
    TensorStatsParams,
    TensorStatsResult,
)
from opscope.backend.graph.extract import extract_graph
from opscope.backend.graph.files import graph_file_path, save_graph_file
from opscope.backend.graph.onnx_graph import onnx_tensor_stats
from opscope.backend.graph.view import build_view, initial_expanded
from opscope.progress import FractionProgress


def graph_job(spec: GraphParams, progress: FractionProgress) -> GraphResult:
    """Job ``model_graph``: the graph and the layout of the view it opens with, as a file."""
    graph = extract_graph(spec.path, progress, spec.converted)
    progress(0.7, f"laying out {len(graph.nodes):,} nodes")
    expanded = initial_expanded(graph) if spec.expanded is None else set(spec.expanded)
    started = time.perf_counter()
    view = build_view(graph, expanded)
    layout = view.lay_out()
    layout_s = time.perf_counter() - started
    target = graph_file_path(spec.path, "converted" if spec.converted else "native")
    progress(0.95, "saving the layout")
    save_graph_file(target, spec.path, graph, expanded, layout)
    result = GraphResult(
        path=spec.path,
        graph_file=str(target),
        format=graph.format,
        native=graph.native,
        note=graph.note,
        nodes=len(graph.nodes),
        edges=len(graph.edges),
        items=view.items,
        layout_s=round(layout_s, 4),
    )
    progress(1.0, f"{len(graph.nodes):,} nodes")
    return result


def tensor_stats_job(spec: TensorStatsParams, progress: FractionProgress) -> TensorStatsResult:
    """Job ``tensor_stats``: one initializer of a large ONNX model, read when asked."""
    return TensorStatsResult(
        tensor=spec.tensor, stats=onnx_tensor_stats(Path(spec.path), spec.tensor)
    )
