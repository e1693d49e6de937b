"""Output comparison, input generation and the job registry for the model jobs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from opscope.backend.inputs import random_inputs, read_npz
from opscope.backend.jobs import JobSpec, run_job
from opscope.backend.models import InputSpec
from opscope.backend.verify import compare_outputs, shortfall
from opscope.errors import OpscopeError


def test_identical_outputs_pass() -> None:
    a = np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32)
    result = compare_outputs([a], [a.copy()])
    assert result.passed and result.max_abs_diff == 0.0 and result.top1_agreement == 1.0


def test_a_changed_decision_is_caught() -> None:
    a = np.eye(4, dtype=np.float32)
    b = a.copy()
    b[0] = [0.0, 1.0, 0.0, 0.0]
    result = compare_outputs([a], [b], rtol=1e-3, atol=1e-4)
    assert not result.passed and not result.allclose
    assert result.max_abs_diff == 1.0 and result.mean_abs_diff == pytest.approx(2 / 16)
    assert result.top1_agreement == 0.75


def test_shortfall_names_the_check_that_failed() -> None:
    # scores within the tolerance whose near-ties flip: only top-1 agreement fails
    rng = np.random.default_rng(3)
    a = rng.standard_normal((200, 5)).astype(np.float32)
    b = a + rng.normal(0.0, 0.05, a.shape).astype(np.float32)
    result = compare_outputs([a], [b], rtol=0.0, atol=0.5, min_top1=0.99)
    assert result.allclose and not result.passed
    why = shortfall(result.max_abs_diff, result.top1_agreement, result.atol, result.min_top1)
    assert why.startswith("top-1 agreement ") and why.endswith("below 99%")
    loose = compare_outputs([a], [a + 1.0], rtol=0.0, atol=0.5)
    why = shortfall(loose.max_abs_diff, loose.top1_agreement, loose.atol, loose.min_top1)
    assert why == "max abs diff 1 over the tolerance 0.5"


def test_shape_mismatch_is_a_user_error() -> None:
    with pytest.raises(OpscopeError, match="shape"):
        compare_outputs([np.zeros((2, 3))], [np.zeros((3, 2))])


def test_generated_inputs_respect_ranges_and_dynamic_dims() -> None:
    specs = [
        InputSpec("ids", "int64", (None, "seq"), high=7),
        InputSpec("mask", "bool", (None, 5)),
        InputSpec("x", "float16", (1, 3)),
    ]
    arrays = random_inputs(specs)
    assert arrays["ids"].shape == (2, 128) and arrays["ids"].max() < 7  # a typical length
    assert arrays["mask"].dtype == np.bool_ and arrays["x"].dtype == np.float16


def test_npz_by_position_and_wrong_dtype(tmp_path: Path) -> None:
    spec = InputSpec("x", "int32", (None, 3))
    np.savez(tmp_path / "pos.npz", np.ones((5, 3), np.int32))
    assert read_npz(tmp_path / "pos.npz", [spec])["x"].shape == (5, 3)
    np.savez(tmp_path / "float.npz", x=np.ones((5, 3), np.float32))
    with pytest.raises(OpscopeError, match="holds float32, the model takes int32"):
        read_npz(tmp_path / "float.npz", [spec])


def test_model_jobs_are_registered(onnx_tagger: Path, tmp_path: Path) -> None:
    summary = run_job(JobSpec("inspect_model", {"path": str(onnx_tagger)}))
    assert summary.path == str(onnx_tagger) and summary.nodes == 5
    params = {"path": str(onnx_tagger), "output": str(tmp_path / "c.onnx")}
    report = run_job(JobSpec("convert_model", params))
    assert report.verify.passed and Path(report.output).is_file()
