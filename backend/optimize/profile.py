"""Profile a model for N runs and write the trace file the trace engine reads.

ONNX models (and, with ``runtime="onnxruntime"``, any model after conversion) run under
onnxruntime's profiler; with ``runtime="openvino"`` the same ONNX file (or an OpenVINO IR)
runs in OpenVINO with its per-layer counters on; originals can run under their own
framework's profiler instead (torch.profiler, the TensorFlow profiler, the MXNet profiler),
so the traces of one model can be compared per operator.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opscope.atomic import atomic_path
from opscope.backend.detect import detect_file
from opscope.backend.inputs import apply_overrides, random_inputs
from opscope.backend.models import ModelAdapter, open_for
from opscope.backend.models.base import user_errors
from opscope.backend.models.providers import execution_providers
from opscope.backend.optimize.reference import work_folder
from opscope.errors import OpscopeError
from opscope.paths import cache_dir, trim_cache
from opscope.progress import FractionProgress

RUNTIMES = ("onnxruntime", "native", "openvino")
OPTIMIZED_MODEL = "ort_optimized.onnx"  # in the profile's folder: the graph that ran
OPTIMIZED_CACHE_BYTES = 256 << 20


def ort_optimized_model(trace: Path) -> Path:
    """Where the graph onnxruntime optimized and ran for the profile ``trace`` is kept (in
    the cache, keyed by the profile's content, so it follows the file wherever it is): its
    events name that graph's fused and rewritten nodes, which the graph view maps back."""
    digest = hashlib.sha256()
    with open(trace, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return cache_dir("profiles", "ort-graphs") / f"{digest.hexdigest()[:24]}.onnx"


def _session_options(folder: Path, save_graph: bool) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.enable_profiling = True
    options.profile_file_prefix = str(folder / "ort_profile")
    if save_graph:  # the graph only: its weights go to a side file left in the folder
        options.optimized_model_filepath = str(folder / OPTIMIZED_MODEL)
        config = "session.optimized_model_external_initializers_"
        options.add_session_config_entry(config + "file_name", "ort_optimized.data")
        options.add_session_config_entry(config + "min_size_in_bytes", "64")
    return options


def profile_onnxruntime(onnx_path: Path, inputs: dict, runs: int, folder: Path) -> Path:
    """onnxruntime's JSON profile (Chrome trace format) of ``runs`` runs; the optimized
    graph it ran is saved beside it as ``OPTIMIZED_MODEL`` where onnxruntime can save it."""
    import onnxruntime as ort

    providers = execution_providers()
    try:
        options = _session_options(folder, True)
        session = ort.InferenceSession(str(onnx_path), options, providers=providers)
    except Exception:  # an execution provider whose graph cannot be saved: profile anyway
        with user_errors("onnxruntime cannot load the model"):
            options = _session_options(folder, False)
            session = ort.InferenceSession(str(onnx_path), options, providers=providers)
    feed = {i.name: inputs[i.name] for i in session.get_inputs()}
    with user_errors("onnxruntime failed to run the model"):
        for _ in range(runs):
            session.run(None, feed)
    return Path(session.end_profiling())


def _profile_torch(adapter: ModelAdapter, inputs: dict, runs: int, folder: Path) -> Path:
    from torch.profiler import ProfilerActivity, profile

    target = folder / "torch_trace.json"
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(runs):
            adapter.run(inputs)
    prof.export_chrome_trace(str(target))
    return target


def _profile_tensorflow(adapter: ModelAdapter, inputs: dict, runs: int, folder: Path) -> Path:
    import tensorflow as tf

    logdir = folder / "tf_logdir"
    tf.profiler.experimental.start(str(logdir))
    try:
        for _ in range(runs):
            adapter.run(inputs)
    finally:
        tf.profiler.experimental.stop()
    found = sorted(logdir.rglob("*.xplane.pb"))
    if not found:
        raise OpscopeError("the TensorFlow profiler wrote no trace")
    # The same Chrome-trace JSON as the other runtimes (xprof's own converter), so the file
    # opens in opscope, Perfetto or chrome://tracing alike.
    from opscope.profiling.tensorflow import xplane_to_chrome_json

    target = folder / "tensorflow_trace.json"
    target.write_bytes(xplane_to_chrome_json(found[-1]))
    return target


def _profile_mxnet(adapter: ModelAdapter, inputs: dict, runs: int, folder: Path) -> Path:
    import mxnet as mx

    target = folder / "mxnet_profile.json"
    mx.profiler.set_config(profile_all=True, filename=str(target))
    mx.profiler.set_state("run")
    try:
        for _ in range(runs):
            adapter.run(inputs)
        mx.nd.waitall()
    finally:
        mx.profiler.set_state("stop")
    mx.profiler.dump()
    return target


def _unbulk_mxnet(source: Path) -> None:
    """MXNet's threaded engine runs an imported symbol as one "ImperativeBulk" event; its
    synchronous NaiveEngine records every operator. The engine is chosen when mxnet is first
    imported, which in a job's child process (or the CLI) is still to come."""
    if "mxnet" in sys.modules:
        return
    with contextlib.suppress(OpscopeError):
        if detect_file(source).format == "mxnet":
            os.environ.setdefault("MXNET_ENGINE_TYPE", "NaiveEngine")


NATIVE_PROFILERS = {
    "torchscript": _profile_torch,
    "torch-export": _profile_torch,
    "tensorflow-savedmodel": _profile_tensorflow,
    "keras": _profile_tensorflow,
    "keras-h5": _profile_tensorflow,
    "mxnet": _profile_mxnet,
}


def _profile_ir(
    source: Path, target: Path, runs: int, progress: FractionProgress
) -> dict[str, Any]:
    """An OpenVINO IR, compiled as its runtime info records, profiled in OpenVINO."""
    from opscope.backend.runtimes import openvino_runtime as ovr

    try:
        specs = ovr.input_specs(ovr.read_model(source))
        progress(0.3, f"profiling {runs} runs in openvino")
        with atomic_path(target) as temp:
            profile_openvino(source, random_inputs(specs), runs, temp, "fp32")
    except OpscopeError as exc:
        raise OpscopeError(f"cannot profile {source}: {exc}") from exc
    progress(1.0, "done")
    return {"model": str(source), "output": str(target), "runtime": "openvino", "runs": runs}


def profile_openvino(model: Path, inputs: dict, runs: int, target: Path, precision: str) -> None:
    """OpenVINO's per-layer counters of ``runs`` runs as a Chrome trace at ``target``."""
    from opscope.backend.runtimes import openvino_runtime as ovr
    from opscope.backend.runtimes.openvino_profile import profile_openvino as write_profile

    reason = ovr.missing_reason()
    if reason:
        raise OpscopeError(reason)
    write_profile(model, inputs, runs, target, precision)


def profile_model(
    path: str | Path,
    output: str | Path,
    *,
    runs: int = 10,
    runtime: str = "onnxruntime",
    inputs: Sequence[str] = (),
    progress: FractionProgress,
) -> dict[str, Any]:
    """Profile ``runs`` runs and write the trace to ``output``; returns what was written.

    ``inputs`` (``NAME:SHAPE:DTYPE``) give the shapes a TorchScript or MXNet file lacks.
    """
    from opscope.backend.optimize.reference import ReferenceSettings, build_reference

    source, target = Path(path), Path(output)
    if runtime not in RUNTIMES:
        raise OpscopeError(f"cannot profile {source}: unknown runtime {runtime!r}")
    settings = ReferenceSettings(inputs=tuple(inputs))
    if runtime == "native":
        _unbulk_mxnet(source)
    progress(0.0, f"opening {source.name}")
    if source.suffix.lower() == ".xml":
        return _profile_ir(source, target, runs, progress)
    adapter = open_for(source, "profile")
    try:
        with work_folder() as folder_name:
            folder = Path(folder_name)
            if runtime == "native" and adapter.format != "onnx":
                fmt = adapter.format
                profiler = NATIVE_PROFILERS.get(fmt)
                if profiler is None:
                    raise OpscopeError(f"no native profiler for {fmt} models")
                specs = apply_overrides(adapter.input_specs(), settings.input_overrides())
                progress(0.2, f"profiling {runs} runs in {fmt}")
                trace = profiler(adapter, random_inputs(specs), runs, folder)
                used = fmt
            else:
                ref = build_reference(
                    adapter, folder, settings, progress=lambda _, f, m: progress(0.2 + 0.1 * f, m)
                )
                progress(0.3, f"profiling {runs} runs in {runtime}")
                if runtime == "openvino":
                    trace = folder / "openvino_trace.json"
                    profile_openvino(ref.onnx_path, ref.inputs, runs, trace, "fp32")
                else:
                    trace = profile_onnxruntime(ref.onnx_path, ref.inputs, runs, folder)
                used = "openvino" if runtime == "openvino" else "onnxruntime"
            with atomic_path(target) as temp:
                shutil.copyfile(trace, temp)
            if used == "onnxruntime" and (folder / OPTIMIZED_MODEL).is_file():
                kept = ort_optimized_model(target)
                with atomic_path(kept) as temp:
                    shutil.copyfile(folder / OPTIMIZED_MODEL, temp)
                trim_cache(kept.parent, OPTIMIZED_CACHE_BYTES, keep=kept)
    except OpscopeError as exc:
        raise OpscopeError(f"cannot profile {source}: {exc}") from exc
    progress(1.0, "done")
    return {"model": str(source), "output": str(target), "runtime": used, "runs": runs}
