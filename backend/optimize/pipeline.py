"""``opscope optimize``: the steps the user chose (or auto mode), verified, timed, exported.

Everything happens in a private work folder; the optimized model and its reports are
written to the user's paths only at the end, atomically, so a failure leaves nothing behind
and the source is never written to.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opscope.atomic import atomic_path
from opscope.backend.inspect import open_for
from opscope.backend.models.onnx_model import load_onnx, onnx_input_specs, summarize_onnx
from opscope.backend.optimize import prune, quantize
from opscope.backend.optimize.bench import measure_budgeted, onnx_session, session_runner
from opscope.backend.optimize.chain import Chain, proto_step
from opscope.backend.optimize.reference import (
    Reference,
    ReferenceSettings,
    build_reference,
    work_folder,
)
from opscope.backend.summary import path_size
from opscope.errors import OpscopeError

Progress = Callable[[float, str], None]
STEPS = ("Convert", "Prune", "Quantize", "Verify", "Benchmark", "Auto")
DEFAULT_MIN_TOP1 = 0.99


class StepProgress:
    """Progress whose every message starts with its step (``"Prune: ORT level all"``).

    The GUI draws one bar per step and routes messages by that prefix; fractions stay
    overall (0..1), so a plain progress bar keeps working too.
    """

    def __init__(self, report: Progress) -> None:
        self._report = report

    def __call__(self, step: str, fraction: float, message: str) -> None:
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}")
        self._report(min(max(fraction, 0.0), 1.0), f"{step}: {message}")

    def scaled(self, step: str, start: float, end: float) -> Progress:
        """A plain progress callback for one step, its 0..1 mapped onto ``start..end``."""
        return lambda fraction, message: self(step, start + (end - start) * fraction, message)


@dataclass(frozen=True)
class OptimizeOptions:
    """What ``opscope optimize`` and the ``optimize_model`` job take besides the paths.

    ``opset`` and ``inputs`` (``NAME:SHAPE:DTYPE`` strings, as ``opscope convert --input``)
    go to the conversion: TorchScript and MXNet files record no input shapes. ``min_top1``
    is the share of top-1 decisions a classifier-like output must keep to pass, besides the
    tolerance. ``tf_native`` (SavedModels only) prunes in TensorFlow instead of converting:
    the output is a SavedModel folder, or a frozen GraphDef when it ends in ``.pb``.
    """

    keep_outputs: tuple[str, ...] = ()
    level: str | None = None
    slim: bool = False
    quantize: str | None = None
    calib: str | None = None
    method: str = "minmax"
    per_channel: bool = False
    exclude_nodes: tuple[str, ...] = ()
    exclude_op_types: tuple[str, ...] = ()
    auto: bool = False
    tolerance: float | None = None
    min_top1: float = DEFAULT_MIN_TOP1
    opset: int | None = None
    inputs: tuple[str, ...] = ()
    tf_native: bool = False
    inputs_npz: str | None = None
    runs: int = 30
    warmup: int = 5
    threads: int | None = None
    batch: int | None = None
    report: str | None = None

    def quant_options(self, mode: str, **changes: Any) -> quantize.QuantOptions:
        values = {
            "mode": mode,
            "per_channel": self.per_channel,
            "method": self.method,
            "exclude_nodes": self.exclude_nodes,
            "exclude_op_types": self.exclude_op_types,
        }
        return quantize.QuantOptions(**{**values, **changes})


def calibration_data(chain: Chain, options: OptimizeOptions, batch: int) -> list[dict]:
    """The user's calibration batches, or generated ones with a warning in the report."""
    specs = onnx_input_specs(load_onnx(chain.current))
    if options.calib:
        return quantize.calibration_batches(Path(options.calib), specs, batch)
    chain.warnings.append(quantize.GENERATED_CALIBRATION_WARNING)
    return quantize.generated_batches(specs, count=8, batch=batch)


def quantize_steps(
    chain: Chain, options: OptimizeOptions, mode: str, batch: int, progress: Progress
) -> None:
    """Pre-process, then quantize in ``mode`` (dynamic, static or fp16)."""
    if mode not in quantize.QUANTIZE_MODES:
        raise OpscopeError(f"unknown quantization {mode!r}; use one of {quantize.QUANTIZE_MODES}")
    if mode == "fp16":
        progress(0.0, "FP16 weights and compute")
        chain.apply(
            "fp16", "FP16 weights and compute, IO types kept", proto_step(quantize.convert_fp16)
        )
        return
    batches = calibration_data(chain, options, batch) if mode == "static" else []
    progress(0.0, "quant_pre_process")
    chain.apply("pre-process", "quant_pre_process (shape inference, fusions)", quantize.pre_process)
    qopts = options.quant_options(mode)
    progress(0.3, f"INT8 {mode}")
    if mode == "dynamic":
        detail = f"ORT dynamic INT8{' per-channel' if qopts.per_channel else ''}"
        chain.apply(
            "int8-dynamic", detail, lambda s, t: quantize.quantize_dynamic_int8(s, t, qopts)
        )
    else:
        detail = f"ORT static INT8 QDQ, {qopts.method} calibration on {len(batches)} batches"
        chain.apply(
            "int8-static",
            detail,
            lambda s, t: quantize.quantize_static_qdq(s, t, batches, qopts),
        )


