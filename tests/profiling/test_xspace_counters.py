"""Counters of an XSpace against xprof's trace viewer, the reference.

TensorFlow's CPU profiler writes no counter line, so the test takes a trace the real profiler
just wrote and adds one to its host plane with TensorFlow's own XPlane message classes, in the
layout xprof's ``trace_viewer@`` tool (what TensorBoard draws) turns into counter tracks: a
line named ``_counters_`` whose events are samples, named by their metadata's name and valued
by their stats. Both readers then read the same file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opscope.errors import OpscopeError
from opscope.profiling.reader import read_trace
from opscope.profiling.trace import load_trace, save_trace
from opscope.profiling.xspace import read_xspace_files

# counter (its metadata's name) -> (display name, value stat, kind, extra stats on each sample)
COUNTERS = {
    "HBM usage": ("", "bytes_in_use", "uint64_value", {}),
    "temperature": ("Chip temperature", "celsius", "double_value", {}),
    "power": ("", "milliwatts", "int64_value", {"group_id": 7, "peak": 9.5}),
}
SAMPLES = 40


def _add_counter_line(source: Path, target: Path) -> None:
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace.FromString(source.read_bytes())
    host = next(p for p in space.planes if p.name == "/host:CPU")
    first = min(line.timestamp_ns for line in host.lines if line.events)
    span_ps = max(
        (line.timestamp_ns - first) * 1000 + e.offset_ps + e.duration_ps
        for line in host.lines
        for e in line.events
    )
    next_event = max(host.event_metadata) + 1
    next_stat = max(host.stat_metadata) + 1
    stat_ids: dict[str, int] = {}

    def stat_id(name: str) -> int:
        nonlocal next_stat
        if name not in stat_ids:
            stat_ids[name] = next_stat
            host.stat_metadata[next_stat].id = next_stat
            host.stat_metadata[next_stat].name = name
            next_stat += 1
        return stat_ids[name]

    line = host.lines.add(id=4242, display_id=4242, name="_counters_", timestamp_ns=first + 3)
    rng = np.random.default_rng(5)
    for k, (name, (display, stat, kind, extra)) in enumerate(COUNTERS.items()):
        meta = host.event_metadata[next_event + k]
        meta.id, meta.name, meta.display_name = next_event + k, name, display
        times = np.sort(rng.integers(0, span_ps, SAMPLES))
        for i, offset in enumerate(times.tolist()):
            event = line.events.add(metadata_id=meta.id, offset_ps=offset)
            value = {"uint64_value": 1000 * i + 17, "double_value": 40.25 + i / 8}
            setattr(event.stats.add(metadata_id=stat_id(stat)), kind, value.get(kind, -3 * i))
            for extra_name, extra_value in extra.items():
                field = "int64_value" if isinstance(extra_value, int) else "double_value"
                setattr(event.stats.add(metadata_id=stat_id(extra_name)), field, extra_value)
    target.write_bytes(space.SerializeToString())


@pytest.fixture(scope="module")
def counter_xplane(tf_xspace_logdirs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = next((tf_xspace_logdirs / "cnn").rglob("*.xplane.pb"))
    target = tmp_path_factory.mktemp("counters") / "host.xplane.pb"
    _add_counter_line(source, target)
    return target


def _xprof_trace_viewer(xplane: Path, tmp_path: Path) -> list[dict]:
    from xprof.convert import raw_to_tool_data

    copy = tmp_path / "host.xplane.pb"  # its tools write caches beside their input
    shutil.copyfile(xplane, copy)
    data, _ = raw_to_tool_data.xspace_to_tool_data(
        [str(copy)], "trace_viewer@", {"use_saved_result": False}
    )
    return json.loads(data)["traceEvents"]


def test_counters_equal_xprof_trace_viewer(counter_xplane: Path, tmp_path: Path) -> None:
    events = _xprof_trace_viewer(counter_xplane, tmp_path)
    processes = {e["pid"]: e["args"]["name"] for e in events if e.get("name") == "process_name"}
    first_us = min(e["ts"] for e in events if e.get("ph") in ("X", "i"))
    expected: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for event in (e for e in events if e.get("ph") == "C"):
        extra = [s for s in COUNTERS[event["name"]][3] if s != "group_id"]
        for ts, *values in event["entries"]:
            numbers = [v for v in values if not isinstance(v, str)]  # display names: text
            for stat, value in zip([""] + extra, numbers, strict=True):
                key = (processes[event["pid"]], f"{event['name']} {stat}".strip())
                expected.setdefault(key, []).append((ts - first_us, float(value)))
    assert {name for _, name in expected} == {*COUNTERS, "power peak"}

    trace = read_trace(counter_xplane)
    first_ns = min(trace.start_ns.min(), trace.instant_ts_ns.min())
    got = {(s.process, s.name): s for s in trace.counters}
    assert len(got) == len(expected)
    for (process, name), samples in expected.items():
        series = got[(process.removeprefix("host").strip(), name)]
        times, values = np.asarray(samples).T
        order = np.argsort(times, kind="stable")
        assert np.array_equal(series.values, values[order]), name
        assert np.allclose((series.ts_ns - first_ns) / 1000, times[order], rtol=0, atol=1e-3)


def test_a_counter_line_is_no_lane_and_survives_the_cache(
    counter_xplane: Path, tmp_path: Path
) -> None:
    trace = read_trace(counter_xplane)
    assert "_counters_" not in {lane.thread for lane in trace.lanes}
    assert not {"HBM usage", "temperature", "power"} & set(trace.names)
    save_trace(trace, tmp_path / "trace.npz")
    loaded = load_trace(tmp_path / "trace.npz")
    assert [(s.name, s.process) for s in loaded.counters] == [
        (s.name, s.process) for s in trace.counters
    ]
    for a, b in zip(loaded.counters, trace.counters, strict=True):
        assert np.array_equal(a.ts_ns, b.ts_ns) and np.array_equal(a.values, b.values)


def test_an_xspace_of_counters_only_reads_as_counters(counter_xplane: Path, tmp_path: Path) -> None:
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace.FromString(counter_xplane.read_bytes())
    for plane in space.planes:
        kept = [line for line in plane.lines if line.name == "_counters_"]
        del plane.lines[:]
        plane.lines.extend(kept)
    only = tmp_path / "host.xplane.pb"
    only.write_bytes(space.SerializeToString())
    trace, full = read_trace(only), read_trace(counter_xplane)
    assert trace.events == 0 and trace.instant_ts_ns.size == 0 and trace.lanes == []
    assert [s.name for s in trace.counters] == [s.name for s in full.counters]
    for a, b in zip(trace.counters, full.counters, strict=True):
        assert np.array_equal(a.values, b.values)
        assert np.array_equal(a.ts_ns - a.ts_ns[0], b.ts_ns - b.ts_ns[0])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.binary(max_size=3)), min_size=1, max_size=4))
def test_mutated_counter_lines_never_crash_the_reader(
    counter_xplane: Path, tmp_path_factory: pytest.TempPathFactory, edits
) -> None:
    """Edits in the counter line (its name, then its events' records)."""
    data = bytearray(counter_xplane.read_bytes())
    line = data.find(b"_counters_")
    for where, patch in edits:
        at = line + int(where * len(COUNTERS) * SAMPLES * 16)  # an event takes ~16 bytes
        data[at : at + len(patch)] = patch
    path = tmp_path_factory.mktemp("mutated") / "host.xplane.pb"
    path.write_bytes(bytes(data))
    try:
        trace = read_xspace_files([path])
    except OpscopeError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(s.ts_ns.size == s.values.size for s in trace.counters)
