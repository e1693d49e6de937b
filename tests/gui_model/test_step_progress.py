"""The Optimize tab's per-step bars follow the job's typed progress events."""

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.gui.step_progress import StepBars, applicable_steps
from opscope.progress import ProgressEvent, Step


def _event(step: Step, fraction: float, overall: float, message: str = "") -> ProgressEvent:
    return ProgressEvent(step=step, fraction=fraction, overall=overall, message=message)


def test_steps_that_apply_to_a_run():
    assert applicable_steps("onnx", OptimizeOptions(auto=True)) == [
        Step.PRUNE,
        Step.AUTO,
        Step.VERIFY,
        Step.BENCHMARK,
    ]
    assert applicable_steps("torchscript", OptimizeOptions(quantize="static")) == [
        Step.CONVERT,
        Step.PRUNE,
        Step.QUANTIZE,
        Step.VERIFY,
        Step.BENCHMARK,
    ]
    assert Step.QUANTIZE not in applicable_steps("keras", OptimizeOptions())


def test_bars_show_each_steps_own_fraction(qtbot):
    widget = StepBars()
    qtbot.addWidget(widget)
    steps = [Step.CONVERT, Step.PRUNE, Step.QUANTIZE, Step.VERIFY, Step.BENCHMARK]
    widget.start(steps)
    widget.update_progress(_event(Step.CONVERT, 0.5, 0.07, "exporting with torch.onnx"))
    assert widget.step_value(Step.CONVERT) == 500
    assert widget.step_value(Step.PRUNE) == 0
    assert widget.overall.value() == 70
    widget.update_progress(_event(Step.VERIFY, 0.2, 0.16, "ran the original"))
    assert widget.step_value(Step.CONVERT) == 1000  # a later step reported: done
    assert widget.step_value(Step.VERIFY) == 200
    widget.update_progress(_event(Step.QUANTIZE, 0.4, 0.3, "INT8 static"))
    assert widget.step_value(Step.QUANTIZE) == 400
    assert widget.message.text() == "Quantize: INT8 static"
    widget.stop("Cancelled")
    assert widget.step_value(Step.QUANTIZE) == 400 and widget.message.text() == "Cancelled"
    widget.finish()
    assert all(widget.step_value(s) == 1000 for s in widget.steps)
