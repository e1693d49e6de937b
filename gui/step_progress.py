"""How far an optimize job is: one bar per pipeline step, and one for the whole job.

Each progress event names its :class:`~opscope.progress.Step` and that step's own fraction,
so a step's bar shows how far the step really is; the overall bar shows the job's overall
fraction, which never goes backwards.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QProgressBar, QWidget

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.progress import ProgressEvent, Step

RUN_ORDER = (Step.CONVERT, Step.PRUNE, Step.QUANTIZE, Step.AUTO, Step.VERIFY, Step.BENCHMARK)
SCALE = 1000


def applicable_steps(model_format: str, options: OptimizeOptions) -> list[Step]:
    """The steps a run with ``options`` goes through, in run order."""
    skipped = set()
    if model_format == "onnx":
        skipped.add(Step.CONVERT)
    if options.auto:
        skipped.add(Step.QUANTIZE)
    else:
        skipped.add(Step.AUTO)
        if not options.quantize:
            skipped.add(Step.QUANTIZE)
    return [step for step in RUN_ORDER if step not in skipped]


class StepBars(QGroupBox):
    """Pending steps are empty, running ones show their fraction, finished ones are full."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Progress", parent)
        self.grid = QGridLayout(self)
        self.steps: list[Step] = []
        self.bars: dict[Step, QProgressBar] = {}
        self.active: Step | None = None
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

    def start(self, steps: list[Step]) -> None:
        """Lay out one bar per step of the coming run, all empty."""
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget not in (self.overall, self.message):
                widget.deleteLater()
        self.steps, self.active = list(steps), None
        self.bars = {step: self._bar() for step in steps}
        for row, step in enumerate(steps):
            self.grid.addWidget(QLabel(step.value, self), row, 0)
            self.grid.addWidget(self.bars[step], row, 1)
        self.grid.addWidget(QLabel("<b>Overall</b>", self), len(steps), 0)
        self.grid.addWidget(self.overall, len(steps), 1)
        self.grid.addWidget(self.message, len(steps) + 1, 0, 1, 2)
        self.grid.setColumnStretch(1, 1)
        self.overall.setValue(0)
        self.message.setText("starting…")
        self.setVisible(True)

    def update_progress(self, event: ProgressEvent) -> None:
        """One progress event of the job."""
        self.overall.setValue(round(event.overall * SCALE))
        self.message.setText(f"{event.step.value}: {event.message}")
        if event.step in self.bars:
            self._activate(event.step)
            self.bars[event.step].setValue(round(event.fraction * SCALE))

    def _activate(self, step: Step) -> None:
        """The step that reported before is done; ``step`` runs. Order-agnostic on
        purpose: verification reports between the other steps, and a step may come back."""
        if self.active is not None and self.active != step:
            self._set_done(self.active)
        self.active = step

    def _set_done(self, step: Step) -> None:
        self.bars[step].setValue(SCALE)

    def finish(self) -> None:
        for step in self.steps:
            self._set_done(step)
        self.overall.setValue(SCALE)
        self.message.setText("done")
        self.active = None

    def stop(self, text: str) -> None:
        """The job was cancelled or failed: freeze the bars and say so."""
        self.message.setText(text)
        self.active = None

    def step_value(self, step: Step) -> int:
        """A step's bar: its value out of 1000."""
        return self.bars[step].value()
