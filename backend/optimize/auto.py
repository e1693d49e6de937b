"""Auto mode: build a set of candidate variants, verify and time each here, keep the best.

Nothing is assumed about what helps: on a 2-core CPU dynamic INT8 made a small CNN 4x
slower while static QDQ INT8 made it 3.6x faster, so every candidate is measured, in one
interleaved run together with the input model. The fastest candidate that passes
verification wins; one slower than the input never does.

Time goes where it can change the answer. A quick interleaved round (a few calls of each
variant) comes first: a passing candidate over :data:`SCREEN_OUT` times the fastest passing
one cannot win and is left out of the full measurement, and the variants that exist only
to rescue an INT8 model that missed the tolerance (other calibrations of the same graph,
retries with nodes in float) are built only for INT8 models that ran fast enough to win:
they keep more in float and are never faster. The full measurement then times the
remaining ones; where their spread is too wide to tell the winner from the runner-up, or
the winner's gain from the noise, the contenders are measured again (at most
:data:`REMEASURES` times), and a gain still within the noise does not replace the input.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.optimize import int8_retry, openvino_candidates, prune, quantize, screening
from opscope.backend.optimize.bench import (
    ROUND_CALLS,
    LatencyStats,
    RunOnce,
    measure_budgeted,
    within_noise,
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
SLOW_CALL_MS = 20.0  # an input this slow per call is measured in rounds of
SLOW_ROUND_CALLS = 2  # two calls per variant (after one untimed): rounds to compare by
REMEASURES = 2  # extra rounds of the contenders when the spread is too wide to decide
NOISY_SPREAD = 1.5  # p90 over p50 of a contender: too busy to decide in that round
AUTO_TARGET_S = 110.0  # what auto mode aims to take per model (the issue asks <= 2 min)
# the full measurement, its re-measurements and the level-all trial, at most
MEASURE_RESERVE_S = MEASURE_BUDGET_S * (1 + REMEASURES / 3 + 1 / 3)


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


class Timing:
    """The runners of the input and the candidates, each made once (an onnxruntime session,
    a compiled OpenVINO model) and reused by every round that times it."""

    def __init__(self, reference: Reference, threads: int | None, batch: int) -> None:
        self.reference, self.threads, self.batch = reference, threads, batch
        self.runners: dict[str, RunOnce] = {"input": reference.original_runner()}
        # calls per variant per round, and untimed calls before them; a slow model gets
        # short rounds, so that its few seconds of measuring hold enough rounds to compare
        self.block, self.settle = ROUND_CALLS, 3

    def of(self, candidate: Candidate) -> RunOnce:
        if candidate.name not in self.runners:
            self.runners[candidate.name] = candidate.runner(self.reference.inputs, self.threads)
        return self.runners[candidate.name]

    def screen(self, candidates: Iterable[Candidate]) -> LatencyStats:
        """The quick round: a few interleaved calls of the input and of each built candidate
        not screened yet (failing ones too: whether they are worth rescuing depends on it)."""
        fresh = [c for c in candidates if c.usable and c.screen is None]
        variants = {"input": self.runners["input"]} | {c.name: self.of(c) for c in fresh}
        stats = measure_budgeted(
            variants,
            screening.SCREEN_RUNS,
            2,  # the sizing round and one more: first calls allocate
            self.batch,
            block=screening.SCREEN_RUNS,
            settle=1,
            fill_s=screening.SCREEN_FILL_S,
        )
        for c in fresh:
            c.screen = stats[c.name]
        if stats["input"].p50 >= SLOW_CALL_MS:
            self.block, self.settle = SLOW_ROUND_CALLS, 1
        return stats["input"]

    def measure(
        self, candidates: list[Candidate], runs: int, warmup: int, budget_s: float
    ) -> LatencyStats:
        """One interleaved round of the input and ``candidates``, added to what earlier
        rounds measured of them; the input's figure in this round."""
        variants = {"input": self.runners["input"]} | {c.name: self.of(c) for c in candidates}
        stats = measure_budgeted(
            variants, runs, warmup, self.batch, budget_s, block=self.block, settle=self.settle
        )
        for c in candidates:
            new = stats[c.name]
            c.latency = c.latency.pooled(new, self.batch) if c.latency else new
        return stats["input"]


@dataclass
class Verdict:
    """What one look at the full measurement's numbers says."""

    best: Candidate
    contenders: list[Candidate]  # not told apart from ``best`` (``best`` first)
    reasons: list[str]

    @property
    def decided(self) -> bool:
        return not self.reasons


def _interval(stats: LatencyStats) -> str:
    low, high = stats.interval()
    return f"{stats.p50:.3g} ms, p50 interval {low:.3g}-{high:.3g}"


