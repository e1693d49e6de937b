"""The XSpace reader on real TF profiler files: folders, hosts, layout, progress, bad bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opscope.cli import main
from opscope.errors import OpscopeError
from opscope.profiling.reader import read_trace
from opscope.profiling.stats import op_stats, trace_summary
from opscope.profiling.trace import Trace
from opscope.profiling.xspace import XSpaceImporter, read_xspace_files
from opscope.profiling.xspace_wire import WireError

COLUMNS = ("start_ns", "dur_ns", "self_ns", "lane", "depth", "name", "op", "is_op")


def _xplane(logdirs: Path, program: str) -> Path:
    return next((logdirs / program).rglob("*.xplane.pb"))


def _same(a: Trace, b: Trace) -> bool:
    return (
        all(np.array_equal(getattr(a, c), getattr(b, c)) for c in COLUMNS)
        and a.names == b.names
        and a.ops == b.ops
        and [vars(lane) for lane in a.lanes] == [vars(lane) for lane in b.lanes]
    )


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    }


def test_logdir_and_its_xplane_give_the_same_trace(tf_xspace_logdirs: Path) -> None:
    logdir = tf_xspace_logdirs / "bilstm"
    before = _snapshot(logdir)
    from_dir, from_file = read_trace(logdir), read_trace(_xplane(tf_xspace_logdirs, "bilstm"))
    assert from_dir.format == from_file.format == "tensorflow"
    assert _same(from_dir, from_file)
    assert main(["trace", "stats", str(logdir), "--json"]) == 0
    assert _snapshot(logdir) == before  # the user's logdir is never written


def test_two_hosts_are_two_process_groups(tf_xspace_logdirs: Path, tmp_path: Path) -> None:
    xplane = _xplane(tf_xspace_logdirs, "while_loop")
    one = read_trace(xplane)
    run = tmp_path / "plugins" / "profile" / "run"
    run.mkdir(parents=True)
    for host in ("alpha", "beta"):
        shutil.copyfile(xplane, run / f"{host}.xplane.pb")
    two = read_trace(tmp_path)
    assert two.metadata["hosts"] == ["alpha", "beta"]
    processes = {lane.process for lane in two.lanes}
    assert {p.split(" ")[0] for p in processes} == {"alpha", "beta"}
    assert len(two.lanes) == 2 * len(one.lanes) and two.events == 2 * one.events
    a, b = op_stats(one), op_stats(two)
    assert dict(zip(b.ops, b.count.tolist(), strict=True)) == {
        op: 2 * n for op, n in zip(a.ops, a.count.tolist(), strict=True)
    }


def test_steps_have_their_own_lane(tf_xspace_logdirs: Path) -> None:
    trace = read_trace(_xplane(tf_xspace_logdirs, "cnn"))
    steps = [i for i, lane in enumerate(trace.lanes) if lane.thread == "Steps"]
    assert len(steps) == 1 and trace.lanes[steps[0]].process == "/host:CPU"
    on_lane = trace.lane == steps[0]
    assert sorted(np.asarray(trace.names)[trace.name[on_lane]]) == ["step 0", "step 1", "step 2"]
    assert not trace.is_op[on_lane].any()
    op = int(np.flatnonzero(trace.is_op)[0])  # a clicked op shows its long name
    long_name = trace.args_of(op)["long_name"]
    assert long_name == f"{trace.names[trace.name[op]]}:{trace.ops[trace.op[op]]}"


def test_overlapping_executor_slices_are_named_and_drawn_apart(tf_xspace_logdirs: Path) -> None:
    trace = read_trace(_xplane(tf_xspace_logdirs, "bilstm"))
    warning = next(w for w in trace.warnings if "overlap the end" in w)
    assert "ExecutorState::Process" in warning
    end = trace.start_ns + trace.dur_ns
    for begin, stop in trace.row_bounds().values():
        # within one row, no slice starts before an earlier one has ended
        latest_end = np.maximum.accumulate(end[begin : stop - 1])
        assert np.all(trace.start_ns[begin + 1 : stop] >= latest_end)
    assert trace_summary(trace)["operators"] == int(trace.is_op.sum())


def test_progress_is_determinate(tf_xspace_logdirs: Path) -> None:
    calls: list[tuple[float, str]] = []
    read_trace(_xplane(tf_xspace_logdirs, "bilstm"), lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert len(calls) >= 4 and fractions == sorted(fractions)
    reading = [f for f, m in calls if m == "reading events"]
    assert len(reading) >= 3 and 0.0 < reading[0] < reading[-1] <= 0.9
    assert fractions[-1] == 1.0


def _import(buf: bytes, progress=None, **knobs) -> Trace:
    importer = XSpaceImporter(progress, len(buf), **knobs)
    importer.read_space(buf, "")
    return importer.finish({})


WINDOW = 4096


def test_lines_read_a_window_at_a_time_give_the_same_trace(tf_xspace_logdirs: Path) -> None:
    """Tiny windows read the same trace as whole lines at once, and the bar moves every
    window, while the records are found and again while they are decoded."""
    buf = _xplane(tf_xspace_logdirs, "bilstm").read_bytes()
    whole = _import(buf, window_bytes=len(buf))
    reading: list[float] = []
    windows = _import(buf, lambda f, m: reading.append(f), window_bytes=WINDOW)
    assert _same(whole, windows)
    for column in ("instant_ts_ns", "instant_lane", "instant_name", "args_offset"):
        assert np.array_equal(getattr(whole, column), getattr(windows, column)), column
    reading = reading[:-1]  # the nesting step's
    assert len(reading) >= len(buf) // WINDOW and reading == sorted(reading)
    assert max(np.diff(reading)) <= 0.9 * WINDOW / len(buf)


def test_a_raising_progress_callback_stops_the_import_within_a_window(
    tf_xspace_logdirs: Path,
) -> None:
    """Cancel checks are as fine as progress: between two reports at most one window of
    events is decoded (counted by the instants, which only decoded events make), so a
    callback that raises stops the import that soon."""

    class Stop(Exception):
        pass

    buf = _xplane(tf_xspace_logdirs, "bilstm").read_bytes()
    total = _import(buf).instant_ts_ns.size
    window = 1024
    most = window // 6  # an event record takes at least 6 bytes
    seen: list[int] = []

    def stop(fraction: float, message: str) -> None:
        seen.append(sum(p.offset_ps.size for p in importer.instants))
        if seen[-1] > total // 2:
            raise Stop

    importer = XSpaceImporter(stop, len(buf), window_bytes=window)
    with pytest.raises(Stop):
        importer.read_space(buf, "")
    assert total > 10 * most and max(np.diff(seen)) <= most
    assert total // 2 < seen[-1] <= total // 2 + most


def test_import_path_loads_neither_tensorflow_nor_xprof(tf_xspace_logdirs: Path) -> None:
    code = (
        "import sys\n"
        "from opscope.profiling.reader import read_trace\n"
        f"trace = read_trace({str(tf_xspace_logdirs / 'cnn')!r})\n"
        "assert trace.events > 0\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(loaded & {'tensorflow', 'xprof', 'keras', 'torch'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert done.stdout.strip() == "[]"


BAD_XPLANES = {
    "empty.xplane.pb": b"",
    "garbage.xplane.pb": b"\x0a\xff\xff\xff\xff\x0fgarbage",
    "no_events.xplane.pb": b"\x0a\x0b\x12\x09/host:CPU",
}


@pytest.mark.parametrize("name", sorted(BAD_XPLANES))
def test_bad_xplane_is_one_line_exit_2(name: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / name
    path.write_bytes(BAD_XPLANES[name])
    assert main(["trace", "info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"opscope: cannot read {path}: ") and err.count("\n") == 1


def test_truncated_xplane_is_one_line_exit_2(
    tf_xspace_logdirs: Path, tmp_path: Path, capsys
) -> None:
    data = _xplane(tf_xspace_logdirs, "while_loop").read_bytes()
    for cut in (1, 7, len(data) // 2, len(data) - 1):
        run = tmp_path / f"cut{cut}" / "plugins" / "profile" / "run"
        run.mkdir(parents=True)
        (run / "host.xplane.pb").write_bytes(data[:cut])
        assert main(["trace", "info", str(run.parents[2])]) == 2
        err = capsys.readouterr().err
        assert err.startswith("opscope: cannot read ") and err.count("\n") == 1
        assert "Traceback" not in err


@pytest.fixture(scope="module")
def small_xplane(tf_xspace_logdirs: Path) -> bytes:
    return _xplane(tf_xspace_logdirs, "while_loop").read_bytes()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.binary(max_size=3)), min_size=1, max_size=4))
def test_mutated_xspace_bytes_never_crash_the_reader(
    small_xplane: bytes, tmp_path_factory: pytest.TempPathFactory, edits
) -> None:
    data = bytearray(small_xplane)
    for where, patch in edits:
        at = int(where * (len(data) - 1))
        data[at : at + len(patch)] = patch
    path = tmp_path_factory.mktemp("mutated") / "host.xplane.pb"
    path.write_bytes(bytes(data))
    try:
        trace = read_xspace_files([path])
    except OpscopeError as exc:
        assert "\n" not in str(exc)
    else:
        assert trace.start_ns.size == trace.dur_ns.size == trace.self_ns.size


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.binary(max_size=3)), min_size=1, max_size=4))
def test_mutated_xspace_bytes_never_crash_the_windowed_reader(small_xplane: bytes, edits) -> None:
    """Windows of 64 bytes: records cut by a window's end, windows that must grow."""
    data = bytearray(small_xplane)
    for where, patch in edits:
        at = int(where * (len(data) - 1))
        data[at : at + len(patch)] = patch
    try:
        trace = _import(bytes(data), window_bytes=64)
    except WireError as exc:
        assert "\n" not in str(exc)
    else:
        assert trace.start_ns.size == trace.dur_ns.size == trace.self_ns.size
