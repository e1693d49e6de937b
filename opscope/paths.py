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
