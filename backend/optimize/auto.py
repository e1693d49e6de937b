"""Auto mode: build a set of candidate variants, verify and time each here, keep the best.

Nothing is assumed about what helps: on a 2-core CPU dynamic INT8 made a small CNN 4x
slower while static QDQ INT8 made it 3.6x faster, so every candidate is measured, in one
interleaved run together with the input model. The fastest candidate that passes
verification wins; one slower than the input never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.models.onnx_model import load_onnx
from opscope.backend.optimize import prune, quantize
from opscope.backend.optimize.bench import (
    LatencyStats,
    RunOnce,
    measure_budgeted,
    onnx_session,
    session_runner,
)
from opscope.backend.optimize.calibration import calibration_data
from opscope.backend.optimize.chain import Chain, Produce, proto_step
from opscope.backend.optimize.reference import Reference
from opscope.errors import OpscopeError
from opscope.progress import Progress, Step

MEASURE_BUDGET_S = 30.0
# MinMax keeps outliers (safe for ReLU CNNs); Entropy and Percentile clip them, which
# often keeps attention models' top-1 decisions where MinMax's coarse steps do not.
STATIC_METHODS = ("minmax", "entropy", "percentile")
# a variant must beat what it would replace by this much in the same run: closer than
# that is noise on this shared machine, and a copy of the input must not be sold as faster
MIN_GAIN = 0.03


@dataclass
class Candidate:
    """One variant: the chain that made it, whether it passed, how fast it ran."""

    name: str
    chain: Chain | None
    error: str = ""
    latency: LatencyStats | None = None
    chosen: bool = False
    pareto: bool = False

    @property
    def verify(self) -> dict[str, Any] | None:
        return self.chain.steps[-1].verify if self.chain and self.chain.steps else None

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.verify and self.verify["passed"])

    def to_dict(self) -> dict[str, Any]:
        verify = self.verify or {}
        path = self.chain.current if self.chain else None
        return {
            "name": self.name,
            "latency_ms_p50": self.latency.p50 if self.latency else None,
            "max_abs_diff": verify.get("max_abs_diff"),
            "top1_agreement": verify.get("top1_agreement"),
            "passed": self.passed,
            "chosen": self.chosen,
            "pareto": self.pareto,
            "size_bytes": path.stat().st_size if path and path.is_file() else None,
            "error": self.error,
        }


def fork(chain: Chain, name: str) -> Chain:
    """A chain that continues from ``chain``'s current file in its own sub-folder."""
    folder = chain.folder / name
    folder.mkdir(exist_ok=True)
    return Chain(chain.reference, folder, chain.current, list(chain.steps), chain.warnings)


def extend(base: Candidate, name: str, steps: list[tuple[str, str, Produce]]) -> Candidate:
    """A candidate made by applying ``steps`` after ``base``; a failure is recorded."""
    if base.chain is None or base.error:
        return Candidate(name, None, error=f"needs {base.name}, which failed")
    chain = fork(base.chain, name)
    try:
        for step_name, detail, produce in steps:
            chain.apply(step_name, detail, produce)
    except OpscopeError as exc:
        return Candidate(name, chain, error=str(exc))
    return Candidate(name, chain)


def is_transformer(path: Path) -> bool:
    """Attention-like graphs get onnxruntime's transformer fusions as a candidate."""
    ops = {node.op_type for node in load_onnx(path).graph.node}
    return {"Softmax", "MatMul"} <= ops and bool(ops & {"LayerNormalization", "ReduceMean"})


def fuse_transformer(source: Path, target: Path) -> None:
    """onnxruntime.transformers' BERT fusions (attention, skip layer norm, GELU)."""
    from onnxruntime.transformers import optimizer

    from opscope.backend.models.base import user_errors

    with user_errors("transformer fusion failed"):
        fused = optimizer.optimize_model(str(source), model_type="bert", opt_level=0)
        fused.save_model_to_file(str(target))


def head_nodes(path: Path) -> list[str]:
    """The output layer: the nodes that write the graph's outputs and their producers.

    Quantizing the layer that writes the logits moves them most directly; keeping it in
    float costs little time, and on a BERT-like encoder it kept top-1 agreement above 99%
    where quantizing it did not (98.5%).
    """
    graph = load_onnx(path).graph
    producer = {out: node for node in graph.node for out in node.output}
    heads = [producer[o.name] for o in graph.output if o.name in producer]
    names = {n.name for n in heads} | {
        producer[i].name for n in heads for i in n.input if i in producer
    }
    return sorted(n for n in names if n)


def _dynamic_step(options: OptimizeOptions, *, keep_head: bool = False) -> tuple[str, str, Produce]:
    """Dynamic INT8; with ``keep_head``, per-channel weights and the output layer in float."""
    if not keep_head:
        qopts = quantize.QuantOptions.of(options, "dynamic")
        return (
            "int8-dynamic",
            "ORT dynamic INT8",
            lambda s, t: quantize.quantize_dynamic_int8(s, t, qopts),
        )

    def produce(source: Path, target: Path) -> None:
        excluded = (*options.exclude_nodes, *head_nodes(source))
        qopts = quantize.QuantOptions.of(
            options, "dynamic", per_channel=True, exclude_nodes=excluded
        )
        quantize.quantize_dynamic_int8(source, target, qopts)

    return "int8-dynamic", "ORT dynamic INT8 per-channel, output layer in float", produce


