"""Jobs: plain, serializable specs and the functions that run them.

A job is ``JobSpec(kind, params)``; its function ``run(params, progress) -> dict`` returns a
JSON-serializable result and reports progress as ``progress(fraction, message)``. The CLI and
the tests call :func:`run_job` in-process; the GUI's worker runs the same function in a child
process (:mod:`opscope.backend.runner`). Functions are named by import path, so a child
process imports only the framework its job needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

Progress = Callable[[float, str], None]
JobFunction = Callable[[dict[str, Any], Progress], dict[str, Any]]

# kind -> "module:function". A kind written as "module:function" itself names its function
# directly (used by plug-ins and by the tests of the worker).
JOB_FUNCTIONS: dict[str, str] = {
    "import_trace": "opscope.profiling.jobs:import_trace_job",
    "inspect_model": "opscope.backend.inspect:inspect_job",
    "optimize_model": "opscope.backend.optimize.jobs:optimize_job",
    "bench_model": "opscope.backend.optimize.jobs:bench_job",
    "profile_model": "opscope.backend.optimize.jobs:profile_job",
    "convert_model": "opscope.backend.convert:convert_job",
    "export_model": "opscope.backend.export:export_job",
}


@dataclass(frozen=True)
class JobSpec:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSpec:
        return cls(
            kind=data["kind"], params=dict(data.get("params", {})), title=data.get("title", "")
        )

    @property
    def label(self) -> str:
        return self.title or self.kind


def resolve(kind: str) -> JobFunction:
    target = JOB_FUNCTIONS.get(kind, kind)
    if ":" not in target:
        raise KeyError(f"unknown job kind {kind!r}")
    module_name, function_name = target.split(":", 1)
    return getattr(importlib.import_module(module_name), function_name)


def _ignore_progress(fraction: float, message: str) -> None:
    pass


def run_job(spec: JobSpec, progress: Progress | None = None) -> dict[str, Any]:
    """Run a job in this process."""
    return resolve(spec.kind)(dict(spec.params), progress or _ignore_progress)
