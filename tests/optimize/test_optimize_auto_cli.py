"""Auto mode, verification of a broken model, the CLI verbs, bench, profile, job wiring."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from opscope.backend.jobs import JobSpec
from opscope.backend.optimize.auto import MIN_GAIN
from opscope.backend.optimize.pipeline import OptimizeOptions, optimize_model
from opscope.backend.optimize.reference import ReferenceSettings, build_reference, work_folder
from opscope.backend.runner import run_in_child
from opscope.errors import OpscopeError
from opscope.progress import ignore_progress as _quiet  # noqa: E402


def test_auto_picks_a_passing_candidate_never_slower(cnn_onnx, tmp_path):
    options = OptimizeOptions(auto=True, tolerance=0.1, runs=10, warmup=2)
    report = optimize_model(cnn_onnx, tmp_path / "auto.onnx", options, _quiet)
    rows = {c["name"]: c for c in report["candidates"]}
    assert {"input", "fp32", "fp32-slim", "fp16", "int8-dynamic", "int8-static-minmax"} <= set(rows)
    chosen = [c for c in report["candidates"] if c["chosen"]]
    assert len(chosen) == 1 and chosen[0]["passed"]
    # measured in the same interleaved run as the input model: a ratio, not a timing; a
    # variant replaces the (pruned) input only when clearly faster than it
    assert chosen[0]["latency_ms_p50"] <= rows["input"]["latency_ms_p50"] * (
        1 - MIN_GAIN
    ) or chosen[0]["name"] in ("fp32", "input")
    # one measurement, one number: the report's latency is the run that chose
    assert report["latency_ms"]["optimized"]["p50"] == chosen[0]["latency_ms_p50"]
    if not chosen[0]["name"].endswith("+ort-all"):  # that trial has a round of its own
        assert report["latency_ms"]["original"]["p50"] == rows["input"]["latency_ms_p50"]
    assert any(c["pareto"] for c in report["candidates"])
    assert report["verify"]["passed"]
    assert {"int8-static-entropy", "int8-dynamic-pc-head-fp32"} <= set(rows)
    for row in report["candidates"]:  # passing means keeping top-1 decisions too
        assert not row["passed"] or (row["top1_agreement"] or 1.0) >= options.min_top1


def test_auto_never_chooses_a_failing_candidate(cnn_onnx, tmp_path):
    options = OptimizeOptions(auto=True, tolerance=1e-5, runs=5, warmup=1)
    report = optimize_model(cnn_onnx, tmp_path / "auto.onnx", options, _quiet)
    rows = {c["name"]: c for c in report["candidates"]}
    assert not rows["int8-static-minmax"]["passed"]
    chosen = next(c for c in report["candidates"] if c["chosen"])
    assert chosen["passed"] and not chosen["name"].startswith("int8")


def test_verification_catches_a_broken_model(cnn_onnx, tmp_path):
    model = onnx.load(str(cnn_onnx))
    weight = max(model.graph.initializer, key=lambda t: np.prod(t.dims))
    broken = numpy_helper.to_array(weight) * 1.5
    weight.CopyFrom(numpy_helper.from_array(broken.astype(np.float32), weight.name))
    onnx.save(model, str(tmp_path / "broken.onnx"))
    from opscope.backend.models import open_model

    with work_folder() as folder:
        settings = ReferenceSettings(tolerance=0.01)
        reference = build_reference(open_model(cnn_onnx), Path(folder), settings, progress=_quiet)
        assert reference.verify(cnn_onnx).passed
        result = reference.verify(tmp_path / "broken.onnx")
    assert not result.passed and result.max_abs_diff > 0.01


def _cli(*argv: str) -> tuple[int, str]:
    from opscope.backend.optimize.cli import add_parsers
    from opscope.cli import report_errors

    parser = argparse.ArgumentParser(prog="opscope")
    add_parsers(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args(list(argv))
    return report_errors(lambda: args.run(args)), ""


def test_cli_optimize_writes_model_and_report(cnn_onnx, tmp_path, capsys):
    out, report = tmp_path / "o.onnx", tmp_path / "r.json"
    code, _ = _cli(
        "optimize",
        str(cnn_onnx),
        "-o",
        str(out),
        "--slim",
        "--level",
        "extended",
        "--report",
        str(report),
        "--json",
        "--runs",
        "5",
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and out.is_file()
    assert {"steps", "before", "after", "verify", "latency_ms"} <= set(data)
    assert set(data["latency_ms"]) == {"original", "optimized"}
    assert json.loads(report.read_text())["output"] == str(out)


def test_cli_bad_output_name_exits_2(cnn_onnx, tmp_path, capsys):
    code, _ = _cli(
        "optimize", str(cnn_onnx), "-o", str(tmp_path / "o.onnx"), "--keep-outputs", "zz", "-q"
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith(f"opscope: cannot optimize {cnn_onnx}: ")
    assert len(err.splitlines()) == 1 and not (tmp_path / "o.onnx").exists()


def test_cli_bench_same_model_twice(cnn_onnx, capsys):
    code, _ = _cli("bench", str(cnn_onnx), str(cnn_onnx), "--runs", "5", "--warmup", "1", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and len(rows) == 2
    assert set(rows[0]) == {
        "model",
        "runtime",
        "provider",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "mean_ms",
        "throughput",
    }
    assert rows[0]["runtime"] == "onnxruntime"
    assert rows[0]["provider"] == "CPUExecutionProvider"  # this machine has no GPU


def test_importing_the_cli_imports_no_runtime():
    code = (
        "import sys, opscope.backend.optimize.cli\n"
        "heavy = ('onnxruntime', 'torch', 'tensorflow', 'onnx')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_profile_onnxruntime_writes_a_trace(cnn_onnx, tmp_path, capsys):
    code, _ = _cli("profile", str(cnn_onnx), "-o", str(tmp_path / "t.json"), "--runs", "3", "-q")
    assert code == 0
    events = json.loads((tmp_path / "t.json").read_text())
    assert any(e.get("cat") == "Node" for e in events)


def test_profile_native_torch(cnn_pt2, tmp_path):
    from opscope.backend.jobs import JobSpec, run_job

    params = {"path": str(cnn_pt2), "output": str(tmp_path / "t.json"), "runs": 2}
    result = run_job(JobSpec("profile_model", params | {"runtime": "native"}))
    assert result.runtime == "torch-export"
    trace = json.loads((tmp_path / "t.json").read_text())
    assert any("conv" in e.get("name", "").lower() for e in trace["traceEvents"])


def test_optimize_job_runs_in_a_child_process(cnn_onnx, tmp_path):
    spec = JobSpec(
        "optimize_model",
        {
            "path": str(cnn_onnx),
            "output": str(tmp_path / "o.onnx"),
            "options": {"slim": True, "runs": 3},
        },
    )
    result = run_in_child(spec)
    assert result.verify.passed and (tmp_path / "o.onnx").is_file()
    with pytest.raises(OpscopeError, match="cannot optimize"):
        run_in_child(
            JobSpec(
                "optimize_model",
                {"path": str(tmp_path / "nope.onnx"), "output": str(tmp_path / "x.onnx")},
            )
        )


def test_calibration_data_of_the_wrong_shape_fails_only_the_static_candidates(cnn_onnx, tmp_path):
    import numpy as np

    calib = tmp_path / "wrong.npz"
    np.savez(calib, x=np.random.default_rng(0).random((16, 3, 8, 8), dtype=np.float32))
    options = OptimizeOptions(auto=True, calib=str(calib), runs=3, runtime="onnxruntime")
    report = optimize_model(cnn_onnx, tmp_path / "auto.onnx", options, _quiet)
    rows = {c["name"]: c for c in report["candidates"]}
    static = [r for name, r in rows.items() if name.startswith("int8-static")]
    assert static and all(not r["passed"] and "calibration data" in r["error"] for r in static)
    assert rows["fp32"]["passed"] and report["verify"]["passed"]
