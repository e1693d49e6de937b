"""The Optimize tab's per-step bars follow the job's "Step: …" progress messages."""

from opscope.gui.step_progress import STEPS, StepProgress, applicable_steps, step_of


def test_steps_that_apply_to_a_run():
    assert applicable_steps("onnx", {"auto": True}) == ["Prune", "Auto", "Verify", "Benchmark"]
    assert applicable_steps("torchscript", {"auto": False, "quantize": "static"}) == [
        "Convert",
        "Prune",
        "Quantize",
        "Verify",
        "Benchmark",
    ]
    assert "Quantize" not in applicable_steps("keras", {"auto": False, "quantize": None})


def test_the_gui_knows_the_backends_step_names():
    from opscope.backend.optimize import pipeline

    backend_steps = getattr(pipeline, "STEPS", STEPS)  # exported once the backend change lands
    assert set(backend_steps) == set(STEPS)


def test_step_prefixes():
    assert step_of("Quantize: calibrating on 8 batches") == "Quantize"
    assert step_of("pruning") is None
    assert step_of("opening model.onnx") is None
    assert step_of("Reshape: a node name with a colon") is None


def test_bars_follow_the_messages(qtbot):
    widget = StepProgress()
    qtbot.addWidget(widget)
    widget.start(["Convert", "Prune", "Quantize", "Verify", "Benchmark"])
    assert widget.steps == ["Convert", "Prune", "Quantize", "Verify", "Benchmark"]
    widget.update_progress(0.05, "Convert: exporting with torch.onnx")
    assert widget.step_value("Convert") is None  # busy
    assert widget.step_value("Prune") == 0
    widget.update_progress(0.18, "Verify: ran the original on the reference inputs")
    assert widget.step_value("Convert") == 1000
    assert widget.step_value("Verify") is None
    widget.update_progress(0.2, "Prune: keep outputs logits")
    widget.update_progress(0.3, "Quantize: calibrating")
    assert widget.step_value("Verify") == 1000
    assert widget.step_value("Prune") == 1000
    assert widget.step_value("Quantize") is None
    assert widget.step_value("Benchmark") == 0
    widget.update_progress(0.5, "an old-style message")  # only the overall bar moves
    assert widget.step_value("Quantize") is None
    assert widget.overall.value() == 500
    assert widget.message.text() == "an old-style message"
    widget.stop("Cancelled")
    assert widget.step_value("Quantize") == 0
    assert widget.message.text() == "Cancelled"
    widget.finish()
    assert all(widget.step_value(s) == 1000 for s in widget.steps)
