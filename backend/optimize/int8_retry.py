"""INT8 that explains itself: per-node errors of auto mode's INT8 candidates, and one retry
with the worst nodes kept in float when a candidate misses the tolerance.

onnxruntime's quantizer tells nobody which layers lost the accuracy; people who find them
with its debugging tools then do not know what to do with them. Here the answer is built
in: the report lists the worst nodes of every INT8 candidate that missed the tolerance and
of an INT8 model that was chosen, and a failing INT8 candidate is rebuilt once without them
(the report says so, and whether that passed).
NNCF models have no per-node outputs to compare, so an NNCF retry excludes the worst nodes
of onnxruntime's static INT8 of the same model.
"""

from __future__ import annotations

import msgspec

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.optimize import openvino_candidates, quant_error
from opscope.backend.optimize.candidate import ONNXRUNTIME, Candidate, extend
from opscope.backend.optimize.onnxruntime_candidates import (
    STATIC_METHODS,
    Candidates,
    dynamic_step,
    is_transformer,
    static_step,
)
from opscope.errors import OpscopeError

ERROR_BATCHES = 2  # calibration batches the per-node comparison runs on
RETRY_SUFFIX = "-retry"


def _is_static(candidate: Candidate) -> bool:
    return candidate.usable and any(s.name == "int8-static" for s in candidate.chain.steps)


def explain(candidate: Candidate, context: Candidates) -> list[str]:
    """Record ``candidate``'s worst nodes (float = the pre-processed model); their names."""
    try:
        errors = quant_error.node_errors(
            context.pre.chain.current,
            candidate.chain.current,
            context.batches[:ERROR_BATCHES],
            candidate.chain.folder,
        )
    except OpscopeError:
        return []  # the analysis is an aid: a graph it cannot augment keeps its candidate
    candidate.worst_nodes = [e.to_dict() for e in errors[: quant_error.WORST_NODES]]
    return quant_error.worst_nodes(errors)


def _excluding(options: OptimizeOptions, nodes: list[str]) -> OptimizeOptions:
    return msgspec.structs.replace(options, exclude_nodes=(*options.exclude_nodes, *nodes))


def _ort_retry(
    candidate: Candidate, context: Candidates, options: OptimizeOptions, nodes: list[str]
) -> Candidate | None:
    """The same onnxruntime INT8 step from the pre-processed model, ``nodes`` in float."""
    wider = _excluding(options, nodes)
    name = candidate.name + RETRY_SUFFIX
    steps = {
        "int8-dynamic": lambda: dynamic_step(wider),
        "int8-dynamic-pc-head-fp32": lambda: dynamic_step(wider, keep_head=True),
        **{
            f"int8-static-{m}": (lambda m=m: static_step(wider, m, context.batches))
            for m in STATIC_METHODS
        },
    }
    if candidate.name not in steps:
        return None
    return extend(context.pre, name, [steps[candidate.name]()])


def _nncf_retry(
    candidate: Candidate, context: Candidates, options: OptimizeOptions, nodes: list[str]
) -> Candidate:
    from opscope.backend.runtimes import openvino_runtime as ovr

    source = context.source
    return openvino_candidates.nncf_candidate(
        source,
        ovr.read_model(source.chain.current),
        context.batches,
        is_transformer(source.chain.current),
        options.threads,
        (*options.exclude_nodes, *nodes),
        name=candidate.name + RETRY_SUFFIX,
    )


def _worst_of_static_int8(context: Candidates, options: OptimizeOptions) -> list[str]:
    """The worst nodes of onnxruntime's static INT8 of the model: of a candidate already
    explained, else of the first static one, else of a MinMax one built for the purpose
    (under ``--runtime openvino`` there is none)."""
    static = [c for c in context.all if _is_static(c)]
    for c in static:
        if c.worst_nodes:
            return [n for row in c.worst_nodes if row["contribution"] > 0 for n in row["nodes"]]
    if static:
        return explain(static[0], context)
    step = static_step(options, "minmax", context.batches)
    probe = extend(context.pre, "int8-static-probe", [step])
    return explain(probe, context) if probe.usable else []


def explain_chosen(chosen: Candidate, context: Candidates) -> None:
    """The report lists the chosen INT8 model's worst nodes (onnxruntime's; an NNCF model
    has no per-node outputs to compare)."""
    if chosen.runtime == ONNXRUNTIME and chosen.precision == "int8" and not chosen.worst_nodes:
        explain(chosen, context)


def _note(candidate: Candidate, retry: Candidate, nodes: list[str]) -> str:
    verify = candidate.verify or {}
    missed = f"max abs diff {verify['max_abs_diff']:.3g}" if verify else candidate.error or "failed"
    shown = ", ".join(nodes[:5]) + (f" and {len(nodes) - 5} more" if len(nodes) > 5 else "")
    outcome = "passed" if retry.passed else f"still failed ({_miss(retry)})"
    return (
        f"{candidate.name} missed the tolerance ({missed}); retried once as {retry.name} "
        f"with its worst nodes in float ({shown}): {outcome}"
    )


def _miss(candidate: Candidate) -> str:
    verify = candidate.verify
    return f"max abs diff {verify['max_abs_diff']:.3g}" if verify else candidate.error


def retry_int8(context: Candidates, options: OptimizeOptions, notes: list[str]) -> list[Candidate]:
    """Retry each INT8 candidate that missed the tolerance once, with its worst nodes in
    float (its own, or for NNCF onnxruntime's static INT8's). Returns the retries;
    ``notes`` get one line per retry."""
    retries = []
    for candidate in list(context.all):
        if candidate.precision != "int8" or candidate.passed or not candidate.usable:
            continue
        if candidate.name.endswith(openvino_candidates.STATIC_SUFFIX):
            continue  # a fixed-shape copy of a model that passed
        if candidate.runtime == ONNXRUNTIME:
            worst = explain(candidate, context)
            retry = _ort_retry(candidate, context, options, worst) if worst else None
        else:
            worst = _worst_of_static_int8(context, options)
            retry = _nncf_retry(candidate, context, options, worst) if worst else None
        if retry is not None:
            retries.append(retry)
            notes.append(_note(candidate, retry, worst))
    return retries
