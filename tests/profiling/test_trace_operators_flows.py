"""Which slices count as operators, the lanes a trace gets, flow arrows, and several hosts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from opscope.cli import main
from opscope.profiling.reader import read_trace
from opscope.profiling.stats import op_stats, trace_summary
from opscope.profiling.trace import load_trace, save_trace


def _assert_tidy(trace) -> None:
    """No metadata names in the string tables, no lane without anything on it."""
    for table in (trace.names, trace.ops):
        assert not {"process_name", "thread_name", "process_sort_index"} & set(table)
    for i, lane in enumerate(trace.lanes):
        assert np.any(trace.lane == i) or np.any(trace.instant_lane == i), lane.label


def test_pytorch_op_table_holds_cpu_ops_only(torch_trace: Path) -> None:
    trace = read_trace(torch_trace)
    _assert_tidy(trace)
    stats = op_stats(trace)
    assert stats.ops and all(op.startswith("aten::") for op in stats.ops)
    assert "PyTorch Profiler (0)" in op_stats(trace, operators_only=False).ops
    assert "PyTorch Profiler (0)" in trace.names  # still on the timeline
    labels = [lane.label for lane in trace.lanes]
    assert "Global markers" in labels and "process  / thread " not in labels


def test_python_functions_are_not_operators(torch_training_trace: Path) -> None:
    trace = read_trace(torch_training_trace)
    _assert_tidy(trace)
    python = trace.categories.index("python_function")
    assert np.any(trace.category == python) and not np.any(trace.is_op[trace.category == python])
    events = json.loads(torch_training_trace.read_text())["traceEvents"]
    cpu_ops = sum(1 for e in events if e.get("cat") == "cpu_op")
    assert op_stats(trace).count.sum() == cpu_ops


def test_each_dialect_marks_its_operators(ort_trace: Path, mxnet_trace: Path) -> None:
    ort = read_trace(ort_trace)
    _assert_tidy(ort)
    assert all(ort.names[n].endswith("_kernel_time") for n in ort.name[ort.is_op])
    assert "session_initialization" not in op_stats(ort).ops
    mxnet = read_trace(mxnet_trace)
    _assert_tidy(mxnet)
    assert {mxnet.categories[c] for c in mxnet.category[mxnet.is_op]} == {"operator"}
    assert "MXInvokeCachedOp" not in op_stats(mxnet).ops


def test_tensorflow_op_table_holds_tf_ops_only(tf_logdir: Path) -> None:
    trace = read_trace(tf_logdir)
    _assert_tidy(trace)
    ops = op_stats(trace).ops
    # oneDNN builds name the fused conv _MklNativeFusedConv2D, others _FusedConv2D
    assert any(op.endswith("FusedConv2D") for op in ops) and "EagerExecute" not in ops


def test_cli_all_counts_every_slice(torch_trace: Path, capsys) -> None:
    assert main(["trace", "stats", str(torch_trace), "--json"]) == 0
    ops = {row["op"] for row in json.loads(capsys.readouterr().out)["ops"]}
    assert main(["trace", "stats", str(torch_trace), "--json", "--all"]) == 0
    every = {row["op"] for row in json.loads(capsys.readouterr().out)["ops"]}
    assert every - ops == {"PyTorch Profiler (0)"}


def test_flows_link_forward_ops_to_backward_ops(torch_training_trace: Path, tmp_path: Path) -> None:
    events = json.loads(torch_training_trace.read_text())["traceEvents"]
    starts = {e["id"]: e["ts"] for e in events if e.get("ph") == "s"}
    ends = {e["id"]: e["ts"] for e in events if e.get("ph") == "f"}
    trace = read_trace(torch_training_trace)
    assert trace.flow_src.size == len(starts.keys() & ends.keys()) > 0
    assert trace_summary(trace)["flows"] == trace.flow_src.size
    assert {trace.categories[c] for c in trace.flow_category} == {"fwdbwd"}
    for src, dst in zip(trace.flow_src, trace.flow_dst, strict=True):
        assert trace.start_ns[src] < trace.start_ns[dst]
        assert trace.names[trace.name[dst]].endswith("Backward0")
        assert trace.is_op[src] and trace.is_op[dst]
    save_trace(trace, tmp_path / "t.npz")
    again = load_trace(tmp_path / "t.npz")
    assert np.array_equal(again.flow_dst, trace.flow_dst)


def test_args_stay_in_the_file_and_survive_save_load(torch_trace: Path, tmp_path: Path) -> None:
    source = tmp_path / "trace.json"
    shutil.copyfile(torch_trace, source)
    trace = read_trace(source)
    assert len(trace.args_blob) == 0 and np.all(trace.args_offset[trace.args_length > 0] < 0)
    conv = int(np.flatnonzero(np.asarray(trace.names)[trace.name] == "aten::conv2d")[0])
    assert "Input Dims" in trace.args_of(conv)
    save_trace(trace, tmp_path / "t.npz")
    assert load_trace(tmp_path / "t.npz").args_of(conv) == trace.args_of(conv)
    source.write_bytes(source.read_bytes() + b" ")
    assert "(args unavailable)" in load_trace(tmp_path / "t.npz").args_of(conv)


def test_gzip_args_are_copied(torch_trace: Path, tmp_path: Path) -> None:
    import gzip

    packed = tmp_path / "trace.json.gz"
    packed.write_bytes(gzip.compress(torch_trace.read_bytes()))
    trace = read_trace(packed)
    plain = read_trace(torch_trace)
    assert len(trace.args_blob) > 0 and not trace.args_file
    assert all(trace.args_of(i) == plain.args_of(i) for i in range(0, trace.events, 17))


def test_several_hosts_are_several_process_groups(tf_logdir: Path, tmp_path: Path) -> None:
    run = next(tf_logdir.rglob("*.xplane.pb")).parent
    logdir = tmp_path / "logdir"
    shutil.copytree(tf_logdir, logdir)
    copy_run = logdir / run.relative_to(tf_logdir)
    first = next(copy_run.glob("*.xplane.pb"))
    shutil.copyfile(first, copy_run / "second-host.xplane.pb")
    one, two = read_trace(tf_logdir), read_trace(logdir)
    assert two.events == 2 * one.events
    processes = {lane.process for lane in two.lanes}
    hosts = two.metadata["hosts"]
    assert len(hosts) == 2 and "second-host" in hosts
    for host in hosts:
        assert {p for p in processes if p.startswith(f"{host} ")}
    assert len(two.lanes) == 2 * len(one.lanes)
    a, b = op_stats(one), op_stats(two)
    assert dict(zip(b.ops, b.count.tolist(), strict=True)) == {
        op: 2 * n for op, n in zip(a.ops, a.count.tolist(), strict=True)
    }


def test_older_trace_json_gz_run_folders(tf_logdir: Path, tmp_path: Path) -> None:
    """TensorFlow 2.0-2.2 wrote ``<host>.trace.json.gz`` (the trace viewer's Chrome JSON) into
    the run folder; xprof's own converter produces exactly that JSON from the xplane file."""
    import gzip

    from opscope.profiling.tensorflow import xplane_to_chrome_json

    xplane = next(tf_logdir.rglob("*.xplane.pb"))
    run = tmp_path / "logdir" / "plugins" / "profile" / "2020_01_01_00_00_00"
    run.mkdir(parents=True)
    (run / "oldhost.trace.json.gz").write_bytes(gzip.compress(xplane_to_chrome_json(xplane)))
    old, new = op_stats(read_trace(tmp_path / "logdir")), op_stats(read_trace(tf_logdir))
    assert old.ops and dict(zip(old.ops, old.count.tolist(), strict=True)) == dict(
        zip(new.ops, new.count.tolist(), strict=True)
    )
