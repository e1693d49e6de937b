"""Graph pages over real models: the graph job runs in-process, the page reads its file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graph"))

from graph_fixtures import *  # noqa: E402, F403 - the graph tests' real models


def _ignore(fraction: float, message: str) -> None:
    pass


@pytest.fixture
def make_page(qtbot):
    """A shown GraphPage for a model, 1200×800, as the Graph tab builds it."""
    from opscope.backend.jobs import JobSpec, run_job
    from opscope.gui.graph.page import GraphPage

    def make(path: Path, **params):
        result = run_job(JobSpec("model_graph", {"path": str(path), **params}))
        page = GraphPage(result.graph_file, result.note)
        qtbot.addWidget(page)
        page.resize(1200, 800)
        page.show()
        qtbot.waitExposed(page)
        return page

    return make
