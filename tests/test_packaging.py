"""The distribution maps the repository's folders onto ``opscope.*`` packages."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"opscope": "opscope", "gui": "opscope.gui", "backend": "opscope.backend"}
FOLDERS |= {"profiling": "opscope.profiling", "resources": "opscope.resources"}


def test_every_python_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for folder, package in FOLDERS.items():
        assert config["package-dir"][package] == folder
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *relative)))
    assert found == listed


def test_qt_void_calls_keep_none_alive():
    """PySide6 6.12.0 on Python 3.11 released None once per void call and aborted the process
    after a few thousand; pyproject pins a release without that bug."""
    import sys

    from PySide6.QtCore import QObject

    holder = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        holder.setObjectName("x")
    assert sys.getrefcount(None) >= before - 10
