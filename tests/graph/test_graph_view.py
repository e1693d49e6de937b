"""Collapsing scopes, the layered layout, and the graph job's file."""

from __future__ import annotations

import numpy as np

from opscope.backend.graph.extract import extract_graph
from opscope.backend.graph.files import load_graph_file
from opscope.backend.graph.layout import layered_layout
from opscope.backend.graph.scopes import parent_of, scope_of_name, scope_of_namespace
from opscope.backend.graph.view import NODE, SCOPE, all_scopes, build_view, initial_expanded
from opscope.backend.jobs import JobSpec, run_job


def _ignore(fraction: float, message: str) -> None:
    pass


def _shown_nodes(view) -> int:
    return int(view.size[(view.kind == NODE) | (view.kind == SCOPE)].sum())


def test_scope_parsing():
    assert scope_of_name("/encoder/layer.3/attention/MatMul") == "encoder/layer.3/attention"
    assert scope_of_name("functional_1/bidirectional_1/add") == "functional_1/bidirectional_1"
    assert scope_of_name("node_Gemm_123") == ""
    namespace = ": M/enc: Encoder/enc.layers.0: Layer/enc.layers.0.linear1: Linear/linear: aten"
    assert scope_of_namespace(namespace) == "enc/layers.0/linear1"


def test_collapse_and_expand_keep_the_node_count(scoped_onnx):
    graph = extract_graph(scoped_onnx, _ignore)
    scopes = all_scopes(graph)
    expanded: set[str] = set()
    view = build_view(graph, expanded)
    assert _shown_nodes(view) == len(graph.nodes)
    # open one level at a time, down to every node
    while True:
        closed = [k for k, kind in zip(view.key, view.kind, strict=True) if kind == SCOPE]
        if not closed:
            break
        expanded.add(closed[0])
        before = view.items
        view = build_view(graph, expanded)
        assert _shown_nodes(view) == len(graph.nodes)
        assert view.items >= before
    assert expanded == set(scopes)
    assert (view.kind == NODE).sum() == len(graph.nodes)
    # closing a scope hides what is inside it again
    top = next(s for s in scopes if "/" not in s)
    view = build_view(graph, expanded - {top})
    box = view.key.index(top)
    inside = int((view.node_item == box).sum())  # its nodes, and weights only it reads
    assert view.size[box] == inside >= scopes[top]
    assert view.label[box] == f"{top} ({inside:,})"


def test_large_graph_opens_collapsed(wide_onnx):
    graph = extract_graph(wide_onnx, _ignore)
    expanded = initial_expanded(graph)
    view = build_view(graph, expanded)
    assert view.items < 100 and (view.kind == SCOPE).any()
    assert _shown_nodes(view) == 3000
    assert all(parent_of(s) in expanded or "/" not in s for s in expanded)


def test_layout_layers_follow_edges_and_boxes_do_not_overlap(scoped_onnx):
    graph = extract_graph(scoped_onnx, _ignore)
    view = build_view(graph, all_scopes(graph))
    layout = view.lay_out()
    width, _ = view.box_sizes()
    assert (layout.layer[view.dst] > layout.layer[view.src]).all()  # exports are DAGs
    for layer in np.unique(layout.layer):
        members = np.flatnonzero(layout.layer == layer)
        order = members[np.argsort(layout.x[members])]
        left = layout.x[order] - width[order] / 2
        right = layout.x[order] + width[order] / 2
        assert (left[1:] >= right[:-1] - 1e-6).all()
    # each shown edge is a chain of segments from its source box down to its reader's box
    assert set(layout.segment_edge.tolist()) == set(range(view.src.size))


def test_layout_breaks_cycles():
    layout = layered_layout(
        3, np.array([0, 1, 2]), np.array([1, 2, 0]), np.full(3, 60.0), np.full(3, 30.0)
    )
    assert sorted(layout.layer.tolist()) == [0, 1, 2]
    assert layout.segments.shape[0] >= 3


def test_graph_job_writes_a_file_the_gui_reads(wide_onnx):
    result = run_job(JobSpec("model_graph", {"path": str(wide_onnx)}))
    graph, expanded, layout = load_graph_file(result.graph_file)
    assert result.nodes == len(graph.nodes) == 3000
    assert layout.x.size == result.items == build_view(graph, expanded).items
    expanded_all = {"path": str(wide_onnx), "expanded": sorted(all_scopes(graph))}
    again = run_job(JobSpec("model_graph", expanded_all))
    assert again.items == 3000 + 2  # every node, plus the input and the output