def judge(finalists: list[Candidate], input_stats: LatencyStats, keep: Candidate | None) -> Verdict:
    """The fastest finalist, the ones its p50 cannot be told from by more than ``MIN_GAIN``,
    and why the numbers cannot decide: a runner-up within the noise, a gain over the input
    within the noise (``keep``: the plain copy that replaces an ONNX input), or a contender
    whose p90 is over ``NOISY_SPREAD`` times its p50."""
    ranked = sorted(finalists, key=lambda c: c.latency.p50)
    best, reasons = ranked[0], []
    contenders = [best] + [c for c in ranked[1:] if within_noise(best.latency, c.latency, MIN_GAIN)]
    if len(contenders) > 1:
        others = ", ".join(f"{c.name} ({_interval(c.latency)})" for c in contenders[1:])
        reasons.append(f"{best.name} ({_interval(best.latency)}) could not be told from {others}")
    if keep is not None and best is not keep and within_noise(best.latency, input_stats, MIN_GAIN):
        reasons.append(
            f"the gain of {best.name} ({_interval(best.latency)}) over the input "
            f"({_interval(input_stats)}) is within the noise"
        )
        contenders.append(keep)
    # the spread matters where the choice depends on it: between contenders, or where the
    # best would replace an ONNX input (keeping the input needs no proof)
    replaces = (
        keep is not None
        and best is not keep
        and best.latency.p50 < input_stats.p50 * (1 - MIN_GAIN)
    )
    noisy = [c.name for c in contenders if c.latency.spread > NOISY_SPREAD]
    if input_stats.spread > NOISY_SPREAD and replaces:
        noisy.append("the input")
    if noisy and (len(_distinct(contenders)) > 1 or replaces):
        reasons.append(f"p90 over {NOISY_SPREAD:g}x p50 for {', '.join(noisy)}")
    return Verdict(best, contenders, reasons)


def choose(
    finalists: list[Candidate], input_stats: LatencyStats, keep: Candidate | None, rounds: int
) -> tuple[Candidate, dict]:
    """The fastest finalist, unless (``keep`` given: an ONNX input) it does not beat the
    input by ``MIN_GAIN`` or its gain is within the noise; and the report's decision."""
    verdict = judge(finalists, input_stats, keep)
    best = verdict.best
    kept = (
        keep is not None
        and best is not keep
        and (
            best.latency.p50 > input_stats.p50 * (1 - MIN_GAIN)
            or within_noise(best.latency, input_stats, MIN_GAIN)
        )
    )
    chosen = keep if kept else best
    text = ""
    if not verdict.decided:
        after = f" after {rounds} re-measurement{'s' * (rounds != 1)}" if rounds else ""
        outcome = (
            f"kept {keep.name}, the input unchanged"
            if kept and chosen is keep
            else f"chose {chosen.name}, the fastest at p50"
        )
        text = f"undecided{after}: {'; '.join(verdict.reasons)}; {outcome}"
    elif rounds:
        text = f"decided after {rounds} re-measurement{'s' * (rounds != 1)} of the contenders"
    return chosen, {"remeasured": rounds, "decided": verdict.decided, "text": text}


def _distinct(candidates: list[Candidate]) -> list[Candidate]:
    return [c for i, c in enumerate(candidates) if all(c is not o for o in candidates[:i])]


def measure_and_choose(
    finalists: list[Candidate],
    timing: Timing,
    options: OptimizeOptions,
    keep: Candidate | None,
) -> tuple[Candidate, dict, LatencyStats]:
    """The full interleaved measurement, re-measuring the contenders while the numbers
    cannot decide (at most ``REMEASURES`` times); the choice, the decision, the input's
    pooled figure."""
    input_stats = timing.measure(finalists, options.runs, options.warmup, MEASURE_BUDGET_S)
    rounds, pool = 0, finalists
    while rounds < REMEASURES:
        verdict = judge(pool, input_stats, keep)
        if verdict.decided:
            break
        # the others were told apart from the best in a round they shared: only the
        # contenders (and the input) are measured again, and compared from then on
        rounds, pool = rounds + 1, _distinct(verdict.contenders)
        # warm already: one round of lead-in; a third of the budget per re-measurement
        more = timing.measure(pool, options.runs, 1, MEASURE_BUDGET_S / 3)
        input_stats = input_stats.pooled(more, timing.batch)
    chosen, decision = choose(pool, input_stats, keep, rounds)
    return chosen, decision, input_stats


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
    best: Candidate, timing: Timing, options: OptimizeOptions, input_stats: LatencyStats
) -> tuple[Candidate, LatencyStats | None]:
    """Level-all offline optimization of the winner, kept only if clearly faster than the
    winner (beyond the noise) and than the input, measured together with both in a round
    of its own, and faster than the input's figure in the full measurement too (the one
    the candidate table shows); with the input's figure of that round."""
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
        return best, None
    variants = {
        "input": timing.runners["input"],
        best.name: timing.of(best),
        trial.name: timing.of(trial),
    }
    stats = measure_budgeted(
        variants, options.runs, options.warmup, timing.batch, budget_s=MEASURE_BUDGET_S / 3
    )
    tried, against = stats[trial.name], stats[best.name]
    faster_than_best = tried.p50 < against.p50 * (1 - MIN_GAIN)
    faster_than_best = faster_than_best and not within_noise(tried, against, MIN_GAIN)
    if faster_than_best and tried.p50 < min(stats["input"].p50, input_stats.p50):
        trial.latency = stats[trial.name]
        return trial, stats["input"]
    return best, None


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
    """The candidate table (the input first), the chosen candidate, and how the
    measurement decided (the report's ``decision``)."""

    rows: list[dict]
    chosen: Candidate
    decision: dict
    # original and chosen as timed in the same rounds (an ONNX input), else None
    latency: dict[str, LatencyStats] | None = None


