"""Which onnxruntime execution providers run models on this machine.

onnxruntime-gpu lists ``CUDAExecutionProvider`` as available even where its CUDA 13 /
cuDNN 9 libraries or the GPU itself are missing; a session asked for it then logs a red
"Failed to load library" error and falls back to the CPU, or raises. So CUDA is used only
once a one-node session has actually run on it, probed once per process with
onnxruntime's logging silenced. ``OPSCOPE_DEVICE`` chooses: ``auto`` (default: CUDA where it
runs), ``cpu`` (always the CPU), ``cuda`` (CUDA, or an error saying why not).
"""

from __future__ import annotations

import functools
import os

from opscope.errors import OpscopeError

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
DEVICES = ("auto", "cpu", "cuda")
# onnxruntime's logger severities: 0 verbose, 1 info, 2 warning (its default), 3 error, 4 fatal
WARNING = 2
SILENT = 4


def _one_node_model() -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


@functools.cache
def cuda_runs() -> bool:
    """Whether an onnxruntime session here really runs on CUDA (probed once, quietly)."""
    import numpy as np
    import onnxruntime as ort

    if CUDA not in ort.get_available_providers():
        return False
    options = ort.SessionOptions()
    options.log_severity_level = SILENT
    ort.set_default_logger_severity(SILENT)
    try:
        session = ort.InferenceSession(_one_node_model(), options, providers=[CUDA, CPU])
        session.run(None, {"x": np.ones(1, dtype=np.float32)})
        return session.get_providers()[0] == CUDA
    except Exception:
        return False
    finally:
        ort.set_default_logger_severity(WARNING)


def requested_device() -> str:
    device = os.environ.get("OPSCOPE_DEVICE", "auto").strip().lower() or "auto"
    if device not in DEVICES:
        raise OpscopeError(f"OPSCOPE_DEVICE={device!r}: use one of {', '.join(DEVICES)}")
    return device


def execution_providers() -> list[str]:
    """CUDA first where onnxruntime really runs on it and ``OPSCOPE_DEVICE`` allows; the
    CPU provider always, as the fallback for the ops CUDA lacks."""
    device = requested_device()
    if device == "cpu":
        return [CPU]
    if cuda_runs():
        return [CUDA, CPU]
    if device == "cuda":
        raise OpscopeError(
            "OPSCOPE_DEVICE=cuda, but onnxruntime cannot run on CUDA here: it needs "
            "onnxruntime-gpu, CUDA 13 and cuDNN 9 libraries, and a GPU"
        )
    return [CPU]
