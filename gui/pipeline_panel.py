"""The pipeline panel: the options of convert, prune, quantize, verify and benchmark, or Auto.

It only collects options; the window turns them into an ``optimize_model`` job. The last
options are remembered in QSettings so the next model starts from them.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from opscope.backend.contracts.models import InspectResult, ModelSummary, TensorInfo
from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.errors import OpscopeError

LEVELS = ("basic", "extended", "layout", "all")
QUANTIZE = ("none", "dynamic", "static", "fp16")
SETTINGS_PREFIX = "pipeline/"
RELATIVE_TOLERANCE = 0.0  # the spin box's special value: the backend's relative default

RUNTIMES = (
    ("any runtime (fastest here)", "any"),
    ("onnxruntime", "onnxruntime"),
    ("OpenVINO", "openvino"),
)


def suggested_input(tensor: TensorInfo) -> str:
    """A starting point for a tensor whose file records no shape: token ids and masks as a
    batch of 128 int64, anything else as one 224x224 RGB image."""
    name, dtype = tensor.name, tensor.dtype
    if dtype.startswith("int") or any(k in name.lower() for k in ("ids", "mask", "token")):
        return f"{name}:1x128:int64"
    return f"{name}:1x3x224x224:{dtype if dtype.startswith('float') else 'float32'}"


def generated_text(result: InspectResult) -> str:
    """The field's placeholder: the shapes a run uses when the field is left empty."""
    shapes = [
        f"{g.name}:{'x'.join(map(str, g.shape))}:{g.dtype}"
        for g in result.generated_inputs
        if g.shape is not None
    ]
    if not shapes or len(shapes) < len(result.generated_inputs):
        return "NAME:1x3x224x224:float32, … (empty: as saved)"
    return "empty: " + ", ".join(shapes) + " (generated)"


def parse_input_shapes(text: str) -> list[str]:
    """The "Input shapes" field as the job's ``inputs``: ``NAME:SHAPE:DTYPE`` strings.

    Checked here with the backend's own parser so a typo is reported beside the field at
    once instead of as a failed job a minute later.
    """
    from opscope.backend.inputs import parse_input_option

    items = [s.strip().replace(" ", "") for s in text.split(",") if s.strip()]
    for item in items:
        parse_input_option(item)
    return items


