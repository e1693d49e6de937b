"""``read_trace``: one entry point for every trace format, chosen by content.

File names lie (a ``.json`` that is gzip, a ``.pb`` copied without its extension), so the
first bytes decide: gzip is unwrapped, JSON goes to the Chrome-trace reader (which tells the
dialects apart by their events), a protobuf or a folder goes to the TensorFlow reader.
Every user-facing failure becomes an :class:`OpscopeError` that starts with
``cannot read <path>:``.
"""

from __future__ import annotations

from pathlib import Path

from opscope.errors import OpscopeError
from opscope.profiling.trace import Trace
from opscope.progress import FractionProgress
from opscope.sniff import TEXT_PADDING, read_head, starts_like_json


def _read(path: Path, progress: FractionProgress | None) -> Trace:
    from opscope.profiling import chrome, tensorflow

    if not path.exists():
        raise OpscopeError("no such file or folder")
    if path.is_dir():
        return tensorflow.read_tensorflow_dir(path, progress)
    head = read_head(path)
    if not head.strip(TEXT_PADDING):
        raise OpscopeError("the file is empty")
    if starts_like_json(head):
        return chrome.read_chrome_file(path, progress=progress)
    if tensorflow.looks_like_xspace(head):
        return tensorflow.read_xplane_files([path], progress)
    raise OpscopeError("it is neither a JSON trace nor a TensorFlow profiler file (.xplane.pb)")


def read_trace(path: str | Path, progress: FractionProgress | None = None) -> Trace:
    """Read a trace file or TensorFlow logdir; bad input raises :class:`OpscopeError`."""
    path = Path(path)
    try:
        trace = _read(path, progress)
    except OpscopeError as exc:
        raise OpscopeError(f"cannot read {path}: {exc}") from None
    except MemoryError:
        raise OpscopeError(f"cannot read {path}: not enough memory") from None
    if progress is not None:
        progress(1.0, f"read {trace.events} events")
    return trace
