"""The model workflow driven through the window: open → inspect → Auto → export."""

import json
from pathlib import Path

import pytest

from .conftest import DEMO_MODEL, open_model


def test_open_inspect_auto_export(qtbot, window, tmp_path):
    page = open_model(qtbot, window, DEMO_MODEL)
    assert not window.export_action.isEnabled()
    page.pipeline.auto.setChecked(True)
    page.pipeline.runs.setValue(10)
    with qtbot.waitSignal(window.jobs_settled, timeout=300000):
        page.pipeline.run_button.click()
    assert window.failed_jobs == 0
    report = page.report
    assert report is not None and report.verify.passed
    results = page.results_area.currentWidget()
    assert results.badge.text() == "PASS"
    factor = report.speedup
    shown = f"{factor:.2f}× faster" if factor >= 1 else f"{1 / factor:.2f}× slower"
    assert shown in results.speedup_label.text()
    chosen = [c for c in report.candidates if c.chosen]
    assert len(chosen) == 1 and chosen[0].passed
    assert results.candidate_view.model().rowCount() == len(report.candidates)
    assert window.export_action.isEnabled()

    target = tmp_path / "exported.onnx"
    with qtbot.waitSignal(window.jobs_settled, timeout=60000):
        window.model_workflow.export(str(target))
    assert window.failed_jobs == 0
    saved = json.loads((tmp_path / "exported.report.json").read_text())
    # the model is written in the runtime it won in (which one wins depends on the CPU)
    shipped = target if report.runtime == "onnxruntime" else target.with_suffix(".xml")
    assert saved["output"] == str(shipped) and saved["runtime"] == report.runtime
    assert str(shipped.resolve()) in saved["files"]
    assert all(Path(f).stat().st_size > 0 for f in saved["files"])
    assert target.exists() == (report.runtime == "onnxruntime")
    assert saved["speedup"] == pytest.approx(report.speedup)
    assert "Verification" in (tmp_path / "exported.report.md").read_text()
