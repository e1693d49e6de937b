"""Auto mode's OpenVINO candidates: the pruned (and simplified) ONNX file compiled by
OpenVINO in each precision this CPU runs natively, and NNCF INT8 (where the CPU runs bf16,
also with its float layers in bf16: OpenVINO's own default on such a CPU).

Each is verified against the original on the reference inputs exactly as onnxruntime's
candidates are (same tolerances, same top-1 rule), and the compiled model that passed is
the one auto mode times. A model OpenVINO cannot read or compile makes these candidates
fail with the reason; the onnxruntime candidates are not affected.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from opscope.backend.optimize.candidate import Candidate, fork
from opscope.backend.optimize.chain import Chain, node_count
from opscope.backend.optimize.chain import Step as ChainStep
from opscope.backend.runtimes import openvino_runtime as ovr
from opscope.backend.verify import compare_outputs
from opscope.errors import OpscopeError

NNCF_INT8 = "openvino-int8-nncf"
STATIC_SUFFIX = "-static"
BF16_REST_SUFFIX = "-bf16"  # an NNCF model compiled with its float layers in bf16


def skipped_note(reason: str) -> str:
    return f"OpenVINO candidates were not tried: {reason}"


def _name(precision: str) -> str:
    return NNCF_INT8 if precision == "int8" else f"openvino-{precision}"


def _verified(
    base: Candidate,
    name: str,
    model: Any,
    precision: str,
    properties: dict[str, str],
    detail: str,
    spent: float = 0.0,
) -> Candidate:
    """``model`` compiled with ``properties``, run on the reference inputs and compared;
    the step's seconds include ``spent`` making ``model`` (NNCF's quantization)."""
    chain = fork(base.chain, name)
    reference = chain.reference
    start = time.perf_counter() - spent
    try:
        compiled = ovr.compile_model(model, properties)
        names = ovr.output_names(compiled, reference.output_names)
        if names != reference.output_names:
            raise OpscopeError(
                f"OpenVINO's model returns {', '.join(names)}, "
                f"expected {', '.join(reference.output_names)}"
            )
        outputs = ovr.infer_runner(compiled, reference.inputs)()
        verify = compare_outputs(
            reference.expected, outputs, reference.rtol, reference.atol, reference.min_top1
        )
    except OpscopeError as exc:  # no chain: its base's verification is not this one's
        return Candidate(name, None, error=str(exc), runtime=ovr.RUNTIME, precision=precision)
    chain.steps.append(
        ChainStep(
            "openvino",
            f"{detail}; {', '.join(f'{k}={v}' for k, v in properties.items())}",
            node_count(chain.current),
            len(model.get_ordered_ops()),
            round(time.perf_counter() - start, 3),
            verify.to_dict(),
        )
    )
    return Candidate(
        name,
        chain,
        runtime=ovr.RUNTIME,
        precision=precision,
        properties=properties,
        model=model,
        compiled=compiled,
    )


def _failed(precisions: Sequence[str], reason: str) -> list[Candidate]:
    return [
        Candidate(_name(p), None, error=reason, runtime=ovr.RUNTIME, precision=p)
        for p in precisions
    ]


def openvino_candidates(
    base: Candidate,
    batches: Sequence[dict[str, np.ndarray]],
    *,
    transformer: bool,
    threads: int | None,
    exclude_nodes: Sequence[str] = (),
) -> list[Candidate]:
    """fp32 (and bf16 / fp16 where the CPU lists them) and NNCF INT8 of ``base``'s file.

    ``batches`` calibrate NNCF (the user's, or generated ones: the caller warns);
    ``exclude_nodes`` (ONNX names) stay in float."""
    precisions = (*ovr.cpu_precisions(), "int8")
    if not base.usable:
        return _failed(precisions, f"needs {base.name}, which failed")
    try:
        model = ovr.read_model(base.chain.current)
    except OpscopeError as exc:
        return _failed(precisions, str(exc))
    candidates = [
        _verified(
            base,
            _name(p),
            model,
            p,
            ovr.compile_properties(p, threads),
            f"OpenVINO CPU, {p} inference precision",
        )
        for p in precisions[:-1]
    ]
    nncf = nncf_candidate(base, model, batches, transformer, threads, exclude_nodes)
    candidates.append(nncf)
    if "bf16" in precisions and nncf.usable:
        candidates.append(bf16_rest_variant(base, nncf, threads))
    return candidates + [static_variant(c) for c in candidates if _has_dynamic(c)]


def bf16_rest_variant(base: Candidate, nncf: Candidate, threads: int | None) -> Candidate:
    """The NNCF model with the layers it left in float computed in bf16 (softmax, layer
    norms, the nodes kept in float): what OpenVINO runs it as by default on a bf16 CPU."""
    detail = nncf.chain.steps[-1].detail.split(";")[0] + ", the float layers in bf16"
    properties = ovr.compile_properties("int8", threads, rest="bf16")
    name = nncf.name + BF16_REST_SUFFIX
    return _verified(base, name, nncf.model, "int8", properties, detail)


def _has_dynamic(candidate: Candidate) -> bool:
    """A passing OpenVINO candidate whose model takes inputs of any size."""
    return candidate.passed and any(
        port.get_partial_shape().is_dynamic for port in candidate.model.inputs
    )


def fixed_shapes(candidate: Candidate) -> dict[str, list[int]]:
    """The reference inputs' shapes, for the inputs the candidate's model takes."""
    inputs = candidate.chain.reference.inputs
    names = ovr.port_names(candidate.model.inputs, inputs.keys())
    return {name: list(inputs[name].shape) for name in names}


def static_variant(candidate: Candidate) -> Candidate:
    """The same OpenVINO model with its dynamic input dimensions fixed to the reference
    inputs' shapes: OpenVINO then plans memory and kernels once (a BERT-like encoder ran
    22% faster here), but the model takes only inputs of exactly those shapes."""
    name, model, shapes = candidate.name + STATIC_SUFFIX, candidate.model.clone(), {}
    try:
        shapes = fixed_shapes(candidate)
        with ovr.openvino_errors("OpenVINO cannot fix the input shapes"):
            model.reshape(shapes)
    except OpscopeError as exc:
        precision = candidate.precision
        return Candidate(name, None, error=str(exc), runtime=ovr.RUNTIME, precision=precision)
    detail = f"{candidate.chain.steps[-1].detail.split(';')[0]}, inputs fixed to {_shown(shapes)}"
    properties = dict(candidate.properties)
    return _verified(_parent(candidate), name, model, candidate.precision, properties, detail)


def _shown(shapes: dict[str, list[int]]) -> str:
    return ", ".join(f"{name} {'x'.join(map(str, dims))}" for name, dims in shapes.items())


def _parent(candidate: Candidate) -> Candidate:
    """A stand-in base for a variant of an OpenVINO candidate: its chain without its own
    OpenVINO step, so the variant's steps read base -> its own OpenVINO step."""
    chain = candidate.chain
    trimmed = Chain(chain.reference, chain.folder, chain.current, chain.steps[:-1], chain.warnings)
    return Candidate(candidate.name, trimmed)


