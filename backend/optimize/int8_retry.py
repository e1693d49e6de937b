"""INT8 that explains itself: per-node errors of auto mode's INT8 candidates, and one retry
with the worst nodes kept in float when a candidate misses the tolerance.

onnxruntime's quantizer tells nobody which layers lost the accuracy; people who find them
with its debugging tools then do not know what to do with them. Here the answer is built
in: the report lists the worst nodes of every INT8 candidate that was retried and of an
INT8 model that was chosen, and a failing INT8 candidate is rebuilt once without them (the
report says so, and whether that passed). Each kind is judged by its own errors: an
onnxruntime INT8 model (from the pre-processed or the transformer-fused fp32 model) by its
QDQ / quantized tensors against that float model's, an NNCF model by its OpenVINO layers'
outputs against the float OpenVINO model's (another quantizer's worst nodes are not its
own: NNCF quantizes other places with other ranges).

A retry keeps more in float, so it is never faster than the candidate it retries: auto
mode asks for retries only of candidates fast enough to win (``promising``).
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.optimize import openvino_candidates, quant_error
from opscope.backend.optimize.candidate import ONNXRUNTIME, Candidate, extend
from opscope.backend.optimize.chain import Produce
from opscope.backend.optimize.onnxruntime_candidates import (
    FUSED,
    STATIC_METHODS,
    Candidates,
    dynamic_step,
    is_transformer,
    static_step,
)
from opscope.backend.verify import shortfall
from opscope.errors import OpscopeError

ERROR_BATCHES = 2  # calibration batches the per-node comparison runs on
RETRY_SUFFIX = "-retry"
RETRIED = "with its own worst nodes in float"  # the words of every retry's note


def _onnx_node_names(candidate: Candidate) -> list[str]:
    from opscope.backend.models.onnx_model import load_onnx

    return [n.name for n in load_onnx(candidate.chain.current).graph.node]


def _errors(candidate: Candidate, context: Candidates) -> list[quant_error.NodeError]:
    """The per-node errors of an INT8 candidate against the float model it was made from."""
    batches = context.batches[:ERROR_BATCHES]
    if candidate.runtime == ONNXRUNTIME:
        float_model = _ort_base(candidate, context).chain.current
        folder = candidate.chain.folder
        return quant_error.node_errors(float_model, candidate.chain.current, batches, folder)
    from opscope.backend.runtimes import openvino_runtime as ovr

    source = context.source
    float_model = ovr.read_model(source.chain.current)
    names = _onnx_node_names(source)
    return quant_error.openvino_node_errors(float_model, candidate.model, batches, names)


def explain(candidate: Candidate, context: Candidates) -> list[str]:
    """Record ``candidate``'s worst nodes; their (ONNX) names."""
    try:
        errors = _errors(candidate, context)
    except OpscopeError:
        return []  # the analysis is an aid: a graph it cannot augment keeps its candidate
    candidate.worst_nodes = [e.to_dict() for e in errors[: quant_error.WORST_NODES]]
    return quant_error.worst_nodes(errors)


def _excluding(options: OptimizeOptions, nodes: list[str]) -> OptimizeOptions:
    return msgspec.structs.replace(options, exclude_nodes=(*options.exclude_nodes, *nodes))


def _ort_base(candidate: Candidate, context: Candidates) -> Candidate:
    """The fp32 candidate an onnxruntime INT8 one was quantized from."""
    if candidate.name.endswith("-fused") or "-fused-" in candidate.name:
        return next(c for c in context.all if c.name == FUSED)
    return context.pre


def _ort_steps(
    options: OptimizeOptions, batches: list
) -> dict[str, Callable[[], tuple[str, str, Produce]]]:
    """How each onnxruntime INT8 candidate's step is made, with ``options``' exclusions."""
    return {
        "int8-dynamic": lambda: dynamic_step(options),
        "int8-dynamic-pc-head-fp32": lambda: dynamic_step(options, keep_head=True),
        "int8-dynamic-fused": lambda: dynamic_step(options),
        "int8-dynamic-fused-pc-head-fp32": lambda: dynamic_step(options, keep_head=True),
        **{
            f"int8-static-{m}": (lambda m=m: static_step(options, m, batches))
            for m in STATIC_METHODS
        },
    }


def _ort_retry(
    candidate: Candidate, context: Candidates, options: OptimizeOptions, nodes: list[str]
) -> Candidate | None:
    """The same onnxruntime INT8 step from the same float model, ``nodes`` in float."""
    steps = _ort_steps(_excluding(options, nodes), context.batches)
    if candidate.name not in steps:
        return None
    base = _ort_base(candidate, context)
    return extend(base, candidate.name + RETRY_SUFFIX, [steps[candidate.name]()])


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


def explain_chosen(chosen: Candidate, context: Candidates) -> None:
    """The report lists the chosen INT8 model's worst nodes (onnxruntime's or NNCF's)."""
    if chosen.precision == "int8" and not chosen.worst_nodes and chosen.usable:
        explain(chosen, context)


def _note(candidate: Candidate, retry: Candidate, nodes: list[str]) -> str:
    missed = _miss(candidate)
    shown = ", ".join(nodes[:5]) + (f" and {len(nodes) - 5} more" if len(nodes) > 5 else "")
    outcome = "passed" if retry.passed else f"still failed ({_miss(retry)})"
    return (
        f"{candidate.name} failed verification ({missed}); retried once as {retry.name} "
        f"{RETRIED} ({shown}): {outcome}"
    )


def is_retry_note(note: str) -> bool:
    """A note :func:`retry` wrote."""
    return RETRIED in note


def _miss(candidate: Candidate) -> str:
    """Which check ``candidate`` failed: the tolerance, the top-1 agreement, or its error."""
    verify = candidate.verify
    if candidate.error or not verify:
        return candidate.error or "failed"
    return shortfall(
        verify["max_abs_diff"], verify["top1_agreement"], verify["atol"], verify["min_top1"]
    )


def needs_retry(candidate: Candidate) -> bool:
    """An INT8 candidate that was built and verified but missed the tolerance."""
    return (
        candidate.precision == "int8"
        and candidate.usable
        and not candidate.passed
        and not candidate.name.endswith(RETRY_SUFFIX)
        # a fixed-shape copy of a model that passed
        and not candidate.name.endswith(openvino_candidates.STATIC_SUFFIX)
        # the NNCF model compiled another way: its retry is the NNCF candidate's
        and not candidate.name.endswith(openvino_candidates.BF16_REST_SUFFIX)
    )


def retry(
    candidate: Candidate, context: Candidates, options: OptimizeOptions
) -> tuple[Candidate | None, str]:
    """``candidate`` (an INT8 one that missed the tolerance) rebuilt once with its own worst
    nodes in float, and the note that says so; (None, "") when its errors name no node to
    keep in float or its kind has no retry."""
    worst = explain(candidate, context)
    if not worst:
        return None, ""
    if candidate.runtime == ONNXRUNTIME:
        rebuilt = _ort_retry(candidate, context, options, worst)
    else:
        rebuilt = _nncf_retry(candidate, context, options, worst)
    return rebuilt, _note(candidate, rebuilt, worst) if rebuilt is not None else ""
