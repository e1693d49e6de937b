"""Native graphs of TensorFlow, TorchScript, torch.export and MXNet models."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from opscope.backend.graph.extract import extract_graph
from opscope.backend.inspect import inspect_model

pytestmark = pytest.mark.slow


def _ignore(fraction: float, message: str) -> None:
    pass


def _same_as_summary(path) -> object:
    """The graph counts exactly the nodes ``opscope inspect`` counts, op by op."""
    graph = extract_graph(path, _ignore)
    summary = inspect_model(path)
    assert len(graph.nodes) == summary.nodes
    assert Counter(n.op_type for n in graph.nodes) == Counter(summary.op_counts)
    assert graph.native and len({n.name for n in graph.nodes}) == len(graph.nodes)
    return graph


def test_torchscript_nodes_are_the_inlined_graph(torchscript_cnn):
    import torch

    graph = _same_as_summary(torchscript_cnn)
    inlined = torch.jit.load(str(torchscript_cnn)).inlined_graph
    assert [n.op_type for n in graph.nodes] == [n.kind() for n in inlined.nodes()]
    convs = [n for n in graph.nodes if n.op_type == "aten::_convolution"]
    assert len(convs) == 2
    assert {i.name for i in graph.initializers} >= {"conv1.weight", "bn1.running_var"}


def test_exported_program_has_shapes_and_module_scopes(exported_cnn):
    import torch

    graph = _same_as_summary(exported_cnn)
    program = torch.export.load(str(exported_cnn))
    assert [n.name for n in graph.nodes] == [
        n.name for n in program.graph.nodes if n.op != "output"
    ]
    conv = next(n for n in graph.nodes if "conv2d" in n.op_type)
    assert conv.scope == "conv1"
    edge = next(e for e in graph.edges if e.src == conv.name)
    assert edge.shape[1:] == [8, 16, 16] and edge.dtype == "float32"


def test_keras_graph_is_the_serving_graph_with_tensorflow_shapes(keras_tagger):
    graph = _same_as_summary(keras_tagger)
    assert any(n.scope for n in graph.nodes)  # functional_1/bilstm/... name scopes
    output = next(e for e in graph.edges if e.dst in graph.outputs)
    # TensorFlow's own inference: the LSTM's while loop leaves the time axis unknown
    assert len(output.shape) == 3 and output.shape[-1] == 4 and output.dtype == "float32"


def test_savedmodel_graph(savedmodel_ranker):
    graph = _same_as_summary(savedmodel_ranker)
    assert len(graph.outputs) == 2
    placeholders = [n for n in graph.nodes if n.op_type == "Placeholder"]
    features = {
        e.shape[-1]
        for n in placeholders
        for e in graph.edges
        if e.src == n.name and e.dtype == "float32"
    }
    assert features == {5, 6}  # the user and item inputs; the rest are resource handles


def test_mxnet_nodes_are_the_symbols_nodes(mxnet_cnn):
    graph = _same_as_summary(mxnet_cnn)
    symbol = json.loads(mxnet_cnn.read_text())
    operators = [n for n in symbol["nodes"] if n["op"] != "null"]
    assert [n.name for n in graph.nodes] == [n["name"] for n in operators]
    weights = {i.name for i in graph.initializers}
    nulls = {n["name"] for n in symbol["nodes"] if n["op"] == "null"}
    assert any(name.endswith("weight") for name in weights)
    assert set(graph.inputs) == nulls - weights == {"data"}
    first = next(n for n in graph.nodes if "data" in n.inputs)
    assert any(e.src == "data" and e.dst == first.name for e in graph.edges)
    head = symbol["nodes"][symbol["heads"][0][0]]["name"]
    assert graph.outputs == [f"{head}_output"]


def test_the_converted_onnx_graph_on_request(exported_cnn):
    from opscope.backend.jobs import JobSpec, run_job

    result = run_job(JobSpec("model_graph", {"path": str(exported_cnn), "converted": True}))
    assert not result.native and "converted to ONNX" in result.note
    graph = extract_graph(exported_cnn, _ignore, converted=True)
    assert {"Conv", "Relu", "Gemm"} <= {n.op_type for n in graph.nodes}
    assert all(e.shape is not None for e in graph.edges if e.src in graph.inputs)
