"""``opscope optimize``: the steps the user chose (or auto mode), verified, timed, exported.

This module only orchestrates: the options are in :mod:`.options`, the named steps in
:mod:`.manual`, auto mode in :mod:`.auto`, the TensorFlow route in :mod:`.tf_prune`, and
the writing of results in :mod:`.outputs`. Everything happens in a private work folder;
the optimized model and its reports are written to the user's paths only at the end,
atomically, so a failure leaves nothing behind and the source is never written to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opscope.atomic import check_output_path
from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.models import open_model
from opscope.backend.models.onnx_model import load_onnx, summarize_onnx
from opscope.backend.optimize import auto, deployment, prune, report, tf_prune
from opscope.backend.optimize.bench import measure_budgeted
from opscope.backend.optimize.chain import Chain, proto_step
from opscope.backend.optimize.manual import manual_steps
from opscope.backend.optimize.outputs import write_outputs
from opscope.backend.optimize.quantize import GENERATED_CALIBRATION_WARNING
from opscope.backend.optimize.reference import (
    Reference,
    ReferenceSettings,
    build_reference,
    work_folder,
)
from opscope.errors import OpscopeError
from opscope.progress import Progress, Step


def compare_latency(
    reference: Reference, final: Path, options: OptimizeOptions, batch: int, chosen=None
):
    """Original and optimized (in the chosen candidate's runtime), interleaved, spinning
    off: the report's latency table; at least ``options.runs`` runs, more for models fast
    enough to be lost in noise."""
    runners = {
        "original": reference.original_runner(),
        "optimized": deployment.optimized_runner(chosen, final, reference, options.threads),
    }
    return measure_budgeted(runners, options.runs, options.warmup, batch)


def keep_input_if_slower(chain: Chain, latency: dict, candidates: list[dict]):
    """Auto mode never hands back a model slower than its input: when the final interleaved
    measurement finds the chosen candidate slower, the input model itself is the result."""
    original, optimized = latency["original"], latency["optimized"]
    if optimized.p50 <= original.p50:
        return chain.current, latency
    chain.warnings.append(
        f"the chosen candidate did not run faster than the input in the measurement that chose it "
        f"({optimized.p50:.3g} vs {original.p50:.3g} ms at p50): the input is handed back unchanged"
    )
    chain.steps.clear()
    chain.current = chain.reference.onnx_path
    # the input itself is handed back: no calibration went into it
    chain.warnings[:] = [w for w in chain.warnings if w != GENERATED_CALIBRATION_WARNING]
    for row in candidates:
        row["chosen"] = row["name"] == "input"
    return chain.current, {"original": original, "optimized": original}


def _optimize_onnx(
    source: Path, target: Path, options: OptimizeOptions, progress: Progress
) -> dict[str, Any]:
    """The ONNX route: convert, prune, quantize or auto-tune, verify, measure, write."""
    adapter = open_model(source)
    with work_folder() as folder_name:
        folder = Path(folder_name)
        reference = build_reference(
            adapter,
            folder,
            settings=ReferenceSettings.of(options),
            progress=progress,
        )
        progress(Step.VERIFY, 0.2, "ran the original on the reference inputs")
        batch = reference.batch
        chain = Chain(reference, folder, reference.onnx_path)
        progress(Step.PRUNE, 0.0, f"keep outputs {', '.join(reference.output_names)}")
        chain.apply(
            "prune",
            f"keep outputs {', '.join(reference.output_names)}; dead nodes, unused weights",
            proto_step(lambda m: prune.prune_graph(m, reference.output_names)),
        )
        candidates, chosen, decision, same_run = None, None, None, None
        if options.auto:
            outcome = auto.auto_optimize(chain, options, batch, progress)
            candidates, chosen, decision = outcome.rows, outcome.chosen, outcome.decision
            same_run = outcome.latency
        else:
            manual_steps(chain, options, batch, progress)
        progress(Step.VERIFY, 1.0, "every step verified against the original")
        progress(Step.BENCHMARK, 0.0, "measuring original and optimized")
        final = chain.current
        if same_run is not None:
            # one measurement, one number: the rounds that chose it beat the input by more
            # than the noise (or kept the input); a second run could only contradict them
            latency = same_run
            if options.runtime != "openvino":
                final, latency = keep_input_if_slower(chain, latency, candidates)
                chosen = chosen if chain.steps else None  # the input itself, in onnxruntime
        else:
            latency = compare_latency(reference, final, options, batch, chosen)
        deployed = deployment.deployment_of(chosen, final, target, folder)
        for _, path in deployed.files:
            check_output_path(source, path)
        after = summarize_onnx(load_onnx(final), deployed.size_bytes()).to_dict()
        result = report.build_report(
            source, deployed.output, reference, chain, after, latency, candidates
        )
        result |= deployed.report_fields(options.report)
        if decision is not None:
            result["decision"] = decision
        progress(Step.BENCHMARK, 0.95, f"writing {deployed.output.name}")
        (model, written), *others = deployed.files
        write_outputs(model, written, result, options.report, others)
    return result


def optimize_model(
    path: str | Path, output: str | Path, options: OptimizeOptions, progress: Progress
) -> dict[str, Any]:
    """Optimize, verify, measure and export; returns the ``optimize`` report object.

    Progress names one of :data:`~opscope.progress.OPTIMIZE_STEPS`.
    """
    source, target = Path(path), Path(output)
    progress(Step.CONVERT, 0.0, f"opening {source.name}")
    try:
        check_output_path(source, target)
        if options.report:
            check_output_path(source, Path(options.report))
        if options.tf_native:
            result = tf_prune.optimize_savedmodel(source, target, options, progress)
        else:
            result = _optimize_onnx(source, target, options, progress)
    except OpscopeError as exc:
        raise OpscopeError(f"cannot optimize {source}: {exc}") from exc
    progress(Step.BENCHMARK, 1.0, "done")
    return result
