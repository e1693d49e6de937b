"""Auto mode across runtimes on small real models: OpenVINO candidates verified like every
other, the result exported in its runtime's format, and the rules (never a failing
candidate, never slower than the input, the user's runtime respected). Nothing here
depends on which runtime wins on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from opscope.backend.contracts.base import convert
from opscope.backend.contracts.optimize import OptimizeOptions, OptimizeReport
from opscope.backend.optimize.pipeline import optimize_model
from opscope.progress import ignore_progress

pytestmark = pytest.mark.slow
pytest.importorskip("openvino")


def _auto(model: Path, target: Path, **changes) -> dict:
    options = OptimizeOptions(
        auto=True, tolerance=0.05, runs=8, warmup=2, report=str(target.with_suffix(".json"))
    )
    import msgspec

    return optimize_model(
        model, target, msgspec.structs.replace(options, **changes), ignore_progress
    )


def _rules(report: dict) -> None:
    """What every auto result must keep, whichever candidate won."""
    convert(report, OptimizeReport)  # the typed contract takes it as it is
    rows = {c["name"]: c for c in report["candidates"]}
    chosen = [c for c in report["candidates"] if c["chosen"]]
    assert len(chosen) == 1 and chosen[0]["passed"]
    # never slower than the input, measured in the same run (the plain fp32 copy of an
    # ONNX input is what is kept when nothing beats the input clearly)
    assert chosen[0]["latency_ms_p50"] <= rows["input"]["latency_ms_p50"] or chosen[0]["name"] in (
        "fp32",
        "input",
    )
    assert report["runtime"] == chosen[0]["runtime"]
    assert report["verify"]["passed"]
    assert report["files"] and all(
        Path(f).is_absolute() and Path(f).exists() for f in report["files"]
    )
    assert report["output"] in report["files"]


def test_any_runtime_verifies_openvino_fp32_and_int8(cnn_onnx: Path, tmp_path: Path) -> None:
    report = _auto(cnn_onnx, tmp_path / "auto.onnx")
    _rules(report)
    rows = {c["name"]: c for c in report["candidates"]}
    assert rows["openvino-fp32"]["runtime"] == "openvino"
    # timed in full, or in the quick round only when clearly slower than the fastest
    timed = rows["openvino-fp32"]["latency_ms_p50"] or rows["openvino-fp32"]["screen_ms_p50"]
    assert rows["openvino-fp32"]["passed"] and timed > 0
    static = rows["openvino-fp32-static"]  # the input's batch axis is dynamic
    assert static["passed"] and static["runtime"] == "openvino"
    if static["chosen"]:
        assert any("takes inputs of these shapes only" in n for n in report["notes"])
    nncf = rows["openvino-int8-nncf"]
    assert nncf["precision"] == "int8" and nncf["max_abs_diff"] is not None and not nncf["error"]
    assert rows["int8-static-minmax"]["precision"] == "int8"
    chosen = next(c for c in report["candidates"] if c["chosen"])
    if chosen["runtime"] == "onnxruntime" and chosen["precision"] == "int8":
        assert chosen["worst_nodes"]  # the chosen INT8 model's per-node errors
    if report["runtime"] == "openvino":
        assert report["output"].endswith(".xml")
        assert report["compile_properties"]["PERFORMANCE_HINT"] == "LATENCY"
    else:
        assert report["output"] == str(tmp_path / "auto.onnx")
        assert report["compile_properties"] == {}


def test_bf16_candidates_are_verified_where_the_cpu_lists_bf16(
    cnn_onnx: Path, tmp_path: Path
) -> None:
    from opscope.backend.runtimes import openvino_runtime as ovr

    if "bf16" not in ovr.cpu_precisions():
        pytest.skip("this CPU lists no BF16 in OpenVINO's OPTIMIZATION_CAPABILITIES")
    report = _auto(cnn_onnx, tmp_path / "auto.onnx")
    _rules(report)
    rows = {c["name"]: c for c in report["candidates"]}
    # the fixed-shape copy exists where the dynamic-batch one passed
    names = ["openvino-bf16"] + ["openvino-bf16-static"] * rows["openvino-bf16"]["passed"]
    for name in names:
        row = rows[name]
        assert row["runtime"] == "openvino" and row["precision"] == "bf16" and not row["error"]
        # verified against the original like every candidate, and really computed in bf16
        assert row["max_abs_diff"] > rows["openvino-fp32"]["max_abs_diff"]
        assert not row["passed"] or row["max_abs_diff"] <= 0.05  # the tolerance _auto sets
    # the NNCF model with its float layers in bf16, as OpenVINO would run it by default
    mixed = rows["openvino-int8-nncf-bf16"]
    assert mixed["precision"] == "int8" and not mixed["error"] and mixed["max_abs_diff"] is not None
    if report["compile_properties"].get("INFERENCE_PRECISION_HINT") == "bf16":
        model, compiled = ovr.load_for_run(Path(report["output"]))
        assert compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() == "bf16"
        assert ovr.run_precision(model, compiled) == report["precision"]  # bf16, or int8


def test_deploy_text_says_in_what_an_int8_models_float_layers_run() -> None:
    from opscope.backend.optimize.report import deploy_section
    from opscope.backend.runtimes import openvino_runtime as ovr

    def deploy(properties: dict) -> str:
        report = {"runtime": "openvino", "output": "/m/out.xml", "precision": "int8"}
        return "\n".join(deploy_section(report | {"compile_properties": properties}))

    mixed = deploy(ovr.compile_properties("int8", rest="bf16"))
    assert "(int8, its float layers in bf16)" in mixed
    assert "'INFERENCE_PRECISION_HINT': 'bf16'" in mixed  # compiled as it was measured
    assert "**openvino** (int8), as" in deploy(ovr.compile_properties("int8"))


def test_runtime_onnxruntime_never_yields_openvino(cnn_onnx: Path, tmp_path: Path) -> None:
    report = _auto(cnn_onnx, tmp_path / "ort.onnx", runtime="onnxruntime")
    _rules(report)
    assert {c["runtime"] for c in report["candidates"]} == {"onnxruntime"}
    assert report["runtime"] == "onnxruntime" and not list(tmp_path.glob("*.xml"))


def test_runtime_openvino_exports_ir_that_loads_and_matches(cnn_onnx: Path, tmp_path: Path) -> None:
    from opscope.backend.optimize.bench import onnx_session, session_runner
    from opscope.backend.optimize.bench_models import bench_models
    from opscope.backend.runtimes import openvino_runtime as ovr

    report = _auto(cnn_onnx, tmp_path / "ov.onnx", runtime="openvino")
    convert(report, OptimizeReport)
    assert report["runtime"] == "openvino"
    assert {c["runtime"] for c in report["candidates"][1:]} == {"openvino"}
    xml, weights = tmp_path / "ov.xml", tmp_path / "ov.bin"
    assert report["output"] == str(xml) and str(weights.resolve()) in report["files"]
    assert not (tmp_path / "ov.onnx").exists()
    model, compiled = ovr.load_for_run(xml)
    assert ovr.saved_properties(model) == report["compile_properties"]
    rng = np.random.default_rng(4)
    inputs = {"x": rng.standard_normal((2, 3, 32, 32)).astype(np.float32)}
    want = session_runner(onnx_session(cnn_onnx), inputs)()[0]
    got = ovr.infer_runner(compiled, inputs)()[0]
    assert np.abs(got - want).max() <= 0.05 + 1e-3 * np.abs(want).max()
    markdown = (tmp_path / "ov.md").read_text()
    assert "import openvino as ov" in markdown and str(xml) in markdown
    rows = bench_models([str(xml)], runs=3, warmup=1, progress=lambda *_: None)
    assert rows[0]["runtime"] == "openvino"


def test_export_of_an_openvino_result_writes_the_ir(cnn_onnx: Path, tmp_path: Path) -> None:
    from opscope.backend.export import export_model
    from opscope.backend.runtimes import openvino_runtime as ovr

    report = _auto(cnn_onnx, tmp_path / "work" / "ov.onnx", runtime="openvino")
    exported = export_model(report["output"], report, tmp_path / "shipped.onnx")
    xml = tmp_path / "shipped.xml"
    assert exported["model"] == str(xml) and xml.with_suffix(".bin").is_file()
    assert not (tmp_path / "shipped.onnx").exists()
    model, _ = ovr.load_for_run(xml)
    assert ovr.saved_properties(model) == report["compile_properties"]
    saved = json.loads(Path(exported["report_json"]).read_text())
    assert saved["output"] == str(xml) and all(Path(f).exists() for f in saved["files"])


def test_a_model_openvino_cannot_read_leaves_onnxruntime_working(
    inverse_onnx: Path, tmp_path: Path
) -> None:
    report = _auto(inverse_onnx, tmp_path / "inv.onnx")
    _rules(report)
    openvino = [c for c in report["candidates"] if c["runtime"] == "openvino"]
    assert openvino and all(not c["passed"] and "Inverse" in c["error"] for c in openvino)
    assert report["runtime"] == "onnxruntime"
    assert any(c["passed"] for c in report["candidates"][1:] if c["runtime"] == "onnxruntime")


def test_runtime_openvino_with_nothing_that_works_exits_2(
    inverse_onnx: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from opscope.cli import main

    out = tmp_path / "none.onnx"
    code = main(
        ["optimize", str(inverse_onnx), "-o", str(out), "--auto", "--runtime", "openvino", "-q"]
    )
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert error[-1].startswith(f"opscope: cannot optimize {inverse_onnx}: ")
    assert "OpenVINO cannot read the ONNX model" in error[-1]
    assert list(tmp_path.iterdir()) == []


def test_int8_that_misses_the_tolerance_is_retried_once_without_its_worst_nodes(
    cnn_onnx: Path, tmp_path: Path, qtbot
) -> None:
    from opscope.backend.optimize.int8_retry import is_retry_note
    from opscope.gui.optimize_results import NOTE_LINES, OptimizeResults

    report = _auto(cnn_onnx, tmp_path / "tight.onnx", tolerance=1e-5)
    rows = {c["name"]: c for c in report["candidates"]}
    assert not rows["int8-static-minmax"]["passed"]
    # each failing INT8 candidate is retried once, or says why a retry could not have won
    for name in ("int8-static-minmax", "openvino-int8-nncf"):
        retried = [n for n in rows if n.startswith(name.rsplit("-", 1)[0]) and n.endswith("-retry")]
        if not retried:
            assert rows[name]["screened_out"].startswith("not retried: ")
            continue
        (retry,) = retried
        assert rows[retry]["precision"] == "int8" and not retry.endswith("-retry-retry")
        parent = retry.removesuffix("-retry")
        worst = rows[parent]["worst_nodes"]  # listed in the report
        assert worst and worst[0]["contribution"] >= worst[-1]["contribution"]
        assert any(n.startswith(f"{parent} failed verification (") for n in report["notes"])
        assert rows[retry]["max_abs_diff"] is not None  # verified
    chosen = next(c for c in report["candidates"] if c["chosen"])
    assert chosen["passed"]
    json.dumps(report)
    # notes on the handed-back model come first; the retries' notes scroll on the page
    retries = [is_retry_note(n) for n in report["notes"]]
    assert retries == sorted(retries)
    page = OptimizeResults(convert(report, OptimizeReport))
    qtbot.addWidget(page)
    assert page.notes_area.isHidden() == (not report["notes"])
    assert page.notes_area.maximumHeight() <= page.fontMetrics().lineSpacing() * (NOTE_LINES + 1)
