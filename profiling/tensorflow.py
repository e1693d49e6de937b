"""TensorFlow Profiler traces: ``*.xplane.pb`` (logdir, run or files) and ``*.trace.json.gz``.

XSpace protobufs are read directly (:mod:`xspace`), without tensorflow or xprof; TensorFlow
2.0-2.2 run folders hold ``<host>.trace.json.gz`` instead, xprof's trace viewer JSON, read
like any other Chrome trace with the TensorFlow rules (:mod:`dialects`).

Writing a native TF profile as Chrome JSON for other viewers (the profile job's output) is
the one use of xprof here, :func:`xplane_to_chrome_json`, never on the import path. Two
traps of its converter are handled: it keeps only the first 1,000,000 events unless
``TF_PROFILER_TRACE_VIEWER_MAX_EVENTS`` says otherwise, and its tools may write caches next
to the XSpace file, so it only ever sees copies in a temporary folder. It also logs to the
process's stderr from C++; that is captured and only shown if the conversion fails.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from opscope.atomic import scratch_folder
from opscope.errors import OpscopeError
from opscope.profiling.trace import Trace
from opscope.profiling.xspace import read_xspace_files
from opscope.progress import FractionProgress

MAX_EVENTS_ENV = "TF_PROFILER_TRACE_VIEWER_MAX_EVENTS"
MAX_EVENTS = 2**31 - 1  # read as a 32-bit int: 2**40 would wrap to 0 and keep nothing


def looks_like_xspace(head: bytes) -> bool:
    """An XSpace starts with its first plane: field 1, length-delimited (``0x0a``)."""
    return head[:1] == b"\x0a"


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[io.StringIO]:
    """Silence C++ logging on fd 2; the captured text is yielded for error messages."""
    captured = io.StringIO()
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.write(sink.read().decode("utf-8", "replace"))


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def xplane_to_chrome_json(path: Path) -> bytes:
    """Chrome-trace JSON of one XSpace file, converted from a private copy of it."""
    try:
        from xprof.convert import raw_to_tool_data
    except ImportError:
        raise OpscopeError(
            "reading TensorFlow profiler files needs xprof (pip install 'opscope[tf]')"
        ) from None
    with scratch_folder("xplane") as tmp:
        copy = Path(tmp) / "host.xplane.pb"
        shutil.copyfile(path, copy)
        with _env(MAX_EVENTS_ENV, str(MAX_EVENTS)), _quiet_stderr() as log:
            try:
                data, _ = raw_to_tool_data.xspace_to_tool_data(
                    [str(copy)], "trace_viewer", {"use_saved_result": False}
                )
            except Exception as exc:  # noqa: BLE001 - the converter raises anything
                raise OpscopeError(f"xprof cannot convert it ({exc})") from None
    if not data:
        last = [line for line in log.getvalue().splitlines() if line.strip()][-1:]
        raise OpscopeError(f"xprof cannot convert it ({'; '.join(last) or 'no output'})")
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def read_xplane_files(paths: list[Path], progress: FractionProgress | None = None) -> Trace:
    """Import the XSpace files of one run; several hosts become several process groups."""
    return read_xspace_files(paths, progress)


def _runs(folder: Path, pattern: str) -> dict[Path, list[Path]]:
    runs: dict[Path, list[Path]] = {}
    for path in sorted(folder.rglob(pattern)):
        if path.is_file():
            runs.setdefault(path.parent, []).append(path)
    return runs


def read_tensorflow_dir(folder: Path, progress: FractionProgress | None = None) -> Trace:
    """A logdir, ``plugins/profile`` or one run folder; the newest run when there are several."""
    from opscope.profiling.chrome import read_chrome_file

    for pattern in ("*.xplane.pb", "*.trace.json.gz"):
        runs = _runs(folder, pattern)
        if not runs:
            continue
        newest = max(runs, key=lambda run: (run.name, run.stat().st_mtime))
        if pattern == "*.xplane.pb":
            trace = read_xplane_files(runs[newest], progress)
        else:
            trace = read_chrome_file(runs[newest][0], "tensorflow", progress)
        if len(runs) > 1:
            trace.warnings.append(
                f"the folder holds {len(runs)} profiling runs; showing the newest, {newest.name}"
            )
        trace.metadata["run"] = newest.name
        return trace
    raise OpscopeError("the folder holds no TensorFlow profiler data (*.xplane.pb)")