class PipelinePanel(QWidget):
    run_requested = Signal(object)  # the optimize job's OptimizeOptions
    cancel_requested = Signal()
    profile_requested = Signal()

    def __init__(self, summary: InspectResult, settings: QSettings, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings
        layout = QVBoxLayout(self)
        layout.addWidget(self._convert_box(summary))
        layout.addWidget(self._prune_box(summary))
        layout.addWidget(self._quantize_box())
        layout.addWidget(self._verify_box())
        self.auto = QCheckBox("Auto: try the candidates, keep the fastest that passes", self)
        layout.addWidget(self.auto)
        deploy = QFormLayout()
        self.runtime = QComboBox(self)
        for title, key in RUNTIMES:
            self.runtime.addItem(title, key)
        self.runtime.setToolTip("Where the model will be deployed: auto mode tries only there")
        deploy.addRow("Deploy with", self.runtime)
        layout.addLayout(deploy)
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run", self)
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self._emit_run)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.profile_button = QPushButton("Profile original and optimized", self)
        self.profile_button.setEnabled(False)
        self.profile_button.clicked.connect(self.profile_requested)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.profile_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.auto.toggled.connect(self._sync_enabled)
        self.quantize.currentTextChanged.connect(self._sync_enabled)
        self._restore()
        self._sync_enabled()

    # -- the groups ----------------------------------------------------------------------
    def _convert_box(self, summary: InspectResult) -> QGroupBox:
        box = QGroupBox("Convert to ONNX", self)
        form = QFormLayout(box)
        self.opset = QSpinBox(box)
        self.opset.setRange(0, 23)
        self.opset.setSpecialValueText("exporter's default")
        self.input_shapes = QLineEdit(box)
        self.input_shapes.setPlaceholderText(generated_text(summary))
        self.input_error = QLabel("", box)
        self.input_error.setStyleSheet("color: #c0392b;")
        self.input_error.setWordWrap(True)
        self.input_error.setVisible(False)
        self.shapeless = [t.name for t in summary.inputs if t.shape is None]
        form.addRow("Opset", self.opset)
        if self.shapeless:
            # TorchScript and MXNet files record no input shapes: ask for them up front,
            # by name, with a suggestion to edit
            self.input_shapes.setText(", ".join(suggested_input(t) for t in summary.inputs))
            hint = QLabel(
                f"{summary.format} records no input shapes: check the suggested shape of "
                + ", ".join(self.shapeless),
                box,
            )
            hint.setWordWrap(True)
            hint.setStyleSheet("color: #666; font-size: 11px;")
            form.addRow("Input shapes (required)", self.input_shapes)
            form.addRow("", hint)
        else:
            form.addRow("Input shapes", self.input_shapes)
        form.addRow("", self.input_error)
        box.setEnabled(summary.format != "onnx")
        return box

    def _prune_box(self, summary: ModelSummary) -> QGroupBox:
        box = QGroupBox("Prune", self)
        form = QFormLayout(box)
        self.outputs = QListWidget(box)
        for tensor in summary.outputs:
            item = QListWidgetItem(tensor.name, self.outputs)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
        self.outputs.setMaximumHeight(90)
        self.level = QComboBox(box)
        self.level.addItems(LEVELS)
        self.slim = QCheckBox("onnxslim (constant folding, fusions, dead nodes)", box)
        form.addRow("Outputs to keep", self.outputs)
        form.addRow("ORT optimization level", self.level)
        form.addRow("", self.slim)
        return box

    def _quantize_box(self) -> QGroupBox:
        box = QGroupBox("Quantize", self)
        form = QFormLayout(box)
        self.quantize = QComboBox(box)
        self.quantize.addItems(QUANTIZE)
        calib_row = QHBoxLayout()
        self.calib = QLineEdit(box)
        self.calib.setPlaceholderText("calibration .npz / .npy (empty: generated inputs)")
        browse = QPushButton("…", box)
        browse.clicked.connect(self._browse_calibration)
        calib_row.addWidget(self.calib)
        calib_row.addWidget(browse)
        form.addRow("Mode", self.quantize)
        form.addRow("Calibration", calib_row)
        return box

    def _verify_box(self) -> QGroupBox:
        box = QGroupBox("Verify and benchmark", self)
        form = QFormLayout(box)
        self.tolerance = QDoubleSpinBox(box)
        self.tolerance.setDecimals(6)
        self.tolerance.setRange(RELATIVE_TOLERANCE, 10.0)
        self.tolerance.setSingleStep(1e-3)
        self.tolerance.setSpecialValueText("relative: 0.001 × each output's largest value")
        self.tolerance.setValue(RELATIVE_TOLERANCE)
        self.runs = QSpinBox(box)
        self.runs.setRange(5, 10000)
        self.runs.setValue(50)
        self.threads = QSpinBox(box)
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("all cores")
        form.addRow("Tolerance (absolute)", self.tolerance)
        form.addRow("Benchmark runs", self.runs)
        form.addRow("Threads", self.threads)
        return box

    # -- behaviour -----------------------------------------------------------------------
    def _browse_calibration(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Calibration data", "", "NumPy (*.npz *.npy);;All files (*)"
        )
        if path:
            self.calib.setText(path)

    def _sync_enabled(self) -> None:
        manual = not self.auto.isChecked()
        self.runtime.setEnabled(not manual)
        for widget in (self.level, self.slim, self.quantize):
            widget.setEnabled(manual)
        self.calib.setEnabled(self.quantize.currentText() == "static" or not manual)

    def kept_outputs(self) -> list[str]:
        items = [self.outputs.item(i) for i in range(self.outputs.count())]
        return [i.text() for i in items if i.checkState() == Qt.CheckState.Checked]

    def options(self) -> OptimizeOptions:
        """The ``optimize_model`` job's options (without the model and output paths)."""
        all_outputs = self.outputs.count()
        kept = self.kept_outputs()
        quantize = self.quantize.currentText()
        return OptimizeOptions(
            opset=self.opset.value() or None,
            inputs=tuple(parse_input_shapes(self.input_shapes.text())),
            keep_outputs=tuple(kept) if len(kept) < all_outputs else (),
            level=self.level.currentText(),
            slim=self.slim.isChecked(),
            quantize=None if quantize == "none" else quantize,
            calib=self.calib.text().strip() or None,
            auto=self.auto.isChecked(),
            tolerance=self.tolerance.value() or None,
            runs=self.runs.value(),
            threads=self.threads.value() or None,
            runtime=self.runtime.currentData(),
        )

    def _emit_run(self) -> None:
        try:
            options = self.options()
            named = {text.split(":", 1)[0] for text in options.inputs}
            missing = [name for name in self.shapeless if name not in named]
            if missing:
                raise OpscopeError(
                    f"Input shapes: give the shape of {', '.join(missing)} "
                    "(NAME:1x3x224x224:float32)"
                )
        except OpscopeError as exc:
            self.input_error.setText(str(exc))
            self.input_error.setVisible(True)
            return
        self.input_error.setVisible(False)
        self._save()
        self.run_requested.emit(options)

    def set_running(self, running: bool) -> None:
        """While a run is under way only Cancel is live: one optimize job at a time."""
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.profile_button.setEnabled(False)

    def _save(self) -> None:
        s, p = self.settings, SETTINGS_PREFIX
        s.setValue(p + "level", self.level.currentText())
        s.setValue(p + "slim", self.slim.isChecked())
        s.setValue(p + "quantize", self.quantize.currentText())
        s.setValue(p + "auto", self.auto.isChecked())
        s.setValue(p + "tolerance", self.tolerance.value())
        s.setValue(p + "runs", self.runs.value())
        s.setValue(p + "threads", self.threads.value())
        s.setValue(p + "runtime", self.runtime.currentData())

    def _restore(self) -> None:
        s, p = self.settings, SETTINGS_PREFIX
        self.level.setCurrentText(str(s.value(p + "level", "all")))
        self.slim.setChecked(s.value(p + "slim", True, type=bool))
        self.quantize.setCurrentText(str(s.value(p + "quantize", "none")))
        self.auto.setChecked(s.value(p + "auto", True, type=bool))
        self.tolerance.setValue(float(s.value(p + "tolerance", RELATIVE_TOLERANCE)))
        self.runs.setValue(int(s.value(p + "runs", 50)))
        self.threads.setValue(int(s.value(p + "threads", 0)))
        index = self.runtime.findData(str(s.value(p + "runtime", "any")))
        self.runtime.setCurrentIndex(max(index, 0))