def auto_optimize(
    chain: Chain, options: OptimizeOptions, batch: int, progress: Progress
) -> AutoResult:
    """Build, verify and time the candidates; continue ``chain`` with the chosen one."""
    start = time.perf_counter()
    progress(Step.AUTO, 0.0, "building and verifying candidates")
    context = build_candidates(chain, options, batch)
    reference = chain.reference
    timing = Timing(reference, options.threads, batch)
    progress(Step.AUTO, 0.4, f"quick round of {len(context.all)} candidates")
    timing.screen(context.all)
    progress(Step.AUTO, 0.45, "rescuing INT8 that missed the tolerance and ran fast")
    # rescues are what may be given up for time: what the building and the quick round
    # left of the target, less what the measurements need, bounds them
    left = AUTO_TARGET_S - MEASURE_RESERVE_S - (time.perf_counter() - start)
    budget = max(min(screening.RESCUE_BUDGET_S, left), 0.0)
    context.all += screening.rescue(context, options, chain.warnings, budget)
    candidates = context.all
    input_is_onnx = reference.adapter.format == "onnx"
    plain = candidates[0] if candidates else None
    keep = (
        plain if input_is_onnx and plain and plain.passed and plain.runtime == ONNXRUNTIME else None
    )
    finalists = screening.finalists(candidates, plain)
    if not finalists:
        raise OpscopeError(f"no candidate passed verification ({_why_none(candidates)})")
    progress(Step.AUTO, 0.6, f"measuring {len(finalists)} candidates and the input, interleaved")
    best, decision, input_stats = measure_and_choose(finalists, timing, options, keep)
    int8_retry.explain_chosen(best, context)
    final, final_input = best, input_stats
    # a round too noisy to decide the full measurement cannot decide the trial either
    if best.runtime == ONNXRUNTIME and decision["decided"]:
        progress(Step.AUTO, 0.85, f"trying ORT level all on {best.name}")
        final, trial_input = _try_ort_all(best, timing, options, input_stats)
        final_input = trial_input or input_stats
    if final is not best:
        final.worst_nodes = best.worst_nodes
        candidates.append(final)
    final.chosen = True
    mark_pareto(candidates)
    chain.steps[:] = final.chain.steps
    chain.current = final.chain.current
    # notes on the handed-back model first, then the INT8 retries (one per retried model)
    chain.warnings[:] = sorted(
        set(_warnings_of(chain.warnings, final))
        | set(slower_note(reference.adapter.format, final.latency, input_stats))
        | set(_openvino_slower_note(options, reference, final, input_stats))
        | set(openvino_candidates.static_note(final)),
        key=lambda note: (int8_retry.is_retry_note(note), note),
    )
    progress(Step.AUTO, 1.0, f"chose {final.name} ({final.runtime} {final.precision})")
    rows = [c.to_dict(input_stats) for c in candidates]
    source = {"name": "input", "latency_ms_p50": input_stats.p50, "max_abs_diff": 0.0}
    source |= {"top1_agreement": None, "passed": True, "chosen": False, "pareto": False}
    source |= {"runtime": _input_runtime(reference), "precision": "fp32"}
    source |= {"latency_ms_interval": list(input_stats.interval())}
    # an ONNX input ran in the rounds that chose: that one measurement is the report's
    same_run = {"original": final_input, "optimized": final.latency} if input_is_onnx else None
    return AutoResult([source, *rows], final, decision, same_run)


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
