"""Job functions of the optimization verbs, registered in :mod:`opscope.backend.jobs` as
``optimize_model``, ``bench_model`` and ``profile_model``; their parameters and results
are the contracts of :mod:`opscope.backend.contracts.optimize`."""

from __future__ import annotations

from typing import Any

from opscope.backend.contracts.optimize import BenchParams, OptimizeParams, ProfileParams
from opscope.progress import FractionProgress, Progress


def optimize_job(params: OptimizeParams, progress: Progress) -> dict[str, Any]:
    """Job ``optimize_model`` -> the optimize report."""
    from opscope.backend.optimize.pipeline import optimize_model

    return optimize_model(params.path, params.output, params.options, progress)


def bench_job(params: BenchParams, progress: FractionProgress) -> dict[str, Any]:
    """Job ``bench_model`` -> ``{"results": [{"model", "runtime", "p50_ms", ...}]}``."""
    from opscope.backend.optimize.bench_models import bench_models

    results = bench_models(
        list(params.paths),
        runs=params.runs,
        warmup=params.warmup,
        threads=params.threads,
        batch=params.batch,
        runtime=params.runtime,
        progress=progress,
    )
    return {"results": results}


def profile_job(params: ProfileParams, progress: FractionProgress) -> dict[str, Any]:
    """Job ``profile_model`` -> what was written."""
    from opscope.backend.optimize.profile import profile_model

    return profile_model(
        params.path,
        params.output,
        runs=params.runs,
        runtime=params.runtime,
        inputs=params.inputs,
        progress=progress,
    )
