"""Measured time per node from a real onnxruntime profile."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from opscope.backend.graph.extract import extract_graph
from opscope.backend.graph.profile_times import read_node_times


def _profile(model, folder) -> str:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = str(folder / "ort")
    options.log_severity_level = 3
    # as written: onnxruntime's own rewrites (NCHWc reorders) would add nodes of its own
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    inputs = {"input": np.random.default_rng(0).standard_normal((1, 3, 16, 16), np.float32)}
    for _ in range(3):
        session.run(None, inputs)
    return session.end_profiling()


def test_self_times_sum_to_the_profiles_per_node_totals(cnn_onnx, tmp_path):
    path = _profile(cnn_onnx, tmp_path)
    expected: dict[str, int] = defaultdict(int)
    runs: dict[str, int] = defaultdict(int)
    for event in json.loads(Path(path).read_text()):
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            node = event["name"].removesuffix("_kernel_time")
            expected[node] += int(event["dur"]) * 1000  # µs -> ns
            runs[node] += 1
    times = read_node_times(path)
    assert times and set(times) == set(expected)
    for node, total in expected.items():
        assert times[node].self_ns == total == times[node].total_ns
        assert times[node].count == runs[node] == 3
    graph_names = {n.name for n in extract_graph(cnn_onnx, lambda f, m: None).nodes}
    assert set(times) <= graph_names  # every measured node is a node of the graph
