"""Our per-op numbers against what each framework itself reports, on traces they just wrote."""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

import pytest

from opscope.profiling.reader import read_trace
from opscope.profiling.stats import op_stats


def _rows(path: Path) -> dict[str, dict]:
    return {row["op"]: row for row in op_stats(read_trace(path)).rows()}


def test_onnxruntime_totals_equal_kernel_time_events(ort_trace: Path) -> None:
    events = json.loads(ort_trace.read_text())
    expected: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    for event in events:
        if event["name"].endswith("_kernel_time"):
            expected[event["args"]["op_name"]][0] += 1
            expected[event["args"]["op_name"]][1] += event["dur"]
    rows = _rows(ort_trace)
    assert expected
    for op, (count, total) in expected.items():
        assert rows[op]["count"] == count
        assert rows[op]["total_us"] == pytest.approx(total, abs=1e-3)


def test_pytorch_counts_equal_cpu_op_events_and_self_time_nests(torch_trace: Path) -> None:
    events = json.loads(torch_trace.read_text())["traceEvents"]
    expected = collections.Counter(e["name"] for e in events if e.get("cat") == "cpu_op")
    rows = _rows(torch_trace)
    for op, count in expected.items():
        assert rows[op]["count"] == count
    conv = rows["aten::conv2d"]
    assert 0 < conv["self_us"] < conv["total_us"]  # conv2d calls convolution, which nests
    trace = read_trace(torch_trace)
    assert trace.depth.max() >= 3
    assert (trace.self_ns <= trace.dur_ns).all()


def test_mxnet_matches_profiler_operator_table(mxnet_trace: Path) -> None:
    reference = json.loads((mxnet_trace.parent / "mxnet_dumps.json").read_text())
    operators = reference["Time"]["operator"]
    rows = _rows(mxnet_trace)
    for op, entry in operators.items():
        assert rows[op]["count"] == entry["Count"], op
        total_us = entry["Total"] * 1000.0
        assert abs(rows[op]["total_us"] - total_us) <= max(1.0, 0.01 * total_us), op


def test_mxnet_keeps_64_bit_thread_ids_distinct(mxnet_trace: Path) -> None:
    trace = read_trace(mxnet_trace)
    tids = {lane.tid for lane in trace.lanes}
    assert any(int(t) > 2**53 for t in tids if t.isdigit())
    assert len({(lane.pid, lane.tid) for lane in trace.lanes}) == len(trace.lanes)


def _xprof_op_stats(xplane: Path, tmp_path: Path) -> dict[str, list[float]]:
    from xprof.convert import raw_to_tool_data

    copy = tmp_path / "host.xplane.pb"  # framework_op_stats writes a cache beside its input
    shutil.copyfile(xplane, copy)
    data = raw_to_tool_data.xspace_to_tool_data([str(copy)], "framework_op_stats", {})[0]
    table = json.loads(data)
    table = table[0] if isinstance(table, list) else table
    result: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    for row in table["rows"]:
        cells = [c["v"] for c in row["c"]]
        if cells[2] != "IDLE":
            result[cells[2]][0] += int(cells[4])
            result[cells[2]][1] += float(cells[7])
    return result


def _events_with_a_tf_op_stat(xplane: Path) -> collections.Counter:
    """Op name -> events of other names that carry a ``tf_op`` stat naming that op.

    xprof's host op metrics count such an event as one more occurrence of the op
    (``CollectTfActivities`` in xplane_to_op_metrics_db.cc). TensorFlow writes one for each
    traced output allocation (a zero-length ``MemoryAllocation``), and the trace viewer drops
    those events, so they are the whole difference between its counts and the trace's.
    """
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace.FromString(xplane.read_bytes())
    extra: collections.Counter = collections.Counter()
    for plane in space.planes:
        tf_op = [k for k, m in plane.stat_metadata.items() if m.name == "tf_op"]
        for line in plane.lines:
            for event in line.events:
                for stat in event.stats:
                    if stat.metadata_id in tf_op:
                        value = stat.str_value or plane.stat_metadata[stat.ref_value].name
                        extra[value.rpartition(":")[0] or value] += 1
    return extra


def test_tensorflow_matches_xprof_framework_op_stats(tf_logdir: Path, tmp_path: Path) -> None:
    before = sorted(p.relative_to(tf_logdir) for p in tf_logdir.rglob("*"))
    xplane = next(tf_logdir.rglob("*.xplane.pb"))
    trace = read_trace(tf_logdir)
    rows = {row["op"]: row for row in op_stats(trace).rows()}
    assert sorted(p.relative_to(tf_logdir) for p in tf_logdir.rglob("*")) == before
    reference = _xprof_op_stats(xplane, tmp_path)
    extra = _events_with_a_tf_op_stat(xplane)
    type_of = {trace.names[n]: trace.ops[o] for n, o in zip(trace.name, trace.op, strict=True)}
    extra_by_type = collections.Counter()
    for name, count in extra.items():
        extra_by_type[type_of[name]] += count
    assert reference and set(rows) == set(reference)
    for op_type, (count, self_us) in reference.items():
        assert rows[op_type]["count"] + extra_by_type[op_type] == count, op_type
        assert rows[op_type]["self_us"] == pytest.approx(self_us, abs=0.002 * count), op_type


def test_tensorflow_slices_are_named_by_op_name(tf_logdir: Path) -> None:
    trace = read_trace(tf_logdir)
    assert trace.format == "tensorflow"
    named = {
        trace.names[n]
        for n, o in zip(trace.name, trace.op, strict=True)
        if trace.ops[o] == "ReadVariableOp"
    }
    assert named and all("/" in name for name in named)
