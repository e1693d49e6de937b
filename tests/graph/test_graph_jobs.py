"""The graph diff and the per-node times as jobs: the same results as the functions, through
the same strict contracts a child process returns; MXNet shapes inferred from input shapes."""

from __future__ import annotations

import numpy as np
import pytest

from opscope.backend.contracts.base import decode, encode
from opscope.backend.graph.diff import diff_graphs
from opscope.backend.graph.extract import extract_graph
from opscope.backend.graph.files import load_graph_file
from opscope.backend.graph.profile_times import event_of_node, node_of_event, node_times
from opscope.backend.jobs import JobSpec, decode_result, run_job
from opscope.profiling.trace import load_trace


def _ignore(fraction: float, message: str) -> None:
    pass


def _graph_file(path) -> str:
    return run_job(JobSpec("model_graph", {"path": str(path)})).graph_file


def _through_the_pipe(kind: str, result):
    """What the GUI gets: the result encoded in the child, decoded strictly."""
    return decode_result(kind, encode(result))


def test_the_diff_job_equals_the_diff_of_the_graphs(cnn_onnx, tmp_path):
    from onnxruntime.quantization import quantize_dynamic

    int8 = tmp_path / "int8.onnx"
    quantize_dynamic(str(cnn_onnx), str(int8))
    first, second = _graph_file(cnn_onnx), _graph_file(int8)
    spec = JobSpec("graph_diff", {"first": first, "second": second})
    assert decode(spec.to_bytes(), tuple[str, str, bytes])[0] == "graph_diff"
    diff = _through_the_pipe("graph_diff", run_job(spec))
    expected = diff_graphs(load_graph_file(first)[0], load_graph_file(second)[0])
    assert diff == expected and diff.changed
    assert list(diff.counts) == ["kept", "removed", "added", "fused", "quantized"]
    same = run_job(JobSpec("graph_diff", {"first": first, "second": first}))
    assert not same.changed


def test_the_node_times_job_equals_node_times_of_the_trace(cnn_onnx, tmp_path):
    from opscope.backend.optimize.profile import profile_onnxruntime

    rng = np.random.default_rng(0)
    inputs = {"input": rng.standard_normal((1, 3, 16, 16), np.float32)}
    profile = profile_onnxruntime(cnn_onnx, inputs, 3, tmp_path)
    imported = run_job(JobSpec("import_trace", {"path": str(profile)}))
    result = run_job(JobSpec("node_times", {"trace_file": imported.trace_file}))
    times = _through_the_pipe("node_times", result).times
    assert times == node_times(load_trace(imported.trace_file))
    graph = {n.name for n in extract_graph(cnn_onnx, _ignore).nodes}
    assert times and set(times) & graph
    assert all(t.count == 3 and t.self_ns > 0 for t in times.values())


def test_kernel_event_names_and_node_names():
    assert node_of_event(event_of_node("/conv1/Conv")) == "/conv1/Conv"
    assert node_of_event("_kernel_time") is None
    assert node_of_event("SequentialExecutor::Execute") is None


@pytest.mark.slow
def test_mxnet_edges_get_shapes_from_the_input_shapes(mxnet_cnn):
    from opscope.backend.models import open_for

    bare = extract_graph(mxnet_cnn, _ignore)
    assert "give the input shapes" in bare.note
    graph = extract_graph(mxnet_cnn, _ignore, inputs=("data:2x3x16x16:float32",))
    assert graph.note == "" and len(graph.nodes) == len(bare.nodes)
    assert all(e.shape is not None and e.dtype == "float32" for e in graph.edges)
    adapter = open_for(mxnet_cnn)
    ran = adapter.run({"data": np.zeros((2, 3, 16, 16), np.float32)})
    output = next(e for e in graph.edges if e.dst in graph.outputs)
    assert output.shape == list(ran[0].shape) == [2, 10]  # what MXNet itself computes
    conv = next(e for e in graph.edges if e.src == graph.nodes[0].name)
    assert conv.shape == [2, 8, 16, 16]
    wrong = extract_graph(mxnet_cnn, _ignore, inputs=("data:2x5x16x16:float32",))
    assert "give the input shapes" in wrong.note  # MXNet rejects them: no shapes, no failure
