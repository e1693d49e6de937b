"""The ``import_trace`` job: read a trace in a child process, hand the GUI a file.

A large trace must not travel through a pipe as Python objects, so the job saves the
columnar :class:`Trace` as an ``.npz`` in the user cache (named by a hash of the source's
path, size and mtime, so reopening an unchanged trace is instant) and returns its path with
the summary and the top of the per-op table. The ``.npz`` holds every column but, for an
uncompressed trace file, not the ``args``: those stay in the source file, which the ``.npz``
names with its size and mtime (a changed source gets a new cache entry here, and
``Trace.args_of`` refuses to read a file that changed after the import).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from opscope.errors import OpscopeError
from opscope.paths import cache_dir, trim_cache
from opscope.profiling.reader import read_trace
from opscope.profiling.stats import op_stats, trace_summary
from opscope.profiling.trace import load_trace, save_trace
from opscope.progress import FractionProgress

# 2: is_op, flows, args kept in the source file; 3-5: readable lane labels, XSpace read
# directly, TF op self time over ops, overlapping slices on rows of their own; 6: XSpace
# counters; 7: OpenVINO profiles are the openvino dialect
CACHE_VERSION = "7"
CACHE_BUDGET_BYTES = 8 << 30  # imported traces kept, least recently used dropped first


def _fingerprint(path: Path) -> str:
    """A cache key that changes whenever the source (any file of a logdir) changes."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.sha256(CACHE_VERSION.encode())
    for f in files:
        stat = f.stat()
        digest.update(f"{f.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def import_trace_job(params: Any, progress: FractionProgress) -> dict[str, Any]:
    """Read ``params.path`` (file or folder); return the cached ``.npz`` and summaries
    (the ``import_trace`` contracts of ``opscope.backend.contracts.traces``)."""
    path = Path(params.path)
    if not path.exists():
        raise OpscopeError(f"cannot read {path}: no such file or folder")
    target = cache_dir("traces") / f"{_fingerprint(path)}.npz"
    trace = None
    if target.is_file():
        try:
            trace = load_trace(target)
            target.touch()  # recently used: trimmed last
            progress(0.9, "loaded from cache")
        except (OSError, ValueError, KeyError):
            trace = None
    if trace is None:
        trace = read_trace(path, lambda f, m: progress(0.85 * f, m))
        progress(0.9, "saving")
        save_trace(trace, target)
        trim_cache(target.parent, CACHE_BUDGET_BYTES, keep=target)
    result = {
        "trace_file": str(target),
        "path": str(path),
        "info": trace_summary(trace),
        "stats": op_stats(trace).rows(50),
    }
    progress(1.0, f"{trace.events} events")
    return result