def _static_step(options: OptimizeOptions, method: str, batches: list) -> tuple[str, str, Produce]:
    qopts = quantize.QuantOptions.of(options, "static", per_channel=True, method=method)
    detail = f"ORT static INT8 QDQ per-channel, {method} calibration on {len(batches)} batches"
    return (
        "int8-static",
        detail,
        lambda s, t: quantize.quantize_static_qdq(s, t, batches, qopts),
    )


def build_candidates(chain: Chain, options: OptimizeOptions, batch: int) -> list[Candidate]:
    """fp32, onnxslim, fp16, INT8 dynamic (plain; per-channel with the output layer in
    float), INT8 static (MinMax, Entropy, Percentile); transformer fusions (fp32 and both
    dynamic INT8 kinds) for attention-like graphs."""
    base = Candidate("fp32", fork(chain, "fp32"))
    slim = extend(base, "fp32-slim", [("onnxslim", "onnxslim", proto_step(prune.slim))])
    fp16 = ("fp16", "FP16, IO types kept", proto_step(quantize.convert_fp16))
    candidates = [base, slim, extend(slim, "fp16", [fp16])]
    pre = extend(slim, "pre", [("pre-process", "quant_pre_process", quantize.pre_process)])
    candidates.append(extend(pre, "int8-dynamic", [_dynamic_step(options)]))
    head = [_dynamic_step(options, keep_head=True)]
    candidates.append(extend(pre, "int8-dynamic-pc-head-fp32", head))
    if pre.chain is not None and not pre.error:
        batches = calibration_data(pre.chain, options, batch)
        for method in STATIC_METHODS:
            step = _static_step(options, method, batches)
            candidates.append(extend(pre, f"int8-static-{method}", [step]))
    if slim.passed and is_transformer(slim.chain.current):
        fused = extend(slim, "fp32-fused", [("fuse", "transformer fusions", fuse_transformer)])
        candidates += [
            fused,
            extend(fused, "int8-dynamic-fused", [_dynamic_step(options)]),
            extend(fused, "int8-dynamic-fused-pc-head-fp32", head),
        ]
    return candidates


def mark_pareto(candidates: list[Candidate]) -> None:
    """Mark the variants no other beats on both latency and error."""
    timed = [c for c in candidates if c.latency and c.verify]
    for c in timed:
        c.pareto = not any(
            o is not c
            and o.latency.p50 <= c.latency.p50
            and o.verify["max_abs_diff"] <= c.verify["max_abs_diff"]
            and (
                o.latency.p50 < c.latency.p50 or o.verify["max_abs_diff"] < c.verify["max_abs_diff"]
            )
            for o in timed
        )


def choose(candidates: list[Candidate], input_p50: float, input_is_onnx: bool) -> Candidate:
    """The fastest passing candidate; for an ONNX input, the plain (pruned) input unless the
    fastest beats the input by at least ``MIN_GAIN``."""
    passing = [c for c in candidates if c.passed and c.latency]
    if not passing:
        raise OpscopeError("no candidate passed verification; try a larger --tolerance")
    best = min(passing, key=lambda c: c.latency.p50)
    if best.latency.p50 > input_p50 * (1 - MIN_GAIN) and input_is_onnx and candidates[0].passed:
        best = candidates[0]
    return best


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
    """The random-calibration warning concerns only a statically quantized choice."""
    calibrated = any(step.name == "int8-static" for step in chosen.chain.steps)
    return [w for w in warnings if calibrated or w != quantize.GENERATED_CALIBRATION_WARNING]


def auto_optimize(
    chain: Chain, options: OptimizeOptions, batch: int, progress: Progress
) -> list[dict]:
    """Build, verify and time the candidates; continue ``chain`` with the chosen one."""
    progress(Step.AUTO, 0.0, "building and verifying candidates")
    candidates = build_candidates(chain, options, batch)
    reference = chain.reference
    progress(Step.AUTO, 0.6, f"measuring {len(candidates)} candidates and the input, interleaved")
    runners: dict[str, RunOnce] = {"input": reference.original_runner()}
    for c in candidates:
        if c.chain is not None and not c.error:
            runners[c.name] = session_runner(
                onnx_session(c.chain.current, options.threads), reference.inputs
            )
    stats = measure_budgeted(runners, options.runs, options.warmup, batch, MEASURE_BUDGET_S)
    for c in candidates:
        c.latency = stats.get(c.name)
    best = choose(candidates, stats["input"].p50, reference.adapter.format == "onnx")
    progress(Step.AUTO, 0.85, f"trying ORT level all on {best.name}")
    final = _try_ort_all(best, reference, options, batch, stats)
    if final is not best:
        candidates.append(final)
    final.chosen = True
    mark_pareto(candidates)
    chain.steps[:] = final.chain.steps
    chain.current = final.chain.current
    chain.warnings[:] = sorted(
        set(_warnings_of(chain.warnings, final))
        | set(slower_note(reference.adapter.format, final.latency, stats["input"]))
    )
    progress(Step.AUTO, 1.0, f"chose {final.name}")
    rows = [c.to_dict() for c in candidates]
    source = {"name": "input", "latency_ms_p50": stats["input"].p50, "max_abs_diff": 0.0}
    source |= {"top1_agreement": None, "passed": True, "chosen": False, "pareto": False}
    return [source, *rows]
