"""Each optimization step on small real models, verified against the original."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec
import numpy as np
import onnx
import pytest

from opscope.backend.models.onnx_model import make_session
from opscope.backend.optimize.pipeline import OptimizeOptions, optimize_model
from opscope.backend.optimize.prune import ort_optimize, prune_graph, slim
from opscope.errors import OpscopeError

LIGHT = sorted((Path(onnx.__file__).parent / "backend/test/data/light").glob("*.onnx"))


from opscope.progress import ignore_progress as _quiet  # noqa: E402


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_keep_outputs_removes_the_other_branch(two_head_onnx, tmp_path):
    report = optimize_model(
        two_head_onnx, tmp_path / "score.onnx", OptimizeOptions(keep_outputs=("score",)), _quiet
    )
    assert [o["name"] for o in report["after"]["outputs"]] == ["score"]
    assert report["after"]["nodes"] < report["before"]["nodes"]
    assert report["after"]["params"] < report["before"]["params"]
    assert report["verify"]["passed"]
    assert [o.name for o in make_session(tmp_path / "score.onnx").get_outputs()] == ["score"]


@pytest.mark.parametrize("path", LIGHT, ids=[p.stem for p in LIGHT])
def test_light_architectures_at_level_all_with_onnxslim_match(path, tmp_path):
    slimmed = tmp_path / "slim.onnx"
    onnx.save(slim(prune_graph(onnx.load(str(path)))), str(slimmed))
    ort_optimize(slimmed, tmp_path / "all.onnx", "all")
    original, optimized = make_session(path), make_session(tmp_path / "all.onnx")
    spec = original.get_inputs()[0]
    x = np.random.default_rng(0).random(spec.shape, dtype=np.float32)
    want = original.run(None, {spec.name: x})
    got = optimized.run(None, {optimized.get_inputs()[0].name: x})
    for a, b in zip(want, got, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_static_int8_with_calibration_file(cnn_onnx, calib_npz, tmp_path):
    before = _digest(cnn_onnx)
    options = OptimizeOptions(
        slim=True,
        quantize="static",
        calib=str(calib_npz),
        per_channel=True,
        tolerance=0.1,
        level="all",
        report=str(tmp_path / "r.json"),
    )
    report = optimize_model(cnn_onnx, tmp_path / "int8.onnx", options, _quiet)
    names = [s["name"] for s in report["steps"]]
    assert names == ["prune", "onnxslim", "pre-process", "int8-static", "ort-all"]
    assert report["steps"][3]["nodes_after"] > report["steps"][3]["nodes_before"]
    assert report["after"]["quant_nodes"] > 0
    assert report["verify"]["passed"]
    assert not any("generated random inputs" in n for n in report["notes"])
    assert any("machine" in n for n in report["notes"])
    assert set(report["latency_ms"]["optimized"]) == {"p50", "p90", "p99", "mean"}
    assert (tmp_path / "r.json").is_file() and (tmp_path / "r.md").is_file()
    assert "| Conv |" in (tmp_path / "r.md").read_text()
    assert _digest(cnn_onnx) == before


@pytest.mark.parametrize("mode", ["dynamic", "fp16"])
def test_dynamic_int8_and_fp16_are_verified(cnn_onnx, tmp_path, mode):
    options = OptimizeOptions(quantize=mode, tolerance=0.1)
    report = optimize_model(cnn_onnx, tmp_path / f"{mode}.onnx", options, _quiet)
    assert report["steps"][-1]["name"] in ("int8-dynamic", "fp16")
    assert report["verify"]["passed"]
    assert report["verify"]["max_abs_diff"] > 0
    if mode == "fp16":
        assert report["after"]["inputs"][0]["dtype"] == "float32"


def test_generated_calibration_is_warned_about(cnn_onnx, tmp_path):
    options = OptimizeOptions(quantize="static", tolerance=0.5)
    report = optimize_model(cnn_onnx, tmp_path / "q.onnx", options, _quiet)
    assert any("generated random inputs" in n for n in report["notes"])


def test_excluded_op_types_stay_float(cnn_onnx, tmp_path):
    options = OptimizeOptions(quantize="static", exclude_op_types=("Conv",), tolerance=0.5)
    report = optimize_model(cnn_onnx, tmp_path / "q.onnx", options, _quiet)
    ops = report["after"]["op_counts"]
    assert ops.get("Conv", 0) == report["before"]["op_counts"]["Conv"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (OptimizeOptions(keep_outputs=("nope",)), "no output 'nope'"),
        (OptimizeOptions(quantize="static", calib="WRONG"), "has shape 16x3x8x8"),
        (OptimizeOptions(quantize="static", calib="INTS"), "holds int64"),
    ],
    ids=["missing-output", "calibration-shape", "calibration-dtype"],
)
def test_bad_input_is_one_line_and_leaves_nothing(cnn_onnx, tmp_path, options, message):
    from msgspec.structs import replace

    rng = np.random.default_rng(0)
    if options.calib == "WRONG":
        np.savez(tmp_path / "c.npz", x=rng.random((16, 3, 8, 8), dtype=np.float32))
        options = replace(options, calib=str(tmp_path / "c.npz"))
    elif options.calib == "INTS":
        np.savez(tmp_path / "c.npz", x=np.ones((16, 3, 32, 32), dtype=np.int64))
        options = replace(options, calib=str(tmp_path / "c.npz"))
    before = _digest(cnn_onnx)
    target = tmp_path / "out" / "model.onnx"
    with pytest.raises(OpscopeError, match=message) as info:
        optimize_model(cnn_onnx, target, options, _quiet)
    assert str(info.value).startswith(f"cannot optimize {cnn_onnx}: ")
    assert "\n" not in str(info.value)
    assert not target.exists() and not list((tmp_path / "out").glob("*"))
    assert _digest(cnn_onnx) == before


def test_garbage_model_is_refused(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07garbage" * 10)
    with pytest.raises(OpscopeError, match="cannot optimize"):
        optimize_model(junk, tmp_path / "o.onnx", OptimizeOptions(), _quiet)
    assert not (tmp_path / "o.onnx").exists()


def test_the_report_records_the_cpu_flags_that_decide_the_winner(two_head_onnx, tmp_path):
    """Which runtime or precision wins depends on AVX-512 VNNI / BF16 / AMX: the report says
    which of them this CPU has, read from /proc/cpuinfo (an independent parse here)."""
    from opscope.backend.contracts.optimize import OptimizeReport
    from opscope.backend.machine import DECIDING_FLAGS
    from opscope.backend.optimize.report import to_markdown

    report = optimize_model(two_head_onnx, tmp_path / "out.onnx", OptimizeOptions(runs=3), _quiet)
    cpuinfo = Path("/proc/cpuinfo").read_text().split("\n\n")[0]
    flags_line = next(line for line in cpuinfo.splitlines() if line.startswith("flags"))
    present = set(flags_line.split(":", 1)[1].split())
    assert report["machine"]["cpu_flags"] == [f for f in DECIDING_FLAGS if f in present]
    msgspec.convert(report, OptimizeReport)  # the contract takes the field
    machine_line = to_markdown(report).split("## Machine", 1)[1]
    assert all(flag in machine_line for flag in report["machine"]["cpu_flags"])