def manual_steps(chain: Chain, options: OptimizeOptions, batch: int, track: StepProgress) -> None:
    """The steps the user asked for, in the order that keeps every tool working.

    onnxslim and the quantizer run before ORT's offline optimizer, whose extended and
    higher levels write contrib ops (fused, NCHWc) those tools cannot read.
    """
    if options.slim:
        track("Prune", 0.3, "onnxslim")
        chain.apply("onnxslim", "constant folding, fusions, dead nodes", proto_step(prune.slim))
    if options.quantize:
        quantize_steps(
            chain, options, options.quantize, batch, track.scaled("Quantize", 0.35, 0.75)
        )
    if options.level:
        level = options.level
        track("Prune", 0.75, f"ORT level {level}")
        chain.apply(
            f"ort-{level}",
            f"onnxruntime offline optimization at level {level}",
            lambda s, t: prune.ort_optimize(s, t, level),
        )


def compare_latency(reference: Reference, final: Path, options: OptimizeOptions, batch: int):
    """Original and optimized, interleaved, spinning off: the report's latency table; at
    least ``options.runs`` runs, more for models fast enough to be lost in noise."""
    runners = {
        "original": reference.original_runner(),
        "optimized": session_runner(onnx_session(final, options.threads), reference.inputs),
    }
    return measure_budgeted(runners, options.runs, options.warmup, batch)


def keep_input_if_slower(chain: Chain, latency: dict, candidates: list[dict]):
    """Auto mode never hands back a model slower than its input: when the final interleaved
    measurement finds the chosen candidate slower, the input model itself is the result."""
    original, optimized = latency["original"], latency["optimized"]
    if optimized.p50 <= original.p50:
        return chain.current, latency
    chain.warnings.append(
        f"the chosen candidate did not run faster than the input in the final measurement "
        f"({optimized.p50:.3g} vs {original.p50:.3g} ms at p50): the input is handed back unchanged"
    )
    chain.steps.clear()
    chain.current = chain.reference.onnx_path
    for row in candidates:
        row["chosen"] = row["name"] == "input"
    return chain.current, {"original": original, "optimized": original}


def _check_target(source: Path, target: Path) -> None:
    source, target = source.resolve(), target.resolve()
    if target == source or target.is_relative_to(source) or target.is_dir():
        raise OpscopeError(f"the output {target} would overwrite the model or a folder")


def write_outputs(final: Path, target: Path, result: dict, report_path: str | None) -> None:
    """The model (a file, or a SavedModel folder) and its JSON and Markdown reports, all
    moved into place together at the end."""
    from opscope.backend.optimize import report

    with contextlib.ExitStack() as stack:
        if final.is_dir():  # a SavedModel from the TensorFlow route
            temp = stack.enter_context(atomic_path(target, is_dir=True))
            shutil.copytree(final, temp, dirs_exist_ok=True)
        else:
            shutil.copyfile(final, stack.enter_context(atomic_path(target)))
        if report_path:
            json_path = Path(report_path)
            stack.enter_context(atomic_path(json_path)).write_text(report.to_json(result))
            markdown = stack.enter_context(atomic_path(json_path.with_suffix(".md")))
            markdown.write_text(report.to_markdown(result))


def _optimize_onnx(
    source: Path, target: Path, options: OptimizeOptions, track: StepProgress
) -> dict[str, Any]:
    """The ONNX route: convert, prune, quantize or auto-tune, verify, measure, write."""
    from opscope.backend.optimize import auto, report

    adapter = open_for(source, "optimize")
    with work_folder() as folder_name:
        folder = Path(folder_name)
        reference = build_reference(
            adapter,
            folder,
            settings=ReferenceSettings.of(options),
            progress=track.scaled("Convert", 0.0, 0.15),
        )
        track("Verify", 0.18, "ran the original on the reference inputs")
        batch = next(iter(reference.inputs.values())).shape[0] if reference.inputs else 1
        chain = Chain(reference, folder, reference.onnx_path)
        track("Prune", 0.2, f"keep outputs {', '.join(reference.output_names)}")
        chain.apply(
            "prune",
            f"keep outputs {', '.join(reference.output_names)}; dead nodes, unused weights",
            proto_step(lambda m: prune.prune_graph(m, reference.output_names)),
        )
        candidates = None
        if options.auto:
            auto_progress = track.scaled("Auto", 0.25, 0.85)
            candidates = auto.auto_optimize(chain, options, batch, auto_progress)
        else:
            manual_steps(chain, options, batch, track)
        track("Benchmark", 0.85, "measuring original and optimized")
        final = chain.current
        latency = compare_latency(reference, final, options, batch)
        if options.auto and reference.adapter.format == "onnx":
            final, latency = keep_input_if_slower(chain, latency, candidates)
        after = summarize_onnx(load_onnx(final), path_size(final)).to_dict()
        result = report.build_report(
            source, target, reference, chain, after, latency, candidates, options
        )
        track("Benchmark", 0.97, f"writing {target.name}")
        write_outputs(final, target, result, options.report)
    return result


def optimize_model(
    path: str | Path, output: str | Path, options: OptimizeOptions, progress: Progress
) -> dict[str, Any]:
    """Optimize, verify, measure and export; returns the ``optimize`` report object.

    Every progress message starts with one of :data:`STEPS` (``"Prune: ORT level all"``).
    """
    source, target = Path(path), Path(output)
    track = StepProgress(progress)
    track("Convert", 0.0, f"opening {source.name}")
    try:
        _check_target(source, target)
        if options.report:
            _check_target(source, Path(options.report))
        if options.tf_native:
            from opscope.backend.optimize.tf_prune import optimize_savedmodel

            result = optimize_savedmodel(source, target, options, track)
        else:
            result = _optimize_onnx(source, target, options, track)
    except OpscopeError as exc:
        raise OpscopeError(f"cannot optimize {source}: {exc}") from exc
    track("Benchmark", 1.0, "done")
    return result
