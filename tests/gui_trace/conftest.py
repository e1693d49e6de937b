"""Trace pages built from the demo traces the real profilers wrote (resources/make_demo.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opscope.profiling.jobs import import_trace_job

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


def imported(name: str) -> dict:
    """The import job's result for a demo trace, as the window receives it."""
    return import_trace_job({"path": str(DEMO / name)}, lambda fraction, message: None)


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
def torch_page(qtbot, torch_result):
    from opscope.gui.trace_page import TracePage

    page = TracePage(torch_result)
    qtbot.addWidget(page)
    page.resize(1600, 1000)
    page.show()
    qtbot.waitExposed(page)
    return page
