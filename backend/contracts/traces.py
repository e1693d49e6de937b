"""Contracts of the trace jobs: importing a trace for the window."""

from __future__ import annotations

from opscope.backend.contracts.base import Contract


class ImportTraceParams(Contract, frozen=True):
    path: str


class TraceInfo(Contract, frozen=True):
    """``opscope trace info --json``: the trace's node-count summary."""

    format: str
    events: int
    operators: int
    distinct_ops: int
    flows: int
    lanes: int
    span_us: float
    instants: int
    counters: int
    truncated: bool
    warnings: list[str]
    events_per_category: dict[str, int]
    events_per_lane: dict[str, int]


class OpStatRow(Contract, frozen=True):
    op: str
    count: int
    total_us: float
    self_us: float
    avg_us: float
    min_us: float
    max_us: float
    percent: float


class ImportTraceResult(Contract, frozen=True):
    """The imported trace lives in ``trace_file`` (an ``.npz`` in the cache): a large trace
    never crosses the pipe as Python objects."""

    trace_file: str
    path: str
    info: TraceInfo
    stats: list[OpStatRow]
