"""The steps a user asked for by name (``--slim``, ``--quantize``, ``--level``), in the
order that keeps every tool working."""

from __future__ import annotations

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.optimize import prune, quantize
from opscope.backend.optimize.calibration import calibration_data
from opscope.backend.optimize.chain import Chain, proto_step
from opscope.errors import OpscopeError
from opscope.progress import Progress, Step


def quantize_steps(
    chain: Chain, options: OptimizeOptions, mode: str, batch: int, progress: Progress
) -> None:
    """Pre-process, then quantize in ``mode`` (dynamic, static or fp16)."""
    if mode not in quantize.QUANTIZE_MODES:
        raise OpscopeError(f"unknown quantization {mode!r}; use one of {quantize.QUANTIZE_MODES}")
    if mode == "fp16":
        progress(Step.QUANTIZE, 0.0, "FP16 weights and compute")
        chain.apply(
            "fp16", "FP16 weights and compute, IO types kept", proto_step(quantize.convert_fp16)
        )
        return
    batches = calibration_data(chain, options, batch) if mode == "static" else []
    progress(Step.QUANTIZE, 0.0, "quant_pre_process")
    chain.apply("pre-process", "quant_pre_process (shape inference, fusions)", quantize.pre_process)
    qopts = quantize.QuantOptions.of(options, mode)
    progress(Step.QUANTIZE, 0.4, f"INT8 {mode}")
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
    progress(Step.QUANTIZE, 1.0, f"INT8 {mode} verified")


def manual_steps(chain: Chain, options: OptimizeOptions, batch: int, progress: Progress) -> None:
    """onnxslim and the quantizer run before ORT's offline optimizer, whose extended and
    higher levels write contrib ops (fused, NCHWc) those tools cannot read."""
    if options.slim:
        progress(Step.PRUNE, 0.5, "onnxslim")
        chain.apply("onnxslim", "constant folding, fusions, dead nodes", proto_step(prune.slim))
    if options.quantize:
        quantize_steps(chain, options, options.quantize, batch, progress)
    if options.level:
        level = options.level
        progress(Step.PRUNE, 0.8, f"ORT level {level}")
        chain.apply(
            f"ort-{level}",
            f"onnxruntime offline optimization at level {level}",
            lambda s, t: prune.ort_optimize(s, t, level),
        )
    progress(Step.PRUNE, 1.0, "done")
