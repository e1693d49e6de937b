"""How far an optimize job is: one bar per pipeline step, and one for the whole job.

The job reports ``progress(fraction, message)``; a message that starts with a step's name
and a colon (``"Quantize: calibrating"``) moves that step's bar. Messages without a known
step prefix still move the overall bar, so an older backend shows less detail but never
breaks the panel.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QProgressBar, QWidget

# The optimize job's steps, in the order it runs them (``STEPS`` in
# ``backend/optimize/pipeline.py``; the GUI never imports the pipeline for a constant).
STEPS = ("Convert", "Prune", "Quantize", "Verify", "Benchmark", "Auto")
RUN_ORDER = ("Convert", "Prune", "Quantize", "Auto", "Verify", "Benchmark")
SCALE = 1000


def applicable_steps(model_format: str, options: dict[str, Any]) -> list[str]:
    """The steps a run with ``options`` goes through, in run order."""
    skipped = set()
    if model_format == "onnx":
        skipped.add("Convert")
    if options.get("auto"):
        skipped.add("Quantize")
    else:
        skipped.add("Auto")
        if not options.get("quantize"):
            skipped.add("Quantize")
    return [step for step in RUN_ORDER if step not in skipped]


def step_of(message: str) -> str | None:
    """The step a progress message belongs to, from its ``"Step: …"`` prefix."""
    head, colon, _ = message.partition(":")
    return head.strip() if colon and head.strip() in STEPS else None


class StepProgress(QGroupBox):
    """Pending steps are empty, the running one is busy, finished ones are full."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Progress", parent)
        self.grid = QGridLayout(self)
        self.steps: list[str] = []
        self.bars: dict[str, QProgressBar] = {}
        self.active: str | None = None
        self.overall = self._bar()
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.setVisible(False)

    def _bar(self) -> QProgressBar:
        bar = QProgressBar(self)
        bar.setRange(0, SCALE)
        bar.setValue(0)
        bar.setFormat("")
        bar.setMaximumHeight(14)
        return bar

    def start(self, steps: list[str]) -> None:
        """Lay out one bar per step of the coming run, all empty."""
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget not in (self.overall, self.message):
                widget.deleteLater()
        self.steps, self.active = list(steps), None
        self.bars = {step: self._bar() for step in steps}
        for row, step in enumerate(steps):
            self.grid.addWidget(QLabel(step, self), row, 0)
            self.grid.addWidget(self.bars[step], row, 1)
        self.grid.addWidget(QLabel("<b>Overall</b>", self), len(steps), 0)
        self.grid.addWidget(self.overall, len(steps), 1)
        self.grid.addWidget(self.message, len(steps) + 1, 0, 1, 2)
        self.grid.setColumnStretch(1, 1)
        self.overall.setValue(0)
        self.message.setText("starting…")
        self.setVisible(True)

    def update_progress(self, fraction: float, message: str) -> None:
        """One progress message of the job."""
        self.overall.setValue(round(max(0.0, min(1.0, fraction)) * SCALE))
        self.message.setText(message)
        step = step_of(message)
        if step in self.bars:
            self._activate(step)

    def _activate(self, step: str) -> None:
        """The step that reported before is done; ``step`` runs. Order-agnostic on
        purpose: verification reports between the other steps, and a step may come back."""
        if self.active is not None and self.active != step:
            self._set_done(self.active)
        self.bars[step].setRange(0, 0)  # busy: a step does not say how far it is
        self.active = step

    def _set_done(self, step: str) -> None:
        bar = self.bars[step]
        bar.setRange(0, SCALE)
        bar.setValue(SCALE)

    def finish(self) -> None:
        for step in self.steps:
            self._set_done(step)
        self.overall.setValue(SCALE)
        self.message.setText("done")
        self.active = None

    def stop(self, text: str) -> None:
        """The job was cancelled or failed: freeze the bars and say so."""
        for bar in self.bars.values():
            if bar.maximum() == 0:
                bar.setRange(0, SCALE)
                bar.setValue(0)
        self.message.setText(text)
        self.active = None

    def step_value(self, step: str) -> int | None:
        """A step's bar: its value out of 1000, or None while it is busy."""
        bar = self.bars[step]
        return None if bar.maximum() == 0 else bar.value()
