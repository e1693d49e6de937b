"""Auto mode: build a set of candidate variants, verify and time each here, keep the best.

Nothing is assumed about what helps: on a 2-core CPU dynamic INT8 made a small CNN 4x
slower while static QDQ INT8 made it 3.6x faster, so every candidate is measured, in one
interleaved run together with the input model. The fastest candidate that passes
verification wins; one slower than the input never does.
"""

from __future__ import annotations

from dataclasses import dataclass

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.optimize import int8_retry, openvino_candidates, prune, quantize
from opscope.backend.optimize.bench import (
    LatencyStats,
    RunOnce,
    measure_budgeted,
    onnx_session,
    session_runner,
)
from opscope.backend.optimize.candidate import (
    ONNXRUNTIME,
    Candidate,
    extend,
    mark_pareto,
)
from opscope.backend.optimize.chain import Chain
from opscope.backend.optimize.onnxruntime_candidates import (
    Candidates,
    is_transformer,
    onnxruntime_candidates,
)
from opscope.backend.optimize.reference import Reference
from opscope.backend.runtimes import openvino_runtime
from opscope.errors import OpscopeError
from opscope.progress import Progress, Step

MEASURE_BUDGET_S = 30.0
# a variant must beat what it would replace by this much in the same run: closer than
# that is noise on this shared machine, and a copy of the input must not be sold as faster
MIN_GAIN = 0.03


def build_candidates(chain: Chain, options: OptimizeOptions, batch: int) -> Candidates:
    """The onnxruntime candidates and, unless ``options.runtime`` rules them out, the
    OpenVINO ones made from the simplified fp32 model (or the plain one, where onnxslim
    failed); under ``--runtime openvino`` only OpenVINO candidates compete."""
    context = onnxruntime_candidates(chain, options, batch)
    if options.runtime == "onnxruntime":
        return context
    reason = openvino_runtime.missing_reason()
    if reason and options.runtime == "openvino":
        raise OpscopeError(reason)
    if reason:
        chain.warnings.append(openvino_candidates.skipped_note(reason))
        return context
    source = context.source
    context.all += openvino_candidates.openvino_candidates(
        source,
        context.batches,
        transformer=is_transformer(source.chain.current) if source.usable else False,
        threads=options.threads,
        exclude_nodes=options.exclude_nodes,
    )
    return context


def choose(candidates: list[Candidate], input_p50: float, input_is_onnx: bool) -> Candidate:
    """The fastest passing candidate; for an ONNX input, the plain (pruned) input in
    onnxruntime (when it competes) unless the fastest beats the input by ``MIN_GAIN``."""
    passing = [c for c in candidates if c.passed and c.latency]
    if not passing:
        raise OpscopeError(f"no candidate passed verification ({_why_none(candidates)})")
    best = min(passing, key=lambda c: c.latency.p50)
    plain = candidates[0]
    if (
        best.latency.p50 > input_p50 * (1 - MIN_GAIN)
        and input_is_onnx
        and plain.passed
        and plain.runtime == ONNXRUNTIME
    ):
        best = plain
    return best


def _why_none(candidates: list[Candidate]) -> str:
    """Why nothing passed: the first error, or the closest miss; what to try."""
    errors = [f"{c.name}: {c.error}" for c in candidates if c.error]
    verified = [c for c in candidates if c.verify and not c.error]
    if verified:
        closest = min(verified, key=lambda c: c.verify["max_abs_diff"])
        return (
            f"closest: {closest.name}, max abs diff {closest.verify['max_abs_diff']:.3g}; "
            "try a larger --tolerance"
        )
    return errors[0] if errors else "no candidate could be built"


def _try_ort_all(
    best: Candidate,
    reference: Reference,
    options: OptimizeOptions,
    batch: int,
    stats: dict[str, LatencyStats],
) -> Candidate:
    """Level-all offline optimization of the winner, kept only if clearly faster than the
    winner and than the input, measured together with both; ``stats["input"]`` is then
    replaced by that run's figure so the table compares numbers from one run."""
    trial = extend(
        best,
        f"{best.name}+ort-all",
        [
            (
                "ort-all",
                "onnxruntime offline optimization at level all (machine-specific)",
                lambda s, t: prune.ort_optimize(s, t, "all"),
            ),
        ],
    )
    if not trial.passed:
        return best
    runners: dict[str, RunOnce] = {"input": reference.original_runner()}
    for c in (best, trial):
        runners[c.name] = session_runner(
            onnx_session(c.chain.current, options.threads), reference.inputs
        )
    trial_stats = measure_budgeted(
        runners, options.runs, options.warmup, batch, budget_s=MEASURE_BUDGET_S / 3
    )
    faster_than_best = trial_stats[trial.name].p50 < trial_stats[best.name].p50 * (1 - MIN_GAIN)
    if faster_than_best and trial_stats[trial.name].p50 < trial_stats["input"].p50:
        trial.latency = trial_stats[trial.name]
        stats["input"] = trial_stats["input"]
        return trial
    return best


