"""What a new user hits first in the window: tabs, folders, sizes, input shapes, reasons."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QKeySequence, QShortcut

from opscope.backend.contracts.models import InspectResult, TensorInfo, Verification
from opscope.backend.contracts.optimize import CandidateRow
from opscope.gui.main_window import default_size, folder_format_root
from opscope.gui.optimize_results import why_not
from opscope.gui.pipeline_panel import PipelinePanel, suggested_input
from opscope.resources import DEMO_DIR

from .conftest import DEMO_MODEL, open_model

TRACE = DEMO_DIR / "onnxruntime_profile.json"


def test_the_first_window_fits_the_screen():
    assert default_size(QSize(2560, 1440)) == QSize(1600, 1000)
    small = default_size(QSize(1600, 1000))
    assert small.width() <= 1472 and small.height() <= 920


def test_saved_model_pb_opens_its_folder(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"\x08\x01")
    assert folder_format_root(tmp_path / "saved_model.pb") == tmp_path
    assert folder_format_root(tmp_path) == tmp_path


def test_ctrl_w_and_the_tab_menu_close_tabs(qtbot, window):
    for path in (DEMO_MODEL, TRACE, TRACE):
        open_model_or_trace(qtbot, window, path)
    assert window.tabs.count() == 4
    assert window.tabs.path_of(3) == str(TRACE)
    [shortcut] = window.tabs.findChildren(QShortcut)
    assert shortcut.key() == QKeySequence(QKeySequence.StandardKey.Close)  # Ctrl+W
    window.tabs.close_current()
    assert window.tabs.count() == 3
    window.tabs.close_others(1)
    assert window.tabs.count() == 2 and window.tabs.widget(0) is window.welcome
    window.tabs.close_current()
    window.tabs.close_current()  # the start page never closes
    assert window.tabs.count() == 1


def open_model_or_trace(qtbot, window, path):
    with qtbot.waitSignal(window.jobs_settled, timeout=120_000):
        window.open_path(str(path))


def test_a_long_message_does_not_widen_the_window(qtbot, window):
    width = window.width()
    window.job_status.set_progress(0.5, "x" * 5000, "a job")
    assert window.width() == width
    assert window.job_status.label.toolTip().endswith("x" * 10)


def test_shapeless_inputs_are_asked_for_by_name(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    summary = InspectResult(
        format="torchscript",
        inputs=[
            TensorInfo(name="input", dtype="float32", shape=None),
            TensorInfo(name="attention_mask", dtype="?", shape=None),
        ],
        path="m.pt",
    )
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    panel = PipelinePanel(summary, settings)
    qtbot.addWidget(panel)
    assert panel.shapeless == ["input", "attention_mask"]
    assert panel.input_shapes.text() == "input:1x3x224x224:float32, attention_mask:1x128:int64"
    panel.input_shapes.setText("input:1x3x32x32:float32")
    with qtbot.assertNotEmitted(panel.run_requested):
        panel.run_button.click()
    assert (
        "Input shapes" in panel.input_error.text() and "attention_mask" in panel.input_error.text()
    )
    panel.input_shapes.setText("input:1x3x32x32:float32, attention_mask:1x16:int64")
    with qtbot.waitSignal(panel.run_requested) as run:
        panel.run_button.click()
    assert run.args[0].inputs == ("input:1x3x32x32:float32", "attention_mask:1x16:int64")


def test_suggestions():
    assert suggested_input(TensorInfo(name="input_ids", dtype="?", shape=None)).endswith(
        ":1x128:int64"
    )
    assert suggested_input(TensorInfo(name="data", dtype="float16", shape=None)) == (
        "data:1x3x224x224:float16"
    )


def test_the_runtime_choice_reaches_the_options(qtbot, window):
    page = open_model(qtbot, window, DEMO_MODEL)
    panel = page.pipeline
    panel.auto.setChecked(True)
    panel.runtime.setCurrentIndex(panel.runtime.findData("onnxruntime"))
    assert panel.options().runtime == "onnxruntime"
    panel.auto.setChecked(False)
    assert not panel.runtime.isEnabled()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"error": "step int8-static failed: boom", "passed": False}, "boom"),
        ({"max_abs_diff": 0.5, "top1_agreement": 1.0}, "max abs diff 0.5 over the tolerance"),
        ({"max_abs_diff": 0.001, "top1_agreement": 0.97}, "top-1 agreement 97.0% below 99%"),
    ],
)
def test_a_failing_candidate_says_why(row, expected):
    verify = Verification(
        max_abs_diff=0.0,
        mean_abs_diff=0.0,
        allclose=True,
        rtol=0.0,
        atol=0.01,
        top1_agreement=1.0,
        passed=True,
        outputs=1,
        min_top1=0.99,
    )
    values = {
        "name": "c",
        "latency_ms_p50": 1.0,
        "max_abs_diff": None,
        "top1_agreement": None,
        "passed": False,
        "chosen": False,
        "pareto": False,
    }
    assert expected in why_not(CandidateRow(**(values | row)), verify)


def test_tab_menu_offers_reveal(qtbot, window):
    open_model_or_trace(qtbot, window, TRACE)
    bar = window.tabs.tabBar()
    window.tabs._menu(bar.tabRect(1).center())
    actions = [a.text() for a in window.tabs._open_menu.actions()]
    assert actions == ["Close", "Close Other Tabs", "Reveal File in Folder"]
    window.tabs._open_menu.close()


def test_the_default_tolerance_is_the_backends_relative_one(qtbot, window):
    page = open_model(qtbot, window, DEMO_MODEL)
    panel = page.pipeline
    panel.tolerance.setValue(0.0)
    assert panel.options().tolerance is None and "relative" in panel.tolerance.text()
    panel.tolerance.setValue(0.05)
    assert panel.options().tolerance == 0.05


def test_the_input_field_shows_the_shapes_an_empty_field_runs_at(qtbot, tmp_path):
    """The placeholder is what ``inspect`` says a run generates, not a generic example."""
    from PySide6.QtCore import QSettings

    from opscope.backend.contracts.models import GeneratedInput

    generated = GeneratedInput(name="x", dtype="float32", shape=[2, 3, 64, 64], values="floats")
    summary = InspectResult(
        format="torch-export",
        inputs=[TensorInfo(name="x", dtype="float32", shape=[2, 3, 64, 64])],
        generated_inputs=[generated],
        path="m.pt2",
    )
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    panel = PipelinePanel(summary, settings)
    qtbot.addWidget(panel)
    assert panel.input_shapes.placeholderText() == "empty: x:2x3x64x64:float32 (generated)"


def test_a_candidate_auto_mode_did_not_build_is_neither_failed_nor_none():
    from opscope.backend.contracts.optimize import CandidateRow
    from opscope.gui.optimize_results import verify_text

    unmeasured = {"latency_ms_p50": None, "top1_agreement": None, "chosen": False, "pareto": False}
    not_built = CandidateRow(
        name="int8-static-entropy",
        passed=False,
        max_abs_diff=None,
        screened_out="not built: the same graph as int8-static-minmax",
        **unmeasured,
    )
    assert verify_text(not_built) == "–"
    failed = CandidateRow(name="int8-static-minmax", passed=False, max_abs_diff=0.03, **unmeasured)
    assert verify_text(failed) == "fail"
