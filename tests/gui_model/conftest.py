"""The model workflow in a real window: models made by the frameworks, jobs in children."""

from __future__ import annotations

from inspect import signature
from pathlib import Path

import pytest

from opscope.resources import DEMO_DIR

DEMO_MODEL = DEMO_DIR / "model.onnx"
TS_INPUT = "input:1x3x32x32:float32"  # a TorchScript archive records no input shapes
SETTLE_MS = 300_000  # the machine is shared: generous, never a timing assertion


def open_model(qtbot, window, path: Path):
    from opscope.gui.model_page import ModelPage

    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        window.open_path(str(path))
    page = window.tabs.currentWidget()
    assert isinstance(page, ModelPage), window.failed_jobs
    return page


def run_pipeline(qtbot, window, page, *, auto: bool, runs: int = 5, **choices):
    """Press Run with these choices and wait for the report."""
    panel = page.pipeline
    panel.auto.setChecked(auto)
    panel.runs.setValue(runs)
    panel.quantize.setCurrentText(choices.get("quantize", "none"))
    panel.level.setCurrentText(choices.get("level", "basic"))
    panel.slim.setChecked(choices.get("slim", False))
    panel.input_shapes.setText(choices.get("inputs", ""))
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        panel.run_button.click()
    assert window.failed_jobs == 0
    assert page.report is not None
    return page.report


def profile_takes_inputs() -> bool:
    from opscope.backend.optimize.profile import profile_model

    return "inputs" in signature(profile_model).parameters


@pytest.fixture(scope="session")
def torchscript_cnn(tmp_path_factory) -> Path:
    """A traced conv-BN-ReLU classifier saved with torch.jit.save; its input is 'input'."""
    import torch
    from torch import nn

    class SmallCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
            self.head = nn.Linear(16, 10)

        def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: A002 (the input's name)
            x = torch.relu(self.bn1(self.conv1(input)))
            x = torch.relu(self.conv2(x))
            return self.head(x.mean(dim=(2, 3)))

    torch.manual_seed(0)
    model = SmallCNN().eval()
    with torch.no_grad():
        model.bn1.running_mean.uniform_(-0.5, 0.5)
        model.bn1.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp("torchscript") / "cnn.pt"
    torch.jit.save(torch.jit.trace(model, torch.randn(1, 3, 32, 32)), str(path))
    return path
