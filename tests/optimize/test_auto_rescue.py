"""INT8 retries judged by each candidate's own errors (NNCF's OpenVINO layers, the fused
onnxruntime variants' float model), and auto mode's quick round: what it leaves out says
why, and nothing it leaves out could have won. No assertion depends on which candidate or
runtime is fastest here."""

from __future__ import annotations

from pathlib import Path

import pytest

from opscope.backend.contracts.base import convert
from opscope.backend.contracts.optimize import OptimizeOptions, OptimizeReport
from opscope.backend.models import open_model
from opscope.backend.optimize import auto, int8_retry, prune, screening
from opscope.backend.optimize.bench import LatencyStats
from opscope.backend.optimize.chain import Chain, proto_step
from opscope.backend.optimize.pipeline import optimize_model
from opscope.backend.optimize.reference import ReferenceSettings, build_reference, work_folder
from opscope.progress import ignore_progress

pytestmark = pytest.mark.slow


def _built(model: Path, folder: Path, options: OptimizeOptions):
    """Auto mode's candidates of ``model`` (as auto mode builds them, before timing)."""
    reference = build_reference(
        open_model(model), folder, ReferenceSettings.of(options), progress=ignore_progress
    )
    chain = Chain(reference, folder, reference.onnx_path)
    names = reference.output_names
    chain.apply("prune", "outputs", proto_step(lambda m: prune.prune_graph(m, names)))
    return auto.build_candidates(chain, options, reference.batch)


def _retried(context, name: str, options: OptimizeOptions):
    candidate = next(c for c in context.all if c.name == name)
    assert int8_retry.needs_retry(candidate), f"{name} passed; the test needs a tighter tolerance"
    retry, note = int8_retry.retry(candidate, context, options)
    return candidate, retry, note


def _check_retry(candidate, retry, note) -> None:
    assert retry is not None and retry.name == candidate.name + int8_retry.RETRY_SUFFIX
    assert note.startswith(f"{candidate.name} failed verification (max abs diff ")
    assert f"retried once as {retry.name} with its own worst nodes in float" in note
    assert ("passed" in note) == retry.passed
    # verified like every candidate: its last step compared it with the original
    assert retry.verify is not None and "max_abs_diff" in retry.verify
    assert candidate.worst_nodes  # the parent's own per-node errors, largest first
    contributions = [row["contribution"] for row in candidate.worst_nodes]
    assert contributions == sorted(contributions, reverse=True)


def test_nncf_retry_uses_its_own_openvino_errors(cnn_onnx: Path, tmp_path: Path) -> None:
    pytest.importorskip("nncf")
    options = OptimizeOptions(auto=True, tolerance=1e-5)
    with work_folder() as folder:
        context = _built(cnn_onnx, Path(folder), options)
        candidate, retry, note = _retried(context, "openvino-int8-nncf", options)
        _check_retry(candidate, retry, note)
        assert retry.runtime == "openvino" and retry.precision == "int8"
        # its worst layers are OpenVINO's, named by the ONNX nodes they came from
        assert {row["op_type"] for row in candidate.worst_nodes} <= {"Convolution", "MatMul"}
        onnx_nodes = int8_retry._onnx_node_names(context.source)
        assert all(row["node"] in onnx_nodes for row in candidate.worst_nodes)
        assert "nodes kept in float" in retry.chain.steps[-1].detail


def test_fused_onnxruntime_int8_is_retried_from_the_fused_model(
    encoder_onnx: Path, tmp_path: Path
) -> None:
    options = OptimizeOptions(auto=True, tolerance=1e-5, runtime="onnxruntime")
    with work_folder() as folder:
        context = _built(encoder_onnx, Path(folder), options)
        names = {c.name for c in context.all}
        assert {"fp32-fused", "int8-dynamic-fused"} <= names
        candidate, retry, note = _retried(context, "int8-dynamic-fused", options)
        _check_retry(candidate, retry, note)
        # made from the fused fp32 model, as the candidate it retries
        fused = next(c for c in context.all if c.name == "fp32-fused")
        assert [s.name for s in retry.chain.steps] == [s.name for s in fused.chain.steps] + [
            "int8-dynamic"
        ]


def _quick_round(ms: float) -> LatencyStats:
    return LatencyStats.from_times([ms / 1000.0] * screening.SCREEN_RUNS, batch=1)


def test_rescues_run_cheapest_first_within_the_budget(cnn_onnx: Path) -> None:
    """The rescue order, on real INT8 candidates that miss a tight tolerance: given quick
    rounds where the costliest rescue ran fastest and the budget fits about that one, the
    cheapest is still rescued (costly-but-fast first would spend the budget on one)."""
    options = OptimizeOptions(auto=True, tolerance=1e-5)
    with work_folder() as folder:
        context = _built(cnn_onnx, Path(folder), options)
        minmax = next(c for c in context.all if c.name == screening.STATIC_MINMAX)
        failing = [c for c in context.all if int8_retry.needs_retry(c)]
        assert len(failing) >= 2, "the test needs two failing INT8 candidates"
        by_cost = sorted(failing, key=lambda c: screening.rescue_cost(c, minmax))
        for c in context.all:  # every passing one slower than every failing one
            c.screen = _quick_round(100.0) if c.passed else None
        for rank, c in enumerate(reversed(by_cost)):  # the costliest the fastest
            c.screen = _quick_round(1.0 + rank)
        budget = screening.rescue_cost(by_cost[-1], minmax) * 1.05
        added = screening.rescue(context, options, [], budget_s=budget)
    cheapest = by_cost[0]
    if cheapest is minmax:
        assert any(c.name.startswith("int8-static-") and c.usable for c in added)
    else:
        assert cheapest.name + int8_retry.RETRY_SUFFIX in {c.name for c in added}
    assert "did not fit" not in cheapest.screened_out


def test_the_quick_round_leaves_out_only_what_could_not_win(cnn_onnx: Path, tmp_path: Path):
    options = OptimizeOptions(
        auto=True, tolerance=1e-5, runs=8, warmup=2, report=str(tmp_path / "auto.json")
    )
    report = optimize_model(cnn_onnx, tmp_path / "auto.onnx", options, ignore_progress)
    typed = convert(report, OptimizeReport)
    rows = report["candidates"]
    screened = [r for r in rows[1:] if r["screen_ms_p50"] is not None]
    fastest = min(r["screen_ms_p50"] for r in screened if r["passed"])
    for row in rows[1:]:
        if row["passed"] and row["latency_ms_p50"] is None:  # left out of the full round
            assert row["screened_out"].startswith("screened out: ")
            assert row["screen_ms_p50"] > fastest * screening.SCREEN_OUT
        if row["screened_out"].startswith("not retried: ") and "quick round" in row["screened_out"]:
            assert row["screen_ms_p50"] > fastest  # a retry is never faster than its model
        if row["latency_ms_p50"] is not None:
            low, high = row["latency_ms_interval"]
            assert low <= row["latency_ms_p50"] <= high
    # whatever was left out, the choice is verified and never slower than the input
    chosen = next(r for r in rows if r["chosen"])
    assert chosen["passed"] and report["verify"]["passed"]
    assert report["latency_ms"]["optimized"]["p50"] <= report["latency_ms"]["original"]["p50"]
    assert typed.decision is not None and typed.decision.remeasured <= auto.REMEASURES
    text = (tmp_path / "auto.md").read_text()
    for row in rows[1:]:  # the report says what was left out, and why
        if row["screened_out"]:
            assert f"- {row['name']}: {row['screened_out']}" in text
