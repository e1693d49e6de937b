"""The ``opscope trace`` verbs and the ``import_trace`` job, on real traces."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from opscope.backend.jobs import JobSpec, run_job
from opscope.cli import main
from opscope.profiling.reader import read_trace
from opscope.profiling.stats import compare, op_stats, trace_summary
from opscope.profiling.trace import load_trace, save_trace


def test_info_json(torch_trace: Path, capsys) -> None:
    assert main(["trace", "info", str(torch_trace), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {"format", "events", "lanes", "span_us", "truncated", "warnings"} <= set(info)
    assert info["format"] == "pytorch" and info["events"] > 100 and not info["truncated"]
    # the node-count summary of the trace comes with it
    assert sum(info["events_per_lane"].values()) == info["events"]
    assert sum(info["events_per_category"].values()) == info["events"]
    assert 0 < info["distinct_ops"] <= info["operators"] <= info["events"]


def test_stats_json_and_csv(ort_trace: Path, capsys) -> None:
    assert main(["trace", "stats", str(ort_trace), "--json", "--top", "3"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["format"] == "onnxruntime" and len(stats["ops"]) == 3
    assert set(stats["ops"][0]) == {
        "op",
        "count",
        "total_us",
        "self_us",
        "avg_us",
        "min_us",
        "max_us",
        "percent",
    }
    assert main(["trace", "stats", str(ort_trace), "--csv", "--by", "name"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert any(r["op"].endswith("_kernel_time") for r in rows)


def test_compare(ort_trace: Path, mxnet_trace: Path, capsys) -> None:
    assert main(["trace", "compare", str(ort_trace), str(ort_trace), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert all(r["ratio"] == 1.0 for r in result["ops"] if r["total_us_a"])
    a, b = op_stats(read_trace(ort_trace)), op_stats(read_trace(mxnet_trace))
    rows = compare(a, b).rows
    assert {r["op"] for r in rows} == set(a.ops) | set(b.ops)
    assert set(rows[0]) == {
        "op",
        "count_a",
        "count_b",
        "total_us_a",
        "total_us_b",
        "self_us_a",
        "self_us_b",
        "ratio",
    }


def test_filters_and_summary(torch_trace: Path) -> None:
    trace = read_trace(torch_trace)
    full = op_stats(trace)
    cpu = op_stats(trace, categories=["cpu_op"])
    assert all(op.startswith("aten::") for op in cpu.ops)
    half = op_stats(trace, window_ns=(trace.t0_ns, trace.t0_ns + trace.span_ns // 2))
    assert half.count.sum() < full.count.sum()
    summary = trace_summary(trace)
    assert summary["events"] == trace.events and summary["events_per_category"]["cpu_op"] > 0


def test_save_load_round_trip(mxnet_trace: Path, tmp_path: Path) -> None:
    trace = read_trace(mxnet_trace)
    save_trace(trace, tmp_path / "t.npz")
    again = load_trace(tmp_path / "t.npz")
    assert np.array_equal(again.self_ns, trace.self_ns) and again.lanes == trace.lanes
    assert again.counters and again.counters[0].ts_ns.dtype == np.int64


def test_import_trace_job(tf_logdir: Path) -> None:
    before = sorted(p.name for p in tf_logdir.rglob("*"))
    messages: list[tuple[float, str]] = []
    result = run_job(
        JobSpec("import_trace", {"path": str(tf_logdir)}),
        lambda step, f, m: messages.append((f, m)),
    )
    assert sorted(p.name for p in tf_logdir.rglob("*")) == before
    assert result.info.format == "tensorflow" and result.stats
    assert load_trace(result.trace_file).events == result.info.events
    assert messages[-1][0] == 1.0
    again = run_job(JobSpec("import_trace", {"path": str(tf_logdir)}))
    assert again.trace_file == result.trace_file
