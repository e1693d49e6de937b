"""After an optimize run: profile both models, save the report, export the model."""

import json

import pytest
from PySide6.QtWidgets import QFileDialog

from opscope.backend.contracts.base import to_builtins
from opscope.gui.compare_page import ComparePage
from opscope.gui.trace_page import TracePage
from opscope.progress import Step

from .conftest import DEMO_MODEL, SETTLE_MS, open_model, run_pipeline


@pytest.fixture
def optimized_page(qtbot, window):
    page = open_model(qtbot, window, DEMO_MODEL)
    run_pipeline(qtbot, window, page, auto=False, level="extended")
    return page


def _pages(window, kind):
    return [
        window.tabs.widget(i)
        for i in range(window.tabs.count())
        if isinstance(window.tabs.widget(i), kind)
    ]


def test_profile_opens_two_traces_and_their_comparison(qtbot, window, optimized_page):
    page = optimized_page
    assert page.pipeline.profile_button.isEnabled()
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        page.pipeline.profile_button.click()
        # the panel follows its profiling jobs: its bars, and a live Cancel
        assert page.progress.steps == [Step.PROFILE, Step.IMPORT]
        assert page.pipeline.cancel_button.isEnabled()
    assert window.failed_jobs == 0
    assert not page.profiling and not page.pipeline.cancel_button.isEnabled()
    assert page.progress.step_value(Step.IMPORT) == 1000
    traces = _pages(window, TracePage)
    compares = _pages(window, ComparePage)
    assert len(traces) == 2 and len(compares) == 1
    assert window.tabs.currentWidget() is compares[0]
    assert compares[0].model.rowCount() > 0
    both = [r["op"] for r in compares[0].rows if r.get("count_a") and r.get("count_b")]
    assert both  # operators that ran in the original and in the optimized model
    assert {id(t.trace) for t in traces} == {id(t) for t in compares[0].traces}  # loaded once
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert any("(original," in t for t in titles) and any("(optimized," in t for t in titles)


def test_save_report_as_markdown_and_json(qtbot, window, optimized_page, tmp_path, monkeypatch):
    report = optimized_page.report
    assert window.save_report_action.isEnabled()
    for name in ("report.md", "report.json"):
        target = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
            window.save_report_action.trigger()  # a job: the GUI thread writes nothing
    markdown = (tmp_path / "report.md").read_text()
    assert markdown.startswith(f"# Optimization report: {DEMO_MODEL.name}")
    assert f"Speedup (p50): {report.speedup:.2f}x" in markdown
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["after"]["nodes"] == report.after.nodes
    assert saved["verify"] == to_builtins(report.verify)


def test_export_writes_the_optimized_model_byte_for_byte(
    qtbot, window, optimized_page, tmp_path, monkeypatch
):
    cached = optimized_page.run_output
    target = tmp_path / "exported.onnx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        window.export_action.trigger()
    assert window.failed_jobs == 0
    assert target.read_bytes() == cached.read_bytes()
    assert json.loads((tmp_path / "exported.report.json").read_text())["output"] == str(target)
    assert (tmp_path / "exported.report.md").is_file()
