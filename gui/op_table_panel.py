"""Op statistics beside the timeline: filter box, group-by choice, the table, Export CSV.

Selecting a row announces which op it is (the page highlights its occurrences); the stats
themselves come from :func:`opscope.profiling.stats.op_stats`, recomputed when the grouping
or the selected time range changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from opscope.atomic import write_text_atomic
from opscope.gui.op_table import StatsFilterProxy, StatsTableModel
from opscope.gui.table_view import fit_columns, read_only_table
from opscope.profiling.stats import op_stats
from opscope.profiling.trace import Trace

GROUPINGS = [("Op type", "op_type"), ("Name", "name")]


class OpTablePanel(QWidget):
    op_selected = Signal(str, str)  # grouping ("op_type" | "name"), value; ("", "") for none
    stats_changed = Signal()

    def __init__(self, trace: Trace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trace = trace
        self.window_ns: tuple[int, int] | None = None
        self.stats = None
        self.filter_edit = QLineEdit(placeholderText="Filter ops…", clearButtonEnabled=True)
        self.grouping = QComboBox()
        for title, key in GROUPINGS:
            self.grouping.addItem(title, key)
        self.export_button = QPushButton("Export CSV…")
        self.scope_label = QLabel()
        self.proxy = StatsFilterProxy(self)
        self.table = read_only_table(self.proxy, select_rows=True)
        # once: the proxy (and so the selection model) outlives every refresh's source model
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self._lay_out()
        self.filter_edit.textChanged.connect(self.proxy.set_filter_text)
        self.grouping.currentIndexChanged.connect(self.refresh)
        self.export_button.clicked.connect(self._ask_export)
        self.refresh()

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(QLabel("Group by"))
        bar.addWidget(self.grouping)
        bar.addWidget(self.export_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(bar)
        column.addWidget(self.scope_label)
        column.addWidget(self.table, 1)

    @property
    def by(self) -> str:
        return self.grouping.currentData()

    def set_window(self, window_ns: tuple[int, int] | None) -> None:
        """Show statistics of the slices inside ``window_ns`` only (``None``: everything)."""
        self.window_ns = window_ns
        self.refresh()

    def refresh(self) -> None:
        self.stats = op_stats(self.trace, by=self.by, window_ns=self.window_ns)
        model = StatsTableModel(self.stats.rows(), parent=self.proxy)
        old = self.proxy.sourceModel()
        self.proxy.setSourceModel(model)
        if old is not None:
            old.deleteLater()
        self.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        fit_columns(self.table)
        scope = "whole trace" if self.window_ns is None else "selected time range"
        self.scope_label.setText(f"{model.rowCount()} ops · {scope}")
        self.stats_changed.emit()
        self.op_selected.emit("", "")

    def _selection_changed(self) -> None:
        """Only an explicit selection highlights: Qt's automatic current row does not."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.op_selected.emit("", "")
            return
        row = self.proxy.mapToSource(rows[0]).row()
        self.op_selected.emit(self.by, self.proxy.sourceModel().row_key(row))

    def select_op(self, value: str) -> bool:
        """Select the row of ``value`` (as a click would); False if it is not shown."""
        model = self.proxy.sourceModel()
        for row in range(self.proxy.rowCount()):
            if model.row_key(self.proxy.mapToSource(self.proxy.index(row, 0)).row()) == value:
                self.table.selectRow(row)
                return True
        return False

    def reveal_op(self, value: str) -> None:
        """Select ``value``'s row, clearing a filter that hides it."""
        if not self.select_op(value) and self.filter_edit.text():
            self.filter_edit.clear()
            self.select_op(value)
        self.table.scrollTo(self.table.currentIndex())

    def export_csv(self, path: str) -> None:
        write_text_atomic(path, self.stats.to_csv())

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export op statistics", "op_stats.csv", "CSV (*.csv)"
        )
        if path:
            self.export_csv(path)
