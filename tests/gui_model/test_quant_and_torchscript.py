"""A statically quantized model's quantization nodes; a TorchScript model with the
convert options the panel collects."""

import onnx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from opscope.backend.jobs import JobSpec, run_job
from opscope.gui.compare_page import ComparePage
from opscope.gui.trace_page import TracePage
from opscope.progress import Step

from .conftest import (
    DEMO_MODEL,
    SETTLE_MS,
    TS_INPUT,
    open_model,
    run_pipeline,
)

QUANT_OPS = {"QuantizeLinear", "DequantizeLinear"}


@pytest.fixture(scope="module")
def int8_model(tmp_path_factory):
    """The demo model after static INT8 (QDQ) quantization by the optimize job."""
    target = tmp_path_factory.mktemp("int8") / "model.int8.onnx"
    options = {"quantize": "static", "runs": 5}
    params = {"path": str(DEMO_MODEL), "output": str(target), "options": options}
    run_job(JobSpec("optimize_model", params))
    return target


def test_quantized_model_shows_its_quantization_nodes(qtbot, window, int8_model):
    nodes = onnx.load(str(int8_model)).graph.node
    quant = sum(n.op_type in QUANT_OPS for n in nodes)
    assert quant > 0
    page = open_model(qtbot, window, int8_model)
    assert page.findChild(QLabel, "card_quantization_nodes").text() == f"{quant:,}"
    model = page.op_model
    marked = {model.rows[r][0] for r in range(model.rowCount()) if r in model.highlighted}
    assert marked == {n.op_type for n in nodes if n.op_type in QUANT_OPS}
    row = next(r for r in range(model.rowCount()) if model.rows[r][0] == "QuantizeLinear")
    assert model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    listed = [page.quant_list.item(i).text() for i in range(page.quant_list.count())]
    assert sorted(text.split()[0] for text in listed) == sorted(marked)


def test_input_shapes_reach_the_job_in_the_backends_format(qtbot, window, torchscript_cnn):
    page = open_model(qtbot, window, torchscript_cnn)
    panel = page.pipeline
    assert panel.opset.isEnabled()
    panel.opset.setValue(17)
    panel.input_shapes.setText(f" {TS_INPUT} ")
    assert panel.options().inputs == (TS_INPUT,)
    assert panel.options().opset == 17
    with qtbot.assertNotEmitted(panel.run_requested):
        panel.input_shapes.setText("input:1x3xbad")
        panel.run_button.click()
    assert not panel.input_error.isHidden() and "'bad'" in panel.input_error.text()


def test_optimize_torchscript_with_given_input_shape(qtbot, window, torchscript_cnn):
    page = open_model(qtbot, window, torchscript_cnn)
    assert page.result.inputs[0].shape is None  # TorchScript records no shapes
    page.pipeline.opset.setValue(17)
    report = run_pipeline(qtbot, window, page, auto=False, inputs=TS_INPUT, level="extended")
    assert report.verify.passed
    assert report.after.inputs[0].shape[1:] == [3, 32, 32]
    assert all(page.progress.step_value(s) == 1000 for s in page.progress.steps)
    assert page.progress.steps[0] is Step.CONVERT
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        page.pipeline.profile_button.click()
    assert window.failed_jobs == 0
    traces = [window.tabs.widget(i) for i in range(window.tabs.count())]
    native = [t for t in traces if isinstance(t, TracePage)]
    assert len(native) == 2
    compare = window.tabs.currentWidget()
    assert isinstance(compare, ComparePage) and compare.model.rowCount() > 0
