"""OpenVINO's per-layer performance counters as a Chrome trace the trace engine reads.

OpenVINO has no timeline profiler: with ``PERF_COUNT`` on, an infer request reports, per
executed layer of the compiled graph, its type, kernel and time. The trace lays each run's
layers end to end from the run's start, in execution order, so the timeline shows where a
run's time goes and the per-op table is exactly the counters' own sums.

The events use onnxruntime's profile shape (a bare list; ``Session`` run slices holding
``Node`` slices named ``<layer>_kernel_time`` with the op type in ``args.op_name``), which
the trace engine reads per operator; the first event, naming the process "OpenVINO CPU",
carries the category ``openvino``, the marker by which the trace engine tells the file is
OpenVINO's (its ``openvino`` dialect, :mod:`opscope.profiling.dialects`), and every layer
slice records ``runtime: openvino``, its kernel (``exec_type``) and its precision.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.runtimes import openvino_runtime as ovr
from opscope.profiling.dialects import OPENVINO_CATEGORY


def _counters(request: Any) -> list[tuple[str, str, str, int]]:
    """(layer, type, kernel, microseconds) of every layer that ran, in execution order."""
    rows = []
    for info in request.get_profiling_info():
        if info.status != info.Status.EXECUTED:
            continue
        micros = int(round(info.real_time.total_seconds() * 1e6))
        rows.append((info.node_name, info.node_type, info.exec_type, micros))
    return rows


def _run_events(
    run: int, start_us: int, wall_us: int, rows: list[tuple[str, str, str, int]]
) -> list[dict[str, Any]]:
    pid, tid = os.getpid(), 1
    layers, cursor = [], start_us
    for name, op_type, kernel, micros in rows:
        layers.append(
            {
                "cat": "Node",
                "name": f"{name}_kernel_time",
                "ph": "X",
                "ts": cursor,
                "dur": micros,
                "pid": pid,
                "tid": tid,
                "args": {
                    "op_name": op_type,
                    "runtime": ovr.RUNTIME,
                    "exec_type": kernel,
                    "precision": kernel.rpartition("_")[2],
                },
            }
        )
        cursor += micros
    session = {
        "cat": "Session",
        "name": "model_run",
        "ph": "X",
        "ts": start_us,
        "dur": max(wall_us, cursor - start_us),
        "pid": pid,
        "tid": tid,
        "args": {"run": run},
    }
    return [session, *layers]


def profile_openvino(
    model_path: Path, inputs: Mapping[str, np.ndarray], runs: int, target: Path, precision: str
) -> dict[str, float]:
    """Run ``runs`` times with counters on, write the Chrome trace to ``target``; returns
    the counters' total microseconds per op type (what the per-op table must show)."""
    model = ovr.read_model(model_path)
    properties = ovr.saved_properties(model) or ovr.compile_properties(precision)
    compiled = ovr.compile_model(model, properties, profiling=True)
    request = compiled.create_infer_request()
    feed = {name: inputs[name] for name in ovr.input_names(compiled, inputs.keys())}
    marker = {"ph": "M", "cat": OPENVINO_CATEGORY, "name": "process_name", "pid": os.getpid()}
    events: list[dict[str, Any]] = [{**marker, "args": {"name": "OpenVINO CPU"}}]
    totals: dict[str, float] = defaultdict(float)
    origin, free_us = time.perf_counter_ns(), 0
    for run in range(max(runs, 1)):
        start = time.perf_counter_ns()
        with ovr.openvino_errors("OpenVINO failed to run the model"):
            request.infer(feed)
        wall_us = (time.perf_counter_ns() - start) // 1000
        rows = _counters(request)
        for _, op_type, _, micros in rows:
            totals[op_type] += micros
        # a run starts after the previous one's slices end, so runs never overlap
        run_events = _run_events(run, max((start - origin) // 1000, free_us), wall_us, rows)
        free_us = run_events[0]["ts"] + run_events[0]["dur"] + 1
        events += run_events
    target.write_text(json.dumps(events))
    return dict(totals)
