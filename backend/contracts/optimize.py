"""Contracts of the optimization jobs: optimize, bench, profile, export, save a report."""

from __future__ import annotations

from typing import Any

from opscope.backend.contracts.base import Contract, to_builtins
from opscope.backend.contracts.models import InputUsed, ModelSummary, Verification

DEFAULT_MIN_TOP1 = 0.99


class OptimizeOptions(Contract, frozen=True):
    """What ``opscope optimize`` and the ``optimize_model`` job take besides the paths.

    ``opset`` and ``inputs`` (``NAME:SHAPE:DTYPE`` strings, as ``opscope convert --input``)
    go to the conversion: TorchScript and MXNet files record no input shapes. ``min_top1``
    is the share of top-1 decisions a classifier-like output must keep to pass, besides the
    tolerance. ``tf_native`` (SavedModels only) prunes in TensorFlow instead of converting:
    the output is a SavedModel folder, or a frozen GraphDef when it ends in ``.pb``.
    """

    keep_outputs: tuple[str, ...] = ()
    level: str | None = None
    slim: bool = False
    quantize: str | None = None
    calib: str | None = None
    method: str = "minmax"
    per_channel: bool = False
    exclude_nodes: tuple[str, ...] = ()
    exclude_op_types: tuple[str, ...] = ()
    auto: bool = False
    tolerance: float | None = None
    min_top1: float = DEFAULT_MIN_TOP1
    opset: int | None = None
    inputs: tuple[str, ...] = ()
    tf_native: bool = False
    inputs_npz: str | None = None
    runs: int = 30
    warmup: int = 5
    threads: int | None = None
    batch: int | None = None
    report: str | None = None
    runtime: str = "any"  # where auto mode may deploy: onnxruntime, openvino or any


class OptimizeParams(Contract, frozen=True):
    path: str
    output: str
    options: OptimizeOptions = OptimizeOptions()


class StepRecord(Contract, frozen=True):
    """One step taken: what it did, node counts, and its verification."""

    name: str
    detail: str
    nodes_before: int
    nodes_after: int
    seconds: float
    verify: Verification


class Latency(Contract, frozen=True):
    p50: float
    p90: float
    p99: float
    mean: float


class CandidateRow(Contract, frozen=True):
    """A variant auto mode built, verified and timed (``input`` is the model as given).

    ``latency_ms_p50`` and its ~95% interval ``latency_ms_interval`` ([low, high]) come
    from the full interleaved measurement; ``screen_ms_p50`` from the quick round before
    it; ``screened_out`` says why a candidate was left out of the full measurement, or
    not built at all."""

    name: str
    latency_ms_p50: float | None
    max_abs_diff: float | None
    top1_agreement: float | None
    passed: bool
    chosen: bool
    pareto: bool
    size_bytes: int | None = None
    error: str = ""
    runtime: str = "onnxruntime"
    precision: str = "fp32"
    worst_nodes: list[NodeErrorRow] = []
    latency_ms_interval: list[float] | None = None
    screen_ms_p50: float | None = None
    screened_out: str = ""
    # [k, n]: faster than the input in k of the n interleaved rounds they shared
    rounds_faster_than_input: list[int] | None = None


class NodeErrorRow(Contract, frozen=True):
    """A node of an INT8 candidate and the quantization error it adds (relative L2)."""

    node: str
    op_type: str
    output: str
    relative_error: float
    contribution: float
    nodes: list[str] = []


class Machine(Contract, frozen=True):
    execution_providers: list[str]
    cpu: str
    cores: int | None
    platform: str
    python: str
    libraries: dict[str, str]
    cpu_flags: list[str] = []  # those that decide which candidate wins (avx512_vnni, amx_int8)


class Decision(Contract, frozen=True):
    """How auto mode's measurement decided: ``remeasured`` extra rounds of the contenders
    (when the spread was too wide to tell them apart), whether it could then decide, and
    in words what it could not tell apart and what it did about it."""

    remeasured: int = 0
    decided: bool = True
    text: str = ""


class OptimizeReport(Contract, frozen=True):
    """The ``optimize`` report: one measurement, one set of numbers everywhere
    (``speedup`` is ``latency_ms.original.p50 / latency_ms.optimized.p50``)."""

    model: str
    output: str
    original_runtime: str
    steps: list[StepRecord]
    before: ModelSummary
    after: ModelSummary
    verify: Verification
    latency_ms: dict[str, Latency]
    throughput: dict[str, float]
    speedup: float | None
    size_bytes: dict[str, int]
    batch: int
    notes: list[str]
    machine: Machine
    inputs: list[InputUsed] = []  # every input the numbers were measured on
    candidates: list[CandidateRow] | None = None
    optimized_runtime: str | None = None
    tf_node_counts: dict[str, dict[str, int]] | None = None
    runtime: str = "onnxruntime"
    precision: str = "fp32"
    files: list[str] = []
    compile_properties: dict[str, str] = {}
    decision: Decision | None = None


class BenchParams(Contract, frozen=True):
    paths: tuple[str, ...]
    runs: int = 50
    warmup: int = 5
    threads: int | None = None
    batch: int | None = None
    runtime: str = "onnxruntime"  # ONNX files in onnxruntime or openvino; IR always OpenVINO


class BenchRow(Contract, frozen=True):
    model: str
    runtime: str
    provider: str
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    throughput: float


class BenchResult(Contract, frozen=True):
    results: list[BenchRow]


class ProfileParams(Contract, frozen=True):
    """``inputs``: ``NAME:SHAPE:DTYPE`` strings for files that record no shapes."""

    path: str
    output: str
    runs: int = 10
    runtime: str = "onnxruntime"
    inputs: tuple[str, ...] = ()


class ProfileResult(Contract, frozen=True):
    model: str
    output: str
    runtime: str
    runs: int


class ExportParams(Contract, frozen=True):
    model: str
    report: OptimizeReport
    target: str


class ExportResult(Contract, frozen=True):
    model: str
    report_json: str
    report_md: str


class SaveReportParams(Contract, frozen=True):
    report: OptimizeReport
    target: str


class SaveReportResult(Contract, frozen=True):
    target: str


def report_dict(report: OptimizeReport | dict[str, Any]) -> dict[str, Any]:
    """A report as the plain JSON object the report writers take."""
    return report if isinstance(report, dict) else to_builtins(report)
