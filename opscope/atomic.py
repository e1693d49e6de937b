"""Atomic output files: a reader sees the whole file or none of it.

Every output is first written to a temporary file in the target folder and moved into
place with ``os.replace`` only when complete. A failure removes the temporary file; a
job process killed mid-write has announced its temporary paths to its parent (see
:func:`set_temp_listener`), which removes them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

_temp_listener: Callable[[str], None] | None = None


def set_temp_listener(listener: Callable[[str], None] | None) -> None:
    """Call ``listener(path)`` for every temporary path created from now on."""
    global _temp_listener
    _temp_listener = listener


def _announce(path: str) -> None:
    if _temp_listener is not None:
        _temp_listener(path)


def remove_path(path: str | os.PathLike) -> None:
    """Remove a file or folder if it exists."""
    p = Path(path)
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, is_dir: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Announce the name before creating it, so a process killed in between leaves nothing.
    temp = target.parent / f".{target.name}.opscope-tmp-{uuid.uuid4().hex[:12]}"
    _announce(str(temp))
    if is_dir:
        temp.mkdir()
    else:
        temp.touch(exist_ok=False)
    try:
        yield temp
        if is_dir and target.exists():
            remove_path(target)
        os.replace(temp, target)
    except BaseException:
        remove_path(temp)
        raise


@contextlib.contextmanager
def scratch_folder(kind: str) -> Iterator[str]:
    """A private folder for a job's intermediate files, in opscope's cache (never beside the
    user's files), removed on exit, and announced so a killed job's folder is removed too."""
    from opscope.paths import cache_dir

    folder = cache_dir(kind) / f"work-{uuid.uuid4().hex[:12]}"
    _announce(str(folder))
    folder.mkdir()
    try:
        yield str(folder)
    finally:
        remove_path(folder)


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> None:
    with atomic_path(target) as temp:
        temp.write_bytes(data)


def write_text_atomic(target: str | os.PathLike, text: str) -> None:
    write_bytes_atomic(target, text.encode("utf-8"))


def check_output_path(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Refuse an output that would overwrite the source, land inside it, or replace a folder
    (one rule for every verb that writes a model: convert, optimize, export)."""
    from opscope.errors import OpscopeError

    source, target = Path(source).resolve(), Path(target).resolve()
    if target == source or target.is_relative_to(source):
        raise OpscopeError(f"the output {target} would overwrite the model")
    if target.is_dir():
        raise OpscopeError(f"the output {target} is a folder")
