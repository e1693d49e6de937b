"""TensorFlow Profiler traces: ``*.xplane.pb`` (logdir, run or files) and ``*.trace.json.gz``.

XSpace protobufs are read directly (:mod:`xspace`), without tensorflow or xprof; TensorFlow
2.0-2.2 run folders hold ``<host>.trace.json.gz`` instead, xprof's trace viewer JSON, read
like any other Chrome trace with the TensorFlow rules (:mod:`dialects`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opscope.errors import OpscopeError
from opscope.profiling.trace import Trace
from opscope.profiling.xspace import read_xspace_files

Progress = Callable[[float, str], None]


def looks_like_xspace(head: bytes) -> bool:
    """An XSpace starts with its first plane: field 1, length-delimited (``0x0a``)."""
    return head[:1] == b"\x0a"


def read_xplane_files(paths: list[Path], progress: Progress | None = None) -> Trace:
    """Import the XSpace files of one run; several hosts become several process groups."""
    return read_xspace_files(paths, progress)


def _runs(folder: Path, pattern: str) -> dict[Path, list[Path]]:
    runs: dict[Path, list[Path]] = {}
    for path in sorted(folder.rglob(pattern)):
        if path.is_file():
            runs.setdefault(path.parent, []).append(path)
    return runs


def read_tensorflow_dir(folder: Path, progress: Progress | None = None) -> Trace:
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
