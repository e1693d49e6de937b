"""The first page: what opscope does, and buttons to start."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

RECENT_HEIGHT = 240
INTRO = (
    "<h2>opscope</h2>"
    "<p>Open a <b>model</b> (ONNX, TensorFlow SavedModel / Keras, PyTorch TorchScript / .pt2, "
    "MXNet symbol + params) to see its graph summary, convert, prune, quantize, verify and "
    "benchmark it.</p>"
    "<p>Open a <b>profiler trace</b> (TensorFlow Profiler logdir / .xplane.pb, MXNet profiler "
    "JSON, ONNX Runtime and PyTorch profiler JSON, any Chrome trace) to see a per-operator "
    "timeline and statistics, and compare two runs.</p>"
    "<p>Drop files anywhere on this window.</p>"
)


class WelcomePage(QWidget):
    open_model = Signal()
    open_trace = Signal()
    open_demo = Signal()
    open_path = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        intro = QLabel(INTRO, self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(intro)
        for text, signal in (
            ("Open Model…", self.open_model),
            ("Open Trace…", self.open_trace),
            ("Open the demo model and traces", self.open_demo),
        ):
            button = QPushButton(text, self)
            button.setMaximumWidth(320)
            button.clicked.connect(signal)
            layout.addWidget(button)
        self.recent_title = QLabel("<b>Recent files</b>", self)
        layout.addWidget(self.recent_title)
        self.recent = QListWidget(self)
        self.recent.setMaximumHeight(RECENT_HEIGHT)
        self.recent.itemActivated.connect(lambda item: self.open_path.emit(item.text()))
        layout.addWidget(self.recent)
        layout.addStretch(1)

    def set_recent(self, files: list[str]) -> None:
        self.recent.clear()
        self.recent.addItems(files)
        self.recent_title.setVisible(bool(files))
        self.recent.setVisible(bool(files))
