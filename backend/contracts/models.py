"""Contracts of the model jobs: inspect, convert, verify records and graph summaries."""

from __future__ import annotations

from typing import Any

from opscope.backend.contracts.base import Contract, to_builtins

Dim = int | str | None


class TensorInfo(Contract, frozen=True):
    name: str
    dtype: str
    shape: list[Dim] | None


class ModelSummary(Contract, frozen=True):
    """The node-count summary of one graph (``opscope inspect --json``)."""

    format: str
    nodes: int = 0
    op_counts: dict[str, int] = {}
    const: int = 0
    variable: int = 0
    identity: int = 0
    placeholder: int = 0
    params: int = 0
    param_bytes: int = 0
    initializers: int = 0
    inputs: list[TensorInfo] = []
    outputs: list[TensorInfo] = []
    unused_nodes: list[str] = []
    unused_initializers: list[str] = []
    quant_nodes: int = 0
    opset: int | None = None
    producer: str = ""
    size_bytes: int = 0
    subgraph_op_counts: dict[str, int] = {}
    frozen: ModelSummary | None = None


class InspectParams(Contract, frozen=True):
    path: str


class GeneratedInput(Contract, frozen=True):
    """What a run without the user's inputs feeds one input: its shape (None where the model
    records none: then ``values`` says how to give one) and its values in words."""

    name: str
    dtype: str
    shape: list[int] | None
    values: str


class InspectResult(ModelSummary, frozen=True):
    """The summary, the path it was read from and the inputs a run would generate."""

    path: str = ""
    generated_inputs: list[GeneratedInput] = []


class Verification(Contract, frozen=True):
    """A model's outputs compared with the original's on the same inputs."""

    max_abs_diff: float
    mean_abs_diff: float
    allclose: bool
    rtol: float
    atol: float
    top1_agreement: float | None
    passed: bool
    outputs: int
    min_top1: float | None = None
    relative_atol: float | None = None  # atol = relative_atol x max|reference| per output
    output_atols: list[float] = []
    tolerance: str = ""  # the tolerance in words, for reports

    def to_dict(self) -> dict[str, Any]:
        """The plain JSON object (reports, step records)."""
        return to_builtins(self)


class ConvertParams(Contract, frozen=True):
    """``inputs`` are ``NAME:SHAPE:DTYPE`` strings, as ``opscope convert --input``."""

    path: str
    output: str
    opset: int | None = None
    inputs: tuple[str, ...] = ()
    keep_outputs: tuple[str, ...] = ()
    inputs_npz: str | None = None
    dynamic_batch: bool = True
    rtol: float | None = None
    atol: float | None = None


class InputUsed(Contract, frozen=True):
    """An array the models ran on: what every number in a report was measured at."""

    name: str
    dtype: str
    shape: list[int]


class ConvertResult(Contract, frozen=True):
    output: str
    verify: Verification
    before: ModelSummary
    after: ModelSummary
    tolerance: str = ""
    inputs: list[InputUsed] = []
