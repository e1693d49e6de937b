"""The diff of two ONNX graphs, on a model and its real INT8 versions."""

from __future__ import annotations

import pytest

from opscope.backend.graph.diff import diff_graphs
from opscope.backend.graph.extract import extract_graph
from opscope.backend.summary import is_quant_op


def _ignore(fraction: float, message: str) -> None:
    pass


def test_a_model_against_itself_is_unchanged(scoped_onnx):
    graph = extract_graph(scoped_onnx, _ignore)
    diff = diff_graphs(graph, graph)
    assert not diff.changed
    assert diff.counts["kept"] == len(graph.nodes)


@pytest.fixture(scope="module")
def quantized(cnn_onnx, tmp_path_factory):
    import numpy as np
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        quantize_dynamic,
        quantize_static,
    )

    folder = tmp_path_factory.mktemp("int8")

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            rng = np.random.default_rng(0)
            self.batches = iter(
                [{"input": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)}] * 4
            )

        def get_next(self):
            return next(self.batches, None)

    static, dynamic = folder / "static.onnx", folder / "dynamic.onnx"
    quantize_static(str(cnn_onnx), str(static), Reader(), quant_format=QuantFormat.QDQ)
    quantize_dynamic(str(cnn_onnx), str(dynamic))
    return static, dynamic


def test_static_int8_adds_the_qdq_nodes(cnn_onnx, quantized):
    original = extract_graph(cnn_onnx, _ignore)
    int8 = extract_graph(quantized[0], _ignore)
    diff = diff_graphs(original, int8)
    qdq = {n.name for n in int8.nodes if n.op_type in ("QuantizeLinear", "DequantizeLinear")}
    assert qdq
    added = {c.after for c in diff.of_kind("added")}
    assert qdq <= added
    assert diff.counts["added"] == len(added)
    assert diff.counts["removed"] == 0
    assert diff.counts["kept"] > 0


def test_dynamic_int8_marks_quantized_nodes(cnn_onnx, quantized):
    original = extract_graph(cnn_onnx, _ignore)
    int8 = extract_graph(quantized[1], _ignore)
    diff = diff_graphs(original, int8)
    quant_ops = [n for n in int8.nodes if is_quant_op(n.op_type)]
    assert quant_ops
    touched = {c.after for c in diff.changes if c.kind in ("added", "quantized", "fused")}
    assert {n.name for n in quant_ops} <= touched
    assert sum(diff.counts.values()) == len(diff.changes)
