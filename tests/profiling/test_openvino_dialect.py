"""OpenVINO profiles (its per-layer performance counters in ONNX Runtime's event shape) are
read as their own dialect, ``openvino``, and their per-op table is the counters' own sums.

A small CNN exported by torch.onnx is profiled by ``opscope profile`` in OpenVINO and in
onnxruntime (the same event shape, told apart by the marker the OpenVINO writer puts in).
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from opscope.cli import main
from opscope.profiling.reader import read_trace
from opscope.profiling.stats import op_stats

pytest.importorskip("openvino")


@pytest.fixture(scope="module")
def cnn_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from opscope.backend.models.base import quiet_native_output

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(16, 10),
    ).eval()
    path = tmp_path_factory.mktemp("ov_dialect") / "cnn.onnx"
    with quiet_native_output():
        torch.onnx.export(model, (torch.randn(2, 3, 32, 32),), str(path), dynamo=False)
    return path


def _profile(model: Path, target: Path, runtime: str, capsys) -> dict:
    argv = ["profile", str(model), "-o", str(target), "--runtime", runtime, "--runs", "3"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["trace", "info", str(target), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_openvino_profile_is_the_openvino_dialect_with_the_counters_sums(
    cnn_onnx: Path, tmp_path: Path, capsys
) -> None:
    target = tmp_path / "ov.json"
    info = _profile(cnn_onnx, target, "openvino", capsys)
    assert info["format"] == "openvino"
    layers = [e for e in json.loads(target.read_text()) if e.get("cat") == "Node"]
    sums: dict[str, float] = collections.defaultdict(float)
    counts: collections.Counter = collections.Counter()
    for layer in layers:  # the counters as the writer put them: one slice per executed layer
        sums[layer["args"]["op_name"]] += layer["dur"]
        counts[layer["args"]["op_name"]] += 1
    assert "Convolution" in sums
    trace = read_trace(target)
    assert trace.format == "openvino"
    rows = {row["op"]: row for row in op_stats(trace).rows()}
    assert set(rows) == set(sums)
    for op_type, micros in sums.items():
        assert rows[op_type]["count"] == counts[op_type], op_type
        assert rows[op_type]["total_us"] == pytest.approx(micros), op_type
        assert rows[op_type]["self_us"] == pytest.approx(micros), op_type


def test_onnxruntime_profile_stays_onnxruntime(cnn_onnx: Path, tmp_path: Path, capsys) -> None:
    assert _profile(cnn_onnx, tmp_path / "ort.json", "onnxruntime", capsys)["format"] == (
        "onnxruntime"
    )
