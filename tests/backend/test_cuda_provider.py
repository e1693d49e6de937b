"""The CUDA execution provider path, where onnxruntime-gpu sees a GPU; skipped elsewhere.

CI has no GPU, so these run when a GPU machine is lent (``pytest --noconftest
tests/backend/test_cuda_provider.py`` there: the shared conftest needs Qt). Sessions,
bench, profile and auto mode must take CUDA first, agree with the CPU, and hand back
nothing slower than the input.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import numpy as np
import pytest

from opscope.backend.models.providers import cuda_runs

pytestmark = pytest.mark.skipif(not cuda_runs(), reason="needs onnxruntime-gpu and a GPU")


from opscope.progress import ignore_progress as _quiet  # noqa: E402


@pytest.fixture(scope="module")
def cnn(tmp_path_factory) -> Path:
    """A conv-BN-ReLU stack written with onnx.helper (the GPU image needs no torch export)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inits, prev = [], [], "x"
    for index, (cin, cout) in enumerate([(3, 32), (32, 64), (64, 128)]):
        w = (rng.standard_normal((cout, cin, 3, 3)) / np.sqrt(cin * 9)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{index}"))
        bn = [
            rng.uniform(0.5, 1.5, cout),
            rng.uniform(-0.2, 0.2, cout),
            rng.uniform(-0.5, 0.5, cout),
            rng.uniform(0.5, 2.0, cout),
        ]
        names = [f"{part}{index}" for part in ("scale", "bias", "mean", "var")]
        pairs = zip(bn, names, strict=True)
        inits += [numpy_helper.from_array(a.astype(np.float32), n) for a, n in pairs]
        nodes += [
            helper.make_node(
                "Conv", [prev, f"w{index}"], [f"c{index}"], pads=[1] * 4, strides=[2, 2]
            ),
            helper.make_node("BatchNormalization", [f"c{index}", *names], [f"b{index}"]),
            helper.make_node("Relu", [f"b{index}"], [f"r{index}"]),
        ]
        prev = f"r{index}"
    head = (rng.standard_normal((10, 128)) / np.sqrt(128)).astype(np.float32)
    inits.append(numpy_helper.from_array(head, "head"))
    nodes += [
        helper.make_node("GlobalAveragePool", [prev], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("Gemm", ["flat", "head"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 128, 128])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    target = tmp_path_factory.mktemp("cuda") / "cnn.onnx"
    onnx.save(model, str(target))
    return target


@pytest.fixture(scope="module")
def batch() -> dict[str, np.ndarray]:
    return {"x": np.random.default_rng(1).standard_normal((8, 3, 128, 128)).astype(np.float32)}


def test_sessions_take_cuda_first_and_agree_with_the_cpu(cnn, batch, monkeypatch):
    from opscope.backend.models.onnx_model import execution_providers, make_session

    assert execution_providers()[0] == "CUDAExecutionProvider"
    gpu = make_session(cnn)
    assert gpu.get_providers()[0] == "CUDAExecutionProvider"
    monkeypatch.setenv("OPSCOPE_DEVICE", "cpu")
    assert execution_providers() == ["CPUExecutionProvider"]
    cpu = make_session(cnn)
    assert cpu.get_providers() == ["CPUExecutionProvider"]
    # TF32 convolutions on the GPU: close, not bit-equal
    np.testing.assert_allclose(gpu.run(None, batch)[0], cpu.run(None, batch)[0], atol=2e-2)


def test_bench_rows_name_the_cuda_provider(cnn):
    from opscope.backend.optimize.bench_models import bench_models

    rows = bench_models([str(cnn), str(cnn)], runs=20, warmup=3, progress=_quiet)
    assert [r["provider"] for r in rows] == ["CUDAExecutionProvider"] * 2
    assert all(r["p50_ms"] > 0 and r["throughput"] > 0 for r in rows)
    print(json.dumps(rows))


def test_a_cuda_profile_is_read_per_operator(cnn, batch, tmp_path):
    from opscope.backend.optimize.profile import profile_onnxruntime
    from opscope.profiling.reader import read_trace
    from opscope.profiling.stats import op_stats

    path = profile_onnxruntime(cnn, batch, 5, tmp_path)
    events = json.loads(path.read_text())
    expected: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    providers = set()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            expected[event["args"]["op_name"]][0] += 1
            expected[event["args"]["op_name"]][1] += event["dur"]
            providers.add(event["args"].get("provider"))
    assert "CUDAExecutionProvider" in providers
    rows = {row["op"]: row for row in op_stats(read_trace(path)).rows()}
    assert expected
    for op, (count, total) in expected.items():
        assert rows[op]["count"] == count
        assert rows[op]["total_us"] == pytest.approx(total, abs=1e-3)
    print(json.dumps({op: rows[op]["total_us"] for op in expected}))


def test_auto_mode_on_cuda_hands_back_nothing_slower(cnn, batch, tmp_path):
    from opscope.backend.optimize.auto import MIN_GAIN
    from opscope.backend.optimize.pipeline import OptimizeOptions, optimize_model

    npz = tmp_path / "batch.npz"
    np.savez(npz, **batch)
    options = OptimizeOptions(auto=True, tolerance=0.05, inputs_npz=str(npz), runs=20)
    report = optimize_model(cnn, tmp_path / "auto.onnx", options, _quiet)
    rows = {c["name"]: c for c in report["candidates"]}
    chosen = next(c for c in report["candidates"] if c["chosen"])
    assert chosen["passed"] and report["verify"]["passed"]
    faster = chosen["latency_ms_p50"] <= rows["input"]["latency_ms_p50"] * (1 - MIN_GAIN)
    assert faster or chosen["name"] in ("fp32", "input")
    assert "CUDAExecutionProvider" in report["machine"]["execution_providers"]
    print(json.dumps(report["candidates"]))
