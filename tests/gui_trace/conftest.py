"""Trace pages built from the demo traces the real profilers wrote (resources/make_demo.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from opscope.backend.jobs import JobSpec, run_job

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


def imported(name: str) -> dict:
    """The import job's result for a demo trace, as the window receives it."""
    return run_job(JobSpec("import_trace", {"path": str(DEMO / name)}))


@pytest.fixture(scope="session")
def torch_result() -> dict:
    return imported("pytorch_trace.json")


@pytest.fixture(scope="session")
def ort_result() -> dict:
    return imported("onnxruntime_profile.json")


@pytest.fixture(scope="session")
def mxnet_result() -> dict:
    return imported("mxnet_profile.json")


@pytest.fixture
def torch_page(open_page, torch_result):
    return open_page(torch_result)


@pytest.fixture(scope="session")
def tf_result() -> dict:
    return imported("tensorflow_logdir")


@pytest.fixture(scope="session")
def training_result(tmp_path_factory) -> dict:
    """A real PyTorch training trace (with forward → backward flows), made in a child process."""
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    out = tmp_path_factory.mktemp("torch") / "training_trace.json"
    script = Path(__file__).with_name("torch_training_trace.py")
    subprocess.run([sys.executable, str(script), str(out)], check=True, capture_output=True)
    return run_job(JobSpec("import_trace", {"path": str(out)}))


@pytest.fixture
def open_page(qtbot):
    """Open an import result as a shown 1600×1000 trace page."""

    def open_result(result: dict):
        from opscope.gui.trace_page import TracePage

        page = TracePage(result)
        qtbot.addWidget(page)
        page.resize(1600, 1000)
        page.show()
        qtbot.waitExposed(page)
        return page

    return open_result
