"""Jobs: typed specs, the functions that run them, and the registry that joins the two.

A job is ``JobSpec(kind, params)``: ``params`` is the kind's parameter contract (a frozen,
strict ``msgspec.Struct``), and its function ``run(params, progress)`` returns the kind's
result contract (or the plain object of the same shape, which :func:`run_job` decodes just
as strictly: an unknown or missing field is an error that names it). Progress reports a
typed :class:`~opscope.progress.Step`; library code that knows only fractions (the trace
readers, the converters) is handed a callback scaled onto the kind's ``fraction_step``.

The CLI and the tests call :func:`run_job` in-process; the GUI's worker runs the same
function in a child process (:mod:`opscope.backend.runner`). Functions are named by import
path, so a child process imports only the framework its job needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opscope.backend.contracts import graph, models, optimize, traces
from opscope.backend.contracts.base import Contract, convert, decode, encode
from opscope.progress import Progress, Step, StepPlan, ignore_progress, scaled

OPTIMIZE_PLAN = (
    (Step.CONVERT, 0.15),
    (Step.PRUNE, 0.1),
    (Step.QUANTIZE, 0.2),
    (Step.AUTO, 0.35),
    (Step.VERIFY, 0.05),
    (Step.BENCHMARK, 0.15),
)


@dataclass(frozen=True)
class JobKind:
    """What a kind of job takes, returns and how its progress adds up.

    ``fraction_step``: the function takes a plain ``(fraction, message)`` callback, whose
    reports count as that step.
    """

    function: str  # "module:function"
    params: type[Contract] | type[dict]
    result: type[Contract] | type[dict]
    plan: tuple[tuple[Step, float], ...] = ()
    fraction_step: Step | None = None


JOB_KINDS: dict[str, JobKind] = {
    "import_trace": JobKind(
        "opscope.profiling.jobs:import_trace_job",
        traces.ImportTraceParams,
        traces.ImportTraceResult,
        fraction_step=Step.IMPORT,
    ),
    "inspect_model": JobKind(
        "opscope.backend.inspect:inspect_job",
        models.InspectParams,
        models.InspectResult,
        fraction_step=Step.OPEN,
    ),
    "convert_model": JobKind(
        "opscope.backend.convert:convert_job",
        models.ConvertParams,
        models.ConvertResult,
        fraction_step=Step.CONVERT,
    ),
    "optimize_model": JobKind(
        "opscope.backend.optimize.jobs:optimize_job",
        optimize.OptimizeParams,
        optimize.OptimizeReport,
        plan=OPTIMIZE_PLAN,
    ),
    "bench_model": JobKind(
        "opscope.backend.optimize.jobs:bench_job",
        optimize.BenchParams,
        optimize.BenchResult,
        fraction_step=Step.BENCHMARK,
    ),
    "profile_model": JobKind(
        "opscope.backend.optimize.jobs:profile_job",
        optimize.ProfileParams,
        optimize.ProfileResult,
        fraction_step=Step.PROFILE,
    ),
    "export_model": JobKind(
        "opscope.backend.export:export_job",
        optimize.ExportParams,
        optimize.ExportResult,
        plan=((Step.EXPORT, 1.0),),
    ),
    "model_graph": JobKind(
        "opscope.backend.graph.jobs:graph_job",
        graph.GraphParams,
        graph.GraphResult,
        fraction_step=Step.LAYOUT,
    ),
    "tensor_stats": JobKind(
        "opscope.backend.graph.jobs:tensor_stats_job",
        graph.TensorStatsParams,
        graph.TensorStatsResult,
        fraction_step=Step.WORK,
    ),
    "graph_diff": JobKind(
        "opscope.backend.graph.jobs:graph_diff_job",
        graph.GraphDiffParams,
        graph.GraphDiff,
        fraction_step=Step.WORK,
    ),
    "node_times": JobKind(
        "opscope.backend.graph.jobs:node_times_job",
        graph.NodeTimesParams,
        graph.NodeTimesResult,
        fraction_step=Step.WORK,
    ),
    "save_report": JobKind(
        "opscope.backend.export:save_report_job",
        optimize.SaveReportParams,
        optimize.SaveReportResult,
        plan=((Step.EXPORT, 1.0),),
    ),
}


def kind_of(kind: str) -> JobKind:
    """The registered kind; ``"module:function"`` names a plug-in's (or a test's) function
    directly, which takes and returns plain dicts."""
    if kind in JOB_KINDS:
        return JOB_KINDS[kind]
    if ":" in kind:
        return JobKind(kind, dict, dict, fraction_step=Step.WORK)
    raise KeyError(f"unknown job kind {kind!r}")


@dataclass(frozen=True)
class JobSpec:
    """One job to run: its kind, its typed parameters, and a title for people."""

    kind: str
    params: Any = None
    title: str = ""

    def __post_init__(self) -> None:
        job = kind_of(self.kind)
        params = {} if self.params is None else self.params
        if not isinstance(params, job.params):
            params = convert(params, job.params)
        object.__setattr__(self, "params", params)

    @property
    def label(self) -> str:
        return self.title or self.kind

    def to_bytes(self) -> bytes:
        """The spec as it crosses the pipe to the child."""
        return encode((self.kind, self.title, encode(self.params)))

    @classmethod
    def from_bytes(cls, data: bytes) -> JobSpec:
        kind, title, params = decode(data, tuple[str, str, bytes])
        return cls(kind, decode(params, kind_of(kind).params), title)


def decode_result(kind: str, data: bytes) -> Any:
    """The child's result, decoded strictly as the kind's result contract."""
    return decode(data, kind_of(kind).result)


def _function(job: JobKind) -> Callable[..., Any]:
    module_name, function_name = job.function.split(":", 1)
    return getattr(importlib.import_module(module_name), function_name)


def run_job(spec: JobSpec, progress: Progress | None = None) -> Any:
    """Run a job in this process; the result is the kind's result contract."""
    job = kind_of(spec.kind)
    progress = progress or ignore_progress
    report = scaled(progress, job.fraction_step) if job.fraction_step else progress
    result = _function(job)(spec.params, report)
    return result if isinstance(result, job.result) else convert(result, job.result)


def plan_of(kind: str) -> StepPlan:
    """How the kind's step fractions add up to one overall fraction."""
    job = kind_of(kind)
    return StepPlan(job.plan or ((job.fraction_step or Step.WORK, 1.0),))