def static_note(candidate: Candidate) -> list[str]:
    """What a user of a fixed-shape result must know."""
    if candidate.runtime != ovr.RUNTIME or not candidate.name.endswith(STATIC_SUFFIX):
        return []
    shown = _shown(fixed_shapes(candidate))
    return [f"the chosen OpenVINO model takes inputs of these shapes only: {shown}"]


def nncf_candidate(
    base: Candidate,
    model: Any,
    batches: Sequence[dict[str, np.ndarray]],
    transformer: bool,
    threads: int | None,
    exclude_nodes: Sequence[str] = (),
    name: str = NNCF_INT8,
) -> Candidate:
    """NNCF post-training INT8 of ``model``, verified; a failure is the candidate's error."""
    from opscope.backend.runtimes.nncf_quantize import nncf_quantize

    if not batches:
        reason = "no usable calibration data (see the static INT8 candidates)"
        return Candidate(name, None, error=reason, runtime=ovr.RUNTIME, precision="int8")
    start = time.perf_counter()
    try:
        quantized = nncf_quantize(
            model, batches, transformer=transformer, exclude_nodes=exclude_nodes
        )
    except OpscopeError as exc:
        return Candidate(name, None, error=str(exc), runtime=ovr.RUNTIME, precision="int8")
    kind = "TRANSFORMER model type, " if transformer else ""
    kept = f", {len(exclude_nodes)} nodes kept in float" if exclude_nodes else ""
    detail = f"NNCF INT8 ({kind}{len(batches)} calibration batches{kept}), OpenVINO CPU"
    spent = time.perf_counter() - start
    properties = ovr.compile_properties("int8", threads)
    return _verified(base, name, quantized, "int8", properties, detail, spent)
