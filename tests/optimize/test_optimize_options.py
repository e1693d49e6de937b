"""Structured progress, conversion options (TorchScript input shapes), top-1 agreement."""

from __future__ import annotations

import pytest

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.jobs import JobSpec, plan_of, run_job
from opscope.backend.optimize.pipeline import optimize_model
from opscope.errors import OpscopeError
from opscope.progress import OPTIMIZE_STEPS, Step, ignore_progress

TS_INPUT = "input:2x3x32x32:float32"  # a traced module names its input "input"


def _recorder(messages: list[tuple[Step, float, str]]):
    return lambda step, fraction, message: messages.append((step, fraction, message))


def _steps_of(messages: list[tuple[Step, float, str]]) -> set[Step]:
    return {step for step, _, _ in messages}


def test_every_progress_message_names_its_step(cnn_onnx, calib_npz, tmp_path):
    messages: list[tuple[Step, float, str]] = []
    options = OptimizeOptions(
        slim=True, quantize="static", calib=str(calib_npz), level="all", tolerance=0.1, runs=3
    )
    optimize_model(cnn_onnx, tmp_path / "o.onnx", options, _recorder(messages))
    assert _steps_of(messages) <= set(OPTIMIZE_STEPS)
    assert set(OPTIMIZE_STEPS) - {Step.AUTO} <= _steps_of(messages)
    assert (Step.PRUNE, 0.8, "ORT level all") in messages
    assert all(0.0 <= f <= 1.0 for _, f, _ in messages)
    plan = plan_of("optimize_model")
    overall = [plan.overall(step, f) for step, f, _ in messages]
    assert overall == sorted(overall) and overall[0] == 0.0 and overall[-1] == 1.0
    quantize = [f for step, f, _ in messages if step is Step.QUANTIZE]
    assert quantize == sorted(quantize) and quantize[-1] == 1.0  # the step's own fractions


def test_torchscript_needs_and_takes_input_shapes(cnn_torchscript, tmp_path):
    with pytest.raises(OpscopeError, match="--input"):
        optimize_model(cnn_torchscript, tmp_path / "no.onnx", OptimizeOptions(), ignore_progress)
    assert not (tmp_path / "no.onnx").exists()
    messages: list[tuple[Step, float, str]] = []
    params = {
        "path": str(cnn_torchscript),
        "output": str(tmp_path / "ts.onnx"),
        "options": {"inputs": [TS_INPUT], "opset": 17, "level": "extended", "runs": 3},
    }
    report = run_job(JobSpec("optimize_model", params), _recorder(messages))
    assert report.verify.passed and report.original_runtime == "torchscript"
    assert report.after.inputs[0].shape[1:] == [3, 32, 32]
    assert report.after.opset == 17
    converting = [f for step, f, _ in messages if step is Step.CONVERT]
    assert len(converting) > 2 and converting == sorted(converting)
    assert _steps_of(messages) <= set(OPTIMIZE_STEPS)


def test_a_misspelt_option_is_an_error_that_names_it(tmp_path):
    import msgspec

    params = {"path": "m.onnx", "output": str(tmp_path / "o.onnx"), "options": {"slimm": True}}
    with pytest.raises(msgspec.ValidationError, match="slimm"):
        JobSpec("optimize_model", params)
    with pytest.raises(msgspec.ValidationError, match="output"):
        JobSpec("optimize_model", {"path": "m.onnx"})


def test_cli_takes_input_and_opset(cnn_torchscript, tmp_path, capsys):
    from test_optimize_auto_cli import _cli

    out = tmp_path / "ts.onnx"
    argv = ["optimize", str(cnn_torchscript), "-o", str(out), "--input", TS_INPUT]
    code, _ = _cli(*argv, "--opset", "17", "--runs", "3", "--json", "-q")
    assert code == 0 and out.is_file()


def test_min_top1_fails_a_model_that_changes_decisions(cnn_onnx, tmp_path):
    # a tolerance loose enough for any INT8 result, so only top-1 agreement can fail it
    loose = OptimizeOptions(quantize="dynamic", tolerance=100.0, runs=3)
    passing = optimize_model(cnn_onnx, tmp_path / "a.onnx", loose, ignore_progress)
    assert passing["verify"]["min_top1"] == 0.99
    strict = OptimizeOptions(quantize="dynamic", tolerance=100.0, min_top1=1.01, runs=3)
    failing = optimize_model(cnn_onnx, tmp_path / "b.onnx", strict, ignore_progress)
    assert failing["verify"]["top1_agreement"] is not None
    assert not failing["verify"]["passed"] and failing["verify"]["max_abs_diff"] < 100.0


@pytest.mark.parametrize("runtime", ["native", "onnxruntime"])
def test_profile_takes_input_shapes(cnn_torchscript, tmp_path, runtime):
    import json

    params = {"path": str(cnn_torchscript), "output": str(tmp_path / "t.json"), "runs": 2}
    spec = JobSpec("profile_model", params | {"runtime": runtime, "inputs": [TS_INPUT]})
    result = run_job(spec)
    assert result.runtime == ("torchscript" if runtime == "native" else "onnxruntime")
    assert json.loads((tmp_path / "t.json").read_text())


def test_a_slower_onnx_variant_says_keep_serving_the_original():
    from opscope.backend.optimize.auto import slower_note
    from opscope.backend.optimize.bench import LatencyStats

    eager = LatencyStats.from_times([0.002] * 5, batch=8)
    slower = LatencyStats.from_times([0.003] * 5, batch=8)
    faster = LatencyStats.from_times([0.001] * 5, batch=8)
    (note,) = slower_note("pytorch", slower, eager)
    assert "keep serving the original" in note and "3 ms vs 2 ms" in note
    assert slower_note("pytorch", faster, eager) == []
    assert slower_note("onnx", slower, eager) == []  # an ONNX input is itself a candidate


def test_fast_models_get_more_runs_and_slow_ones_fewer():
    import time

    from opscope.backend.optimize.bench import budgeted_runs

    def fast() -> None:
        sum(range(10))

    def slow() -> None:
        time.sleep(0.05)

    assert budgeted_runs({"a": fast, "b": fast}, 30, budget_s=30.0) >= 30
    assert budgeted_runs({"a": fast}, 30, budget_s=30.0, most=100) <= 100
    # one round of the slow pair takes >= 0.1 s: 0.3 s fits 3 rounds, never under least
    assert budgeted_runs({"a": slow, "b": slow}, 30, budget_s=0.3, fill_s=0.0) == 5
    assert budgeted_runs({"a": slow}, 3, budget_s=float("inf"), fill_s=0.0) == 3


def test_a_noisy_run_says_so():
    from opscope.backend.optimize.bench import LatencyStats
    from opscope.backend.optimize.report import noise_notes

    def stats(p50: float, p90: float) -> LatencyStats:
        return LatencyStats(p50=p50, p90=p90, p99=p90, mean=p50, throughput=1.0, runs=30)

    assert noise_notes(stats(1.0, 1.1), stats(0.5, 0.55)) == []
    [note] = noise_notes(stats(1.0, 1.1), stats(0.5, 1.5))
    assert "noisy" in note and "3.0x" in note
