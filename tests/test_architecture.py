"""The architecture rules of ``[tool.importlinter]`` in pyproject.toml, checked by
import-linter on every test run (so CI fails on a broken rule).

The distribution maps folders onto subpackages (``gui/`` is ``opscope.gui``), which
import-linter cannot follow, so the check runs on a copy laid out as installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"opscope": "", "gui": "gui", "backend": "backend", "profiling": "profiling"}


def _installed_layout(target: Path) -> Path:
    package = target / "opscope"
    for folder, name in FOLDERS.items():
        shutil.copytree(
            ROOT / folder,
            package / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )
    (package / "resources").mkdir(exist_ok=True)
    shutil.copy(ROOT / "resources" / "__init__.py", package / "resources" / "__init__.py")
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def _lint(folder: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "pyproject.toml", "--no-cache"],
        cwd=folder,
        env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_contracts_hold(tmp_path):
    done = _lint(_installed_layout(tmp_path))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "broken" not in done.stdout.split("Contracts:")[-1].lower().replace("0 broken", "")


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("profiling/stats.py", "from opscope.gui import about\n"),
        ("gui/units.py", "import torch\n"),
        ("backend/optimize/bench.py", "from opscope.backend.optimize import pipeline\n"),
    ],
)
def test_a_broken_rule_fails_the_check(tmp_path, module, line):
    folder = _installed_layout(tmp_path)
    path = folder / "opscope" / module.replace("profiling/", "profiling/", 1)
    path.write_text(line + path.read_text())
    assert _lint(folder).returncode != 0
