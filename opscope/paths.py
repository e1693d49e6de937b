"""Where opscope keeps its own files: never beside the user's files."""

import os
from pathlib import Path

import platformdirs

APP_NAME = "opscope"


def cache_dir(*parts: str) -> Path:
    """A folder in the user cache (``OPSCOPE_CACHE_DIR`` overrides it, e.g. for tests)."""
    root = os.environ.get("OPSCOPE_CACHE_DIR") or platformdirs.user_cache_dir(APP_NAME)
    folder = Path(root).joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def trim_cache(folder: Path, budget_bytes: int, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used files of ``folder`` until it fits ``budget_bytes``.

    Caches of imported traces grow by the size of every trace opened; users never clean
    them by hand, so each write trims the folder. ``keep`` (the file just written) stays.
    """
    files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime)
    total = sum(p.stat().st_size for p in files)
    removed = []
    for path in files:
        if total <= budget_bytes:
            break
        if keep is not None and path == keep:
            continue
        total -= path.stat().st_size
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed
