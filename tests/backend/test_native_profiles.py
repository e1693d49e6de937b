"""Originals profiled in their own framework's profiler; the trace engine reads the result."""

from pathlib import Path

import pytest

from opscope.backend.jobs import JobSpec
from opscope.backend.runner import run_in_child
from opscope.profiling.reader import read_trace
from opscope.profiling.stats import op_stats


@pytest.mark.parametrize(
    ("fixture", "inputs", "expected_format", "expected_op"),
    [
        ("keras_tagger", (), "tensorflow", "MatMul"),
        ("mxnet_cnn", ("data:1x3x16x16:float32",), "mxnet", "Convolution"),
    ],
)
def test_native_profile_is_read_by_the_trace_engine(
    request, tmp_path: Path, fixture, inputs, expected_format, expected_op
) -> None:
    model = request.getfixturevalue(fixture)
    before = sorted(p.name for p in model.parent.iterdir())
    out = tmp_path / "trace.json"
    params = {"path": str(model), "output": str(out), "runs": 3, "runtime": "native"}
    # in a child process, as the GUI runs it: the framework starts fresh there
    result = run_in_child(JobSpec("profile_model", {**params, "inputs": list(inputs)}))
    assert result.runtime != "onnxruntime"
    assert out.read_bytes()[:1] in (b"{", b"[")  # Chrome-trace JSON, for any viewer
    trace = read_trace(out)
    assert trace.format == expected_format
    ops = op_stats(trace)
    assert ops.ops and int(ops.count.sum()) > 0
    if expected_op is not None:
        assert expected_op in ops.ops
    assert sorted(p.name for p in model.parent.iterdir()) == before
