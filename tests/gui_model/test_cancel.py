"""Cancel on the pipeline panel stops the optimize job at once and leaves no file."""

from opscope.paths import cache_dir

from .conftest import DEMO_MODEL, SETTLE_MS, open_model


def cancel_mid_run(qtbot, window, page):
    """Start an Auto run, wait until the job reports progress, press Cancel."""
    panel = page.pipeline
    panel.auto.setChecked(True)
    panel.runs.setValue(200)
    panel.run_button.click()
    assert panel.cancel_button.isEnabled() and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: page.progress.overall.value() > 0, timeout=SETTLE_MS)
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        panel.cancel_button.click()


def test_cancel_mid_run_leaves_no_output(qtbot, window):
    page = open_model(qtbot, window, DEMO_MODEL)
    panel = page.pipeline
    cancel_mid_run(qtbot, window, page)
    output = page.run_output
    assert page.report is None
    assert not output.exists()
    assert not [p for p in output.parent.iterdir() if p.name.startswith(f".{output.name}")]
    assert page.status_label.text() == "Cancelled"
    assert page.results_area.currentWidget() is page.status_label
    assert page.progress.message.text() == "Cancelled"
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert not panel.profile_button.isEnabled()
    assert window.failed_jobs == 0


def test_cancel_leaves_no_intermediate_files(qtbot, window):
    page = open_model(qtbot, window, DEMO_MODEL)
    work_before = set(cache_dir("optimize").iterdir())
    cancel_mid_run(qtbot, window, page)
    assert set(cache_dir("optimize").iterdir()) == work_before
