"""A variant auto mode builds, verifies and times: the chain that made it, and where it runs.

An onnxruntime candidate is the chain's current ONNX file. An OpenVINO candidate is the
ONNX file its chain ends with, compiled by OpenVINO (possibly after NNCF quantization)
with the properties it records; its last step is OpenVINO's verification, so both kinds
are verified against the original the same way and timed in the same interleaved run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opscope.backend.models.onnx_model import load_onnx
from opscope.backend.optimize.bench import (
    LatencyStats,
    RunOnce,
    onnx_session,
    rounds_faster,
    session_runner,
)
from opscope.backend.optimize.chain import Chain, Produce
from opscope.errors import OpscopeError

ONNXRUNTIME = "onnxruntime"


@dataclass
class Candidate:
    """One variant: the chain that made it, whether it passed, how fast it ran, where.

    ``model`` and ``compiled`` hold the OpenVINO model and its compiled form (the one that
    was verified is the one timed); ``properties`` are its compile properties. ``screen``
    is its time in auto mode's quick round, ``screened_out`` why it was then left out of
    the full measurement (or not built at all).
    """

    name: str
    chain: Chain | None
    error: str = ""
    latency: LatencyStats | None = None
    chosen: bool = False
    pareto: bool = False
    runtime: str = ONNXRUNTIME
    precision: str = "fp32"
    properties: dict[str, str] = field(default_factory=dict)
    model: Any = None
    compiled: Any = None
    worst_nodes: list[dict[str, Any]] = field(default_factory=list)
    screen: LatencyStats | None = None
    screened_out: str = ""

    @property
    def verify(self) -> dict[str, Any] | None:
        return self.chain.steps[-1].verify if self.chain and self.chain.steps else None

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.verify and self.verify["passed"])

    @property
    def usable(self) -> bool:
        """Built without error, so it can be timed (verification decides if it may win)."""
        return self.chain is not None and not self.error

    def runner(self, inputs: dict, threads: int | None) -> RunOnce:
        """One call of this candidate on ``inputs`` in its runtime."""
        if self.runtime == ONNXRUNTIME:
            return session_runner(onnx_session(self.chain.current, threads), inputs)
        from opscope.backend.runtimes import openvino_runtime as ovr

        return ovr.infer_runner(self.compiled, inputs)

    def size_bytes(self) -> int | None:
        if self.runtime != ONNXRUNTIME:
            return self.ir_size if self.model is not None else None
        path = self.chain.current if self.chain else None
        return path.stat().st_size if path and path.is_file() else None

    @property
    def ir_size(self) -> int:
        """Bytes of the model's constants (what its IR's .bin holds)."""
        return sum(
            op.get_byte_size() for op in self.model.get_ops() if op.get_type_name() == "Constant"
        )

    def to_dict(self, input_stats: LatencyStats | None = None) -> dict[str, Any]:
        """The report's row; ``input_stats``: the input's, to say in how many of the rounds
        they shared this one ran faster."""
        verify = self.verify or {}
        paired = rounds_faster(self.latency, input_stats) if self.latency and input_stats else None
        return {
            "name": self.name,
            "latency_ms_p50": self.latency.p50 if self.latency else None,
            "max_abs_diff": verify.get("max_abs_diff"),
            "top1_agreement": verify.get("top1_agreement"),
            "passed": self.passed,
            "chosen": self.chosen,
            "pareto": self.pareto,
            "size_bytes": self.size_bytes(),
            "error": self.error,
            "runtime": self.runtime,
            "precision": self.precision,
            "worst_nodes": self.worst_nodes,
            "latency_ms_interval": list(self.latency.interval()) if self.latency else None,
            "screen_ms_p50": self.screen.p50 if self.screen else None,
            "screened_out": self.screened_out,
            "rounds_faster_than_input": list(paired) if paired else None,
        }


def fork(chain: Chain, name: str) -> Chain:
    """A chain that continues from ``chain``'s current file in its own sub-folder."""
    folder = chain.folder / name
    folder.mkdir(exist_ok=True)
    return Chain(chain.reference, folder, chain.current, list(chain.steps), chain.warnings)


def extend(base: Candidate, name: str, steps: list[tuple[str, str, Produce]]) -> Candidate:
    """A candidate made by applying ``steps`` after ``base``; a failure is recorded."""
    planned = planned_precision([step[0] for step in steps], base.precision)
    if not base.usable:
        return Candidate(name, None, error=f"needs {base.name}, which failed", precision=planned)
    chain = fork(base.chain, name)
    try:
        for step_name, detail, produce in steps:
            chain.apply(step_name, detail, produce)
    except OpscopeError as exc:
        return Candidate(name, chain, error=str(exc), precision=planned)
    return Candidate(name, chain, precision=precision_of(chain))


# onnxruntime's INT8 operators: the standard ones and its contrib kernels (quantized LSTM,
# attention, Gemm and the element-wise QLinear* family)
INT8_OPS = frozenset(
    {
        "QuantizeLinear",
        "DynamicQuantizeLinear",
        "MatMulInteger",
        "ConvInteger",
        "DynamicQuantizeLSTM",
        "DynamicQuantizeMatMul",
        "MatMulIntegerToFloat",
        "QAttention",
        "QGemm",
        "QEmbedLayerNormalization",
    }
)


def planned_precision(step_names: list[str], base: str) -> str:
    """What ``base``'s model after these steps is meant to compute in (the row of a
    candidate that failed on the way says what it tried)."""
    if any(name.startswith("int8") for name in step_names):
        return "int8"
    return "fp16" if "fp16" in step_names else base


def precision_of(chain: Chain) -> str:
    """What an onnxruntime chain's model computes in, from its operators: a quantization
    step that kept every node in float (a retry can) made no INT8 model."""
    ops = {node.op_type for node in load_onnx(chain.current).graph.node}
    if ops & INT8_OPS or any(op.startswith("QLinear") for op in ops):
        return "int8"
    return "fp16" if any(step.name == "fp16" for step in chain.steps) else "fp32"


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


def source_path(candidate: Candidate) -> Path:
    """The ONNX file a candidate runs, or (OpenVINO) the one it was compiled from."""
    return candidate.chain.current
