"""onnxruntime's candidates in auto mode: fp32, onnxslim, fp16, INT8 dynamic and static, and
transformer fusions, each a chain of verified steps from the pruned input.

Which of these helps depends on the model and the CPU, so they are only built and verified
here; :mod:`.auto` times them together with every other runtime's candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.models.onnx_model import load_onnx
from opscope.backend.optimize import prune, quantize
from opscope.backend.optimize.calibration import calibration_data
from opscope.backend.optimize.candidate import Candidate, extend, fork
from opscope.backend.optimize.chain import Chain, Produce, proto_step
from opscope.errors import OpscopeError

# MinMax keeps outliers (safe for ReLU CNNs); Entropy and Percentile clip them, which
# often keeps attention models' top-1 decisions where MinMax's coarse steps do not.
STATIC_METHODS = ("minmax", "entropy", "percentile")
FUSED = "fp32-fused"


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


def dynamic_step(options: OptimizeOptions, *, keep_head: bool = False) -> tuple[str, str, Produce]:
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


def static_step(options: OptimizeOptions, method: str, batches: list) -> tuple[str, str, Produce]:
    qopts = quantize.QuantOptions.of(options, "static", per_channel=True, method=method)
    detail = f"ORT static INT8 QDQ per-channel, {method} calibration on {len(batches)} batches"
    return (
        "int8-static",
        detail,
        lambda s, t: quantize.quantize_static_qdq(s, t, batches, qopts),
    )


@dataclass
class Candidates:
    """What auto mode built: every candidate that competes, the fp32 model OpenVINO
    compiles (``source``: simplified where onnxslim passed), the pre-processed one INT8 is
    made from, and the calibration batches (what the INT8 retries need)."""

    all: list[Candidate]
    source: Candidate
    pre: Candidate
    batches: list[dict]


def onnxruntime_candidates(chain: Chain, options: OptimizeOptions, batch: int) -> Candidates:
    """fp32, onnxslim, fp16, INT8 dynamic (plain; per-channel with the output layer in
    float), INT8 static (MinMax; the other calibrations come from :func:`other_calibrations`
    when it misses the tolerance); transformer fusions (fp32 and both dynamic INT8 kinds)
    for attention-like graphs. Under ``--runtime openvino`` only what OpenVINO's candidates
    start from (fp32, simplified, pre-processed) is built."""
    base = Candidate("fp32", fork(chain, "fp32"))
    slim = extend(base, "fp32-slim", [("onnxslim", "onnxslim", proto_step(prune.slim))])
    pre = extend(slim, "pre", [("pre-process", "quant_pre_process", quantize.pre_process)])
    try:
        batches, calibration_error = calibration_data(chain, options, batch), ""
    except OpscopeError as exc:  # the user's file does not fit: only static INT8 fails
        batches, calibration_error = [], f"calibration data: {exc}"
    source = slim if slim.passed else base
    if options.runtime == "openvino":
        return Candidates([], source, pre, batches)
    fp16 = ("fp16", "FP16, IO types kept", proto_step(quantize.convert_fp16))
    candidates = [base, slim, extend(slim, "fp16", [fp16])]
    candidates.append(extend(pre, "int8-dynamic", [dynamic_step(options)]))
    head = [dynamic_step(options, keep_head=True)]
    candidates.append(extend(pre, "int8-dynamic-pc-head-fp32", head))
    if pre.usable:
        name = f"int8-static-{STATIC_METHODS[0]}"
        if calibration_error:
            candidates.append(Candidate(name, None, error=calibration_error))
        else:
            candidates.append(extend(pre, name, [static_step(options, STATIC_METHODS[0], batches)]))
    if slim.passed and is_transformer(slim.chain.current):
        fused = extend(slim, FUSED, [("fuse", "transformer fusions", fuse_transformer)])
        candidates += [
            fused,
            extend(fused, "int8-dynamic-fused", [dynamic_step(options)]),
            extend(fused, "int8-dynamic-fused-pc-head-fp32", head),
        ]
    return Candidates(candidates, source, pre, batches)


def other_calibrations(context: Candidates, options: OptimizeOptions) -> list[Candidate]:
    """Static INT8 with the calibrations after MinMax (Entropy, Percentile): the same QDQ
    graph with other ranges, so the same speed, built only to pass where MinMax missed
    the tolerance (auto mode asks for them only then, and only when MinMax ran fast enough
    to win)."""
    return [
        extend(context.pre, f"int8-static-{m}", [static_step(options, m, context.batches)])
        for m in STATIC_METHODS[1:]
    ]
