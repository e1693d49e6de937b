"""The graph jobs: extract and lay out a model's graph; read one weight's statistics; diff
two laid-out graphs; join an onnxruntime profile's times to the nodes. Each runs in a child
process, so the window stays responsive on a graph of 10,000 nodes or a profile of millions
of events."""

from __future__ import annotations

import time
from pathlib import Path

from opscope.backend.contracts.graph import (
    GraphDiff,
    GraphDiffParams,
    GraphParams,
    GraphResult,
    NodeTimesParams,
    NodeTimesResult,
    TensorStatsParams,
    TensorStatsResult,
)
from opscope.backend.graph.diff import diff_graphs
from opscope.backend.graph.extract import extract_graph
from opscope.backend.graph.files import graph_file_path, load_graph_file, save_graph_file
from opscope.backend.graph.onnx_graph import onnx_tensor_stats
from opscope.backend.graph.profile_times import graph_node_times
from opscope.backend.graph.view import build_view, initial_expanded
from opscope.progress import FractionProgress


def graph_job(spec: GraphParams, progress: FractionProgress) -> GraphResult:
    """Job ``model_graph``: the graph and the layout of the view it opens with, as a file."""
    graph = extract_graph(spec.path, progress, spec.converted, spec.inputs)
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


def graph_diff_job(spec: GraphDiffParams, progress: FractionProgress) -> GraphDiff:
    """Job ``graph_diff``: what changed from the first graph file's graph to the second's."""
    progress(0.1, "reading both graphs")
    first, second = load_graph_file(spec.first)[0], load_graph_file(spec.second)[0]
    progress(0.4, f"matching {len(first.nodes):,} nodes with {len(second.nodes):,}")
    diff = diff_graphs(first, second)
    progress(1.0, ", ".join(f"{n:,} {kind}" for kind, n in diff.counts.items() if n))
    return diff


def node_times_job(spec: NodeTimesParams, progress: FractionProgress) -> NodeTimesResult:
    """Job ``node_times``: count, total and self time per node of an imported ORT profile."""
    from opscope.profiling.trace import load_trace

    progress(0.1, "reading the profile")
    graph = load_graph_file(spec.graph_file)[0] if spec.graph_file else None
    times = graph_node_times(load_trace(spec.trace_file), graph, spec.profile)
    progress(1.0, f"{len(times):,} nodes measured")
    return NodeTimesResult(times=times)
