"""Recently opened files, remembered in QSettings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

KEY = "recent_files"
MAX_RECENT = 10


def recent_files(settings: QSettings) -> list[str]:
    value = settings.value(KEY, [])
    if isinstance(value, str):
        value = [value]
    return [str(p) for p in value or [] if Path(str(p)).exists()]


def remember(settings: QSettings, path: str) -> list[str]:
    path = str(Path(path).resolve())
    files = [p for p in recent_files(settings) if p != path]
    files.insert(0, path)
    del files[MAX_RECENT:]
    settings.setValue(KEY, files)
    return files


def clear(settings: QSettings) -> None:
    settings.setValue(KEY, [])
