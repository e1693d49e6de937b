"""Search box over the timeline: type to highlight, Enter / Shift+Enter to step through.

It also shows and steps whatever else is highlighted (an op picked in the table), so there
is one place that says "3 of 120" and one pair of arrows.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from opscope.errors import OpscopeError
from opscope.gui.timeline.search import find_slices
from opscope.gui.timeline.view import TimelineView

SEARCH_LABEL = "search"


class SearchBar(QWidget):
    def __init__(self, view: TimelineView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.edit = QLineEdit(
            placeholderText="Search slices (name or op)…", clearButtonEnabled=True
        )
        self.edit.setMinimumWidth(260)
        self.regex = QCheckBox("Regex")
        self.previous = QToolButton(text="◀", toolTip="Previous match (Shift+Enter)")
        self.next = QToolButton(text="▶", toolTip="Next match (Enter)")
        self.count = QLabel()
        self.count.setMinimumWidth(150)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.edit, self.regex, self.previous, self.next, self.count):
            layout.addWidget(widget)
        self.edit.textChanged.connect(self.search)
        self.regex.toggled.connect(self.search)
        self.previous.clicked.connect(lambda: self.view.step_highlight(-1))
        self.next.clicked.connect(lambda: self.view.step_highlight(1))
        self.edit.installEventFilter(self)
        view.state.highlight_changed.connect(self._show_count)
        self._show_count()

    def search(self) -> None:
        pattern = self.edit.text()
        if not pattern:
            if self._highlight_label() == SEARCH_LABEL:
                self.view.set_highlight(None)
            return
        try:
            matches = find_slices(self.view.trace, pattern, self.regex.isChecked())
        except OpscopeError as exc:
            self.count.setText(str(exc).split(":")[0])
            return
        self.view.set_highlight(matches, SEARCH_LABEL)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            key_event: QKeyEvent = event
            if key_event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                shift = key_event.modifiers() & Qt.KeyboardModifier.ShiftModifier
                self.view.step_highlight(-1 if shift else 1)
                return True
        return super().eventFilter(watched, event)

    def _highlight_label(self) -> str:
        highlight = self.view.state.highlight
        return "" if highlight is None else highlight.label

    def _show_count(self) -> None:
        highlight = self.view.state.highlight
        if highlight is None:
            self.count.setText("")
            return
        position = highlight.cursor + 1
        where = f"{position} of {len(highlight)}" if position else f"{len(highlight)} matches"
        prefix = "" if highlight.label == SEARCH_LABEL else f"{highlight.label}: "
        self.count.setText(prefix + where)
        if highlight.label != SEARCH_LABEL and self.edit.text():
            # another highlight (an op picked in the table) replaced the search: the box
            # must not keep showing a query that no longer applies
            self.edit.blockSignals(True)
            self.edit.clear()
            self.edit.blockSignals(False)
