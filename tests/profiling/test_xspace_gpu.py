"""GPU planes of a real TF profile: kernels on device lanes, counted per TF op (GPU only)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from opscope.profiling.reader import read_trace

PROFILE_ON_GPU = """
import sys
import tensorflow as tf
if not tf.config.list_physical_devices("GPU"):
    sys.exit(3)
x = tf.random.normal((512, 512))
step = tf.function(lambda t: tf.nn.relu(tf.matmul(t, t)))
step(x)
tf.profiler.experimental.start(sys.argv[1])
for i in range(3):
    with tf.profiler.experimental.Trace("step", step_num=i, _r=1):
        step(x).numpy()
tf.profiler.experimental.stop()
"""


@pytest.fixture(scope="module")
def gpu_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("nvidia-smi") is None:
        pytest.skip("no NVIDIA GPU on this machine")
    out = tmp_path_factory.mktemp("tf_gpu")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-c", PROFILE_ON_GPU, str(out)], env=env, capture_output=True
    )
    if done.returncode == 3:
        pytest.skip("tensorflow sees no GPU here")
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def _device_kernels_per_op(xplane: Path, tmp_path: Path) -> dict[str, int]:
    """xprof's framework_op_stats rows of the device: op type -> occurrences."""
    from xprof.convert import raw_to_tool_data

    copy = tmp_path / "host.xplane.pb"
    shutil.copyfile(xplane, copy)
    table = json.loads(
        raw_to_tool_data.xspace_to_tool_data([str(copy)], "framework_op_stats", {})[0]
    )
    table = table[0] if isinstance(table, list) else table
    labels = [column["label"] for column in table["cols"]]
    where, kind, count = (
        labels.index(label) for label in ("Host/device", "Operation Type", "#Occurrences")
    )
    per_op: dict[str, int] = {}
    for row in table["rows"]:
        cells = [cell["v"] for cell in row["c"]]
        if cells[where] == "Device" and cells[kind] != "IDLE":
            per_op[cells[kind]] = per_op.get(cells[kind], 0) + int(cells[count])
    return per_op


def test_gpu_kernels_are_device_lanes_linked_to_tf_ops(gpu_logdir: Path, tmp_path: Path) -> None:
    trace = read_trace(gpu_logdir)
    device_lanes = [i for i, lane in enumerate(trace.lanes) if "/device:GPU:" in lane.process]
    assert device_lanes
    on_device = np.isin(trace.lane, device_lanes)
    kernels = on_device & trace.is_op
    assert kernels.any()
    assert {trace.categories[c] for c in trace.category[kernels]} == {"kernel"}
    kernel_ops = {trace.ops[o] for o in trace.op[kernels]}
    assert "MatMul" in kernel_ops or "_FusedMatMul" in kernel_ops
    reference = _device_kernels_per_op(next(gpu_logdir.rglob("*.xplane.pb")), tmp_path)
    counted: dict[str, int] = {}
    for op in trace.op[kernels].tolist():
        counted[trace.ops[op]] = counted.get(trace.ops[op], 0) + 1
    for op_type in reference.keys() & counted.keys():
        assert counted[op_type] >= reference[op_type], op_type
