"""``opscope bench``: time models as they are, ONNX in onnxruntime (or OpenVINO), OpenVINO IR
in OpenVINO, others eager in their own framework, all in one interleaved run so their
numbers can be compared."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opscope.backend.inputs import DEFAULT_BATCH, random_inputs
from opscope.backend.models import open_model
from opscope.backend.models.onnx_model import load_onnx, onnx_input_specs
from opscope.backend.optimize.bench import (
    RunOnce,
    batch_of,
    measure_interleaved,
    onnx_session,
    session_runner,
)
from opscope.errors import OpscopeError
from opscope.progress import FractionProgress

BENCH_RUNTIMES = ("onnxruntime", "openvino")


@dataclass(frozen=True)
class Timed:
    """One model to time: who runs it, and one call of it."""

    runtime: str
    provider: str
    run: RunOnce
    batch: int


def _openvino(path: Path, batch: int, threads: int | None) -> Timed:
    """An IR with the compile properties it records, or an ONNX file in fp32."""
    from opscope.backend.runtimes import openvino_runtime as ovr

    reason = ovr.missing_reason()
    if reason:
        raise OpscopeError(reason)
    model, compiled = ovr.load_for_run(path, threads)
    # an ONNX file knows which inputs index an embedding (ids must stay below its rows)
    onnx_file = path.suffix.lower() == ".onnx"
    specs = onnx_input_specs(load_onnx(path)) if onnx_file else ovr.input_specs(compiled)
    inputs = random_inputs(specs, seed=0, batch=batch)
    run = ovr.infer_runner(compiled, inputs)
    provider = f"CPU {ovr.run_precision(model, compiled)}"
    return Timed(ovr.RUNTIME, provider, run, batch_of(inputs))


def _timed(path: str, batch: int, threads: int | None, alone: bool, runtime: str) -> Timed:
    try:
        if Path(path).suffix.lower() == ".xml" or (
            runtime == "openvino" and Path(path).suffix.lower() == ".onnx"
        ):
            return _openvino(Path(path), batch, threads)
        adapter = open_model(path)  # the caller's message names the file once
        inputs = random_inputs(adapter.input_specs(), seed=0, batch=batch)
        if adapter.format == "onnx":
            session = onnx_session(Path(path), threads, spinning=alone)
            runner = session_runner(session, inputs)
            return Timed("onnxruntime", session.get_providers()[0], runner, batch_of(inputs))
        return Timed(adapter.format, "eager", lambda: adapter.run(inputs), batch_of(inputs))
    except OpscopeError as exc:
        raise OpscopeError(f"cannot bench {path}: {exc}") from exc


def bench_models(
    paths: list[str],
    *,
    runs: int = 50,
    warmup: int = 5,
    threads: int | None = None,
    batch: int | None = None,
    runtime: str = "onnxruntime",
    progress: FractionProgress,
) -> list[dict[str, Any]]:
    """One row per model: ``{"model", "runtime", "provider", "p50_ms", "p90_ms", "p99_ms",
    "mean_ms", "throughput"}``; a model given twice is timed twice (a check of the method).
    ``provider`` is the onnxruntime execution provider that ran the model (CUDA first where
    onnxruntime-gpu sees a GPU), "CPU <precision>" for OpenVINO, or "eager" for a
    framework's own runtime. ``runtime`` runs ONNX files in onnxruntime or OpenVINO; an
    OpenVINO IR (``.xml``) always runs in OpenVINO, compiled as its runtime info records."""
    if not paths:
        raise OpscopeError("no model to benchmark")
    if runtime not in BENCH_RUNTIMES:
        raise OpscopeError(f"unknown runtime {runtime!r}; use one of {', '.join(BENCH_RUNTIMES)}")
    keys = [f"{index}:{path}" for index, path in enumerate(paths)]
    timed: dict[str, Timed] = {}
    for number, (key, path) in enumerate(zip(keys, paths, strict=True)):
        progress(number / (len(paths) + 1), f"opening {Path(path).name}")
        timed[key] = _timed(path, batch or DEFAULT_BATCH, threads, len(paths) == 1, runtime)
    progress(len(paths) / (len(paths) + 1), f"timing {runs} runs of each")
    stats = measure_interleaved({key: t.run for key, t in timed.items()}, runs, warmup)
    progress(1.0, "done")
    return [
        {
            "model": path,
            "runtime": timed[key].runtime,
            "provider": timed[key].provider,
            "p50_ms": stats[key].p50,
            "p90_ms": stats[key].p90,
            "p99_ms": stats[key].p99,
            "mean_ms": stats[key].mean,
            "throughput": timed[key].batch * 1000.0 / stats[key].mean if stats[key].mean else 0.0,
        }
        for key, path in zip(keys, paths, strict=True)
    ]
