"""The status bar's job indicator: what runs, how far it is, and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)


class JobStatus(QWidget):
    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("Ready", self)
        # a long message must not widen the window past the screen: elided, full text as tip
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(0)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the running job (Esc)")
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.set_idle()

    def _show(self, text: str) -> None:
        metrics = self.label.fontMetrics()
        width = max(self.label.width(), 200)
        self.label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, width))
        self.label.setToolTip(text)

    def set_running(self, title: str) -> None:
        self._show(title)
        self.bar.setValue(0)
        self.bar.setVisible(True)
        self.cancel_button.setVisible(True)

    def set_progress(self, fraction: float, message: str, title: str) -> None:
        self.bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        self._show(f"{title}: {message}" if message else title)

    def set_idle(self, message: str = "Ready") -> None:
        self._show(message)
        self.bar.setVisible(False)
        self.cancel_button.setVisible(False)
