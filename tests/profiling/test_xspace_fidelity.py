"""XSpace read directly against xprof, the reference: its ``framework_op_stats`` table per op
type, and its ``trace_viewer`` events, on traces the real TF profiler just wrote."""

from __future__ import annotations

import collections
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from opscope.profiling.reader import read_trace
from opscope.profiling.stats import op_stats

PROGRAMS = ["bilstm", "cnn", "while_loop"]


def _private_copy(xplane: Path, tmp_path: Path) -> str:
    copy = tmp_path / "host.xplane.pb"  # xprof's tools write caches beside their input
    shutil.copyfile(xplane, copy)
    return str(copy)


def _framework_op_stats(xplane: Path, tmp_path: Path) -> dict[str, tuple[int, float]]:
    """Op type -> (occurrences, self time in µs) of xprof's host op table."""
    from xprof.convert import raw_to_tool_data

    data = raw_to_tool_data.xspace_to_tool_data(
        [_private_copy(xplane, tmp_path)], "framework_op_stats", {}
    )[0]
    table = json.loads(data)
    table = table[0] if isinstance(table, list) else table
    labels = [column["label"] for column in table["cols"]]
    kind, count, self_us = (
        labels.index(label) for label in ("Operation Type", "#Occurrences", "Total self-time (us)")
    )
    result: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    for row in table["rows"]:
        cells = [cell["v"] for cell in row["c"]]
        if cells[kind] != "IDLE":
            result[cells[kind]][0] += int(cells[count])
            result[cells[kind]][1] += float(cells[self_us])
    return {op: (int(n), total) for op, (n, total) in result.items()}


def _xplane(logdirs: Path, program: str) -> Path:
    return next((logdirs / program).rglob("*.xplane.pb"))


@pytest.mark.parametrize("program", PROGRAMS)
def test_op_counts_and_self_times_equal_framework_op_stats(
    tf_xspace_logdirs: Path, program: str, tmp_path: Path
) -> None:
    trace = read_trace(_xplane(tf_xspace_logdirs, program))
    rows = {row["op"]: row for row in op_stats(trace).rows()}
    reference = _framework_op_stats(_xplane(tf_xspace_logdirs, program), tmp_path)
    assert reference and set(rows) == set(reference)
    for op_type, (count, self_us) in reference.items():
        assert rows[op_type]["count"] == count, op_type
        assert rows[op_type]["self_us"] == pytest.approx(self_us, rel=0.02, abs=0.01), op_type


def test_bilstm_ops_own_the_runtime_slices_inside_them(tf_xspace_logdirs: Path) -> None:
    """ParallelFor and friends inside an op are its work: only nested ops are subtracted."""
    trace = read_trace(_xplane(tf_xspace_logdirs, "bilstm"))
    ops = np.flatnonzero(trace.is_op)
    assert np.all(trace.self_ns[ops] <= trace.dur_ns[ops])
    gather = ops[np.asarray(trace.ops)[trace.op[ops]] == "GatherV2"]
    assert gather.size and np.array_equal(trace.self_ns[gather], trace.dur_ns[gather])
    names = set(np.asarray(trace.names)[trace.name[~trace.is_op]].tolist())
    assert {"ExecutorState::Process", "ThreadpoolListener::Region"} <= names


def _step_as_traced(name: str) -> str:
    """xprof renames a step it groups ops under ("step" -> "step 3"), not every time."""
    return "step" if re.fullmatch(r"step \d+", name) else name


@pytest.mark.parametrize("program", PROGRAMS)
def test_events_per_name_equal_xprof_trace_viewer(
    tf_xspace_logdirs: Path, program: str, tmp_path: Path
) -> None:
    """Every slice and instant the trace viewer shows is here, named alike (op slices by
    their op name, the rest by their event name), plus the step copies of the Steps lane."""
    from xprof.convert import raw_to_tool_data

    xplane = _xplane(tf_xspace_logdirs, program)
    data, _ = raw_to_tool_data.xspace_to_tool_data(
        [_private_copy(xplane, tmp_path)], "trace_viewer", {}
    )
    events = json.loads(data)["traceEvents"]
    expected = collections.Counter(
        _step_as_traced(
            e["args"]["long_name"].rpartition(":")[0]
            if "long_name" in e.get("args", {})
            else e["name"]
        )
        for e in events
        if e.get("ph") in ("X", "i")
    )
    trace = read_trace(xplane)
    steps = {lane for lane, info in enumerate(trace.lanes) if info.thread == "Steps"}
    names = np.asarray(trace.names)
    on_steps = np.isin(trace.lane, list(steps))
    got = collections.Counter(names[trace.name[~on_steps]].tolist())
    got.update(names[trace.instant_name].tolist())
    assert got == expected
    assert sorted(names[trace.name[on_steps]].tolist()) == ["step 0", "step 1", "step 2"]