def slower_note(fmt: str, final: LatencyStats | None, source: LatencyStats) -> list[str]:
    """A note when even the best ONNX variant is slower than the original (format ``fmt``)
    in its own framework: auto mode can only hand back ONNX, and must not pretend that is
    an improvement. An ONNX input is never slower: :func:`choose` keeps it then."""
    if fmt == "onnx" or final is None or final.p50 < source.p50:
        return []
    return [
        f"no ONNX variant ran faster than the original in {fmt} ({final.p50:.3g} ms "
        f"vs {source.p50:.3g} ms at p50): keep serving the original"
    ]


def _warnings_of(warnings: list[str], chosen: Candidate) -> list[str]:
    """The random-calibration warning concerns only a calibrated (static or NNCF) choice."""
    calibrated = chosen.runtime != ONNXRUNTIME and chosen.precision == "int8"
    calibrated |= any(step.name == "int8-static" for step in chosen.chain.steps)
    return [w for w in warnings if calibrated or w != quantize.GENERATED_CALIBRATION_WARNING]


@dataclass
class AutoResult:
    """The candidate table (the input first) and the chosen candidate."""

    rows: list[dict]
    chosen: Candidate


def auto_optimize(
    chain: Chain, options: OptimizeOptions, batch: int, progress: Progress
) -> AutoResult:
    """Build, verify and time the candidates; continue ``chain`` with the chosen one."""
    progress(Step.AUTO, 0.0, "building and verifying candidates")
    context = build_candidates(chain, options, batch)
    progress(Step.AUTO, 0.5, "per-node INT8 errors; retrying INT8 that missed the tolerance")
    context.all += int8_retry.retry_int8(context, options, chain.warnings)
    candidates = context.all
    reference = chain.reference
    progress(Step.AUTO, 0.6, f"measuring {len(candidates)} candidates and the input, interleaved")
    runners: dict[str, RunOnce] = {"input": reference.original_runner()}
    for c in candidates:
        if c.usable:
            runners[c.name] = c.runner(reference.inputs, options.threads)
    stats = measure_budgeted(runners, options.runs, options.warmup, batch, MEASURE_BUDGET_S)
    for c in candidates:
        c.latency = stats.get(c.name)
    best = choose(candidates, stats["input"].p50, reference.adapter.format == "onnx")
    int8_retry.explain_chosen(best, context)
    final = best
    if best.runtime == ONNXRUNTIME:
        progress(Step.AUTO, 0.85, f"trying ORT level all on {best.name}")
        final = _try_ort_all(best, reference, options, batch, stats)
    if final is not best:
        final.worst_nodes = best.worst_nodes
        candidates.append(final)
    final.chosen = True
    mark_pareto(candidates)
    chain.steps[:] = final.chain.steps
    chain.current = final.chain.current
    chain.warnings[:] = sorted(
        set(_warnings_of(chain.warnings, final))
        | set(slower_note(reference.adapter.format, final.latency, stats["input"]))
        | set(_openvino_slower_note(options, reference, final, stats["input"]))
        | set(openvino_candidates.static_note(final))
    )
    progress(Step.AUTO, 1.0, f"chose {final.name} ({final.runtime} {final.precision})")
    rows = [c.to_dict() for c in candidates]
    source = {"name": "input", "latency_ms_p50": stats["input"].p50, "max_abs_diff": 0.0}
    source |= {"top1_agreement": None, "passed": True, "chosen": False, "pareto": False}
    source |= {"runtime": _input_runtime(reference), "precision": "fp32"}
    return AutoResult([source, *rows], final)


def _openvino_slower_note(
    options: OptimizeOptions, reference: Reference, final: Candidate, source: LatencyStats
) -> list[str]:
    """Under ``--runtime openvino`` the result is OpenVINO's even when the ONNX input ran
    faster in onnxruntime; the user should know."""
    if options.runtime != "openvino" or reference.adapter.format != "onnx":
        return []
    if final.latency is None or final.latency.p50 < source.p50:
        return []
    return [
        f"the fastest OpenVINO candidate ({final.name}, {final.latency.p50:.3g} ms at p50) "
        f"ran no faster than the input in onnxruntime ({source.p50:.3g} ms)"
    ]


def _input_runtime(reference: Reference) -> str:
    """Where the input was measured: onnxruntime for ONNX, else its own framework."""
    return ONNXRUNTIME if reference.adapter.format == "onnx" else reference.adapter.format
