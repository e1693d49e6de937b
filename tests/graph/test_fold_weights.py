"""Weights folded into their readers: a TensorFlow graph's Consts, ReadVariableOps and the
resource Placeholders they read are no boxes of their own, but the graph keeps them all."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from opscope.backend.graph.extract import extract_graph
from opscope.backend.graph.view import NODE, all_scopes, build_view
from opscope.backend.graph.weights import is_weight, weight_hosts

pytestmark = pytest.mark.slow


def _ignore(fraction: float, message: str) -> None:
    pass


@pytest.fixture(scope="module")
def keras_graph(keras_cnn):
    return extract_graph(keras_cnn, _ignore)


def test_folded_weights_are_shown_in_the_box_of_their_reader(keras_graph):
    graph = keras_graph
    ops = Counter(n.op_type for n in graph.nodes)
    assert ops["ReadVariableOp"] >= 6 and ops["Placeholder"] > ops["ReadVariableOp"]
    view = build_view(graph, all_scopes(graph))
    shown = {view.label[i] for i in range(view.items) if view.kind[i] == NODE}
    assert not shown & {"Const", "ReadVariableOp"}
    assert shown & {"Conv2D", "DepthwiseConv2dNative"}
    placeholders = [i for i, n in enumerate(graph.nodes) if n.op_type == "Placeholder"]
    data = [i for i in placeholders if not is_weight(graph.nodes[i])]
    assert len(data) == 1 and "Placeholder" in shown  # the model's input stays a box
    hosts = weight_hosts(graph)
    weights = {i for i, n in enumerate(graph.nodes) if is_weight(n)}
    assert set(view.folded) == set(hosts) == weights
    for weight, host in view.folded.items():
        assert not is_weight(graph.nodes[host])
        assert view.node_item[weight] == view.node_item[host] >= 0
    conv = next(i for i, n in enumerate(graph.nodes) if n.op_type == "Conv2D")
    kernel = [w for w, h in hosts.items() if h == conv]
    assert {graph.nodes[w].op_type for w in kernel} == {"ReadVariableOp", "Placeholder"}
    # a folded weight draws no edge, not even to a second reader of a shared constant
    names = {graph.nodes[w].name for w in hosts}
    assert view.edge_of.size and not {graph.edges[e].src for e in view.edge_of} & names


def test_unfolded_the_view_has_every_weight_as_a_box(keras_graph):
    folded = build_view(keras_graph, all_scopes(keras_graph))
    unfolded = build_view(keras_graph, all_scopes(keras_graph), fold_weights=False)
    labels = Counter(unfolded.label[i] for i in range(unfolded.items))
    ops = Counter(n.op_type for n in keras_graph.nodes)
    assert labels["ReadVariableOp"] == ops["ReadVariableOp"]
    assert labels["Placeholder"] == ops["Placeholder"]
    assert unfolded.folded == {} and unfolded.items == folded.items + len(folded.folded)
    assert unfolded.src.size > folded.src.size


def test_graph_json_keeps_the_frameworks_full_node_list(keras_cnn, keras_graph):
    out = subprocess.run(
        [sys.executable, "-m", "opscope", "graph", "--json", str(keras_cnn)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    nodes = json.loads(out)["nodes"]
    assert [n["name"] for n in nodes] == [n.name for n in keras_graph.nodes]
    assert Counter(n["op_type"] for n in nodes)["ReadVariableOp"] >= 6
