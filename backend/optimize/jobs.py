"""Job functions of the optimization verbs: ``(params, progress) -> dict``.

The CLI and the tests call them in-process; the GUI's worker runs them in a child process
(registered in :mod:`opscope.backend.jobs` as ``optimize_model``, ``bench_model`` and
``profile_model``). Parameters are plain JSON values so a job spec can cross a pipe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Progress = Callable[[float, str], None]


def _strings(value: Any) -> tuple[str, ...]:
    """A list of names, or one comma-separated string of them."""
    if isinstance(value, str):
        return tuple(v for v in value.split(",") if v)
    return tuple(value or ())


def options_from_params(params: dict[str, Any]) -> Any:
    """Job parameters as :class:`OptimizeOptions` (unknown keys are ignored)."""
    from dataclasses import fields

    from opscope.backend.optimize.pipeline import OptimizeOptions

    names = {f.name for f in fields(OptimizeOptions)}
    values = {k: v for k, v in params.items() if k in names}
    for key in ("keep_outputs", "exclude_nodes", "exclude_op_types"):
        if key in values:
            values[key] = _strings(values[key])
    if "inputs" in values:  # NAME:SHAPE:DTYPE strings; a shape holds no comma
        values["inputs"] = _strings(values["inputs"])
    return OptimizeOptions(**values)


def optimize_job(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Job ``optimize_model``: ``{"path", "output", ...options}`` -> the optimize report."""
    from opscope.backend.optimize.pipeline import optimize_model

    return optimize_model(params["path"], params["output"], options_from_params(params), progress)


def bench_job(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Job ``bench_model``: ``{"paths": [...], "runs", "warmup", "threads", "batch"}`` ->
    ``{"results": [{"model", "runtime", "p50_ms", ...}]}``."""
    from opscope.backend.optimize.bench_models import bench_models

    results = bench_models(
        list(params["paths"]),
        runs=int(params.get("runs", 50)),
        warmup=int(params.get("warmup", 5)),
        threads=params.get("threads"),
        batch=params.get("batch"),
        progress=progress,
    )
    return {"results": results}


def profile_job(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Job ``profile_model``: ``{"path", "output", "runs", "runtime", "inputs"}`` -> what was
    written (``inputs``: ``NAME:SHAPE:DTYPE`` strings for files that record no shapes)."""
    from opscope.backend.optimize.profile import profile_model

    return profile_model(
        params["path"],
        params["output"],
        runs=int(params.get("runs", 10)),
        runtime=params.get("runtime", "onnxruntime"),
        inputs=_strings(params.get("inputs")),
        progress=progress,
    )
