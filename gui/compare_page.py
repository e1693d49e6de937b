"""Two runs side by side: the per-op delta table and both timelines, zoomed together.

Times are synchronised relative to each trace's first event (two runs never share a clock),
and both timelines colour ops by name, so the same op looks the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from opscope.gui.op_table import Index, StatsFilterProxy, StatsTableModel
from opscope.gui.timeline import TimelineView
from opscope.gui.timeline.search import occurrences
from opscope.gui.trace_page import boxed
from opscope.profiling.stats import compare, op_stats
from opscope.profiling.trace import Trace

COMPARE_COLUMNS = [
    ("op", "Op"),
    ("count_a", "Count A"),
    ("count_b", "Count B"),
    ("total_us_a", "Total A (µs)"),
    ("total_us_b", "Total B (µs)"),
    ("delta_total_us", "Δ total (µs)"),
    ("self_us_a", "Self A (µs)"),
    ("self_us_b", "Self B (µs)"),
    ("ratio", "B / A"),
]
DELTA_COLUMN = 5


class CompareTableModel(StatsTableModel):
    """The delta column sorts by magnitude: the biggest change first, gain or loss."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.UserRole and index.column() == DELTA_COLUMN:
            return abs(self.rows[index.row()][DELTA_COLUMN])
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == DELTA_COLUMN:
            delta = self.rows[index.row()][DELTA_COLUMN]
            return Qt.GlobalColor.darkRed if delta > 0 else Qt.GlobalColor.darkGreen
        return super().data(index, role)


def delta_rows(trace_a: Trace, trace_b: Trace) -> list[dict[str, Any]]:
    comparison = compare(op_stats(trace_a), op_stats(trace_b))
    rows = comparison.rows
    for row in rows:
        row["delta_total_us"] = (row.get("total_us_b") or 0.0) - (row.get("total_us_a") or 0.0)
    return sorted(rows, key=lambda row: abs(row["delta_total_us"]), reverse=True)


@dataclass(frozen=True)
class ComparedRun:
    """One side of a comparison: a trace already in memory (a trace page's, usually, so a
    compared trace is loaded once) and the name shown for it."""

    name: str
    trace: Trace


class ComparePage(QWidget):
    def __init__(self, run_a: ComparedRun, run_b: ComparedRun, parent: QWidget | None = None):
        super().__init__(parent)
        self.runs = (run_a, run_b)
        self.traces = (run_a.trace, run_b.trace)
        span = max(trace.span_ns for trace in self.traces)
        self.timelines = tuple(TimelineView(trace, span) for trace in self.traces)
        self.rows = delta_rows(*self.traces)
        self.model = CompareTableModel(self.rows, COMPARE_COLUMNS, self)
        self.proxy = StatsFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self._set_up_table()
        self._syncing = False
        self._lay_out()
        for timeline in self.timelines:
            timeline.visible_range_changed.connect(self._sync_from(timeline))

    def _set_up_table(self) -> None:
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(DELTA_COLUMN, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

    def _lay_out(self) -> None:
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(boxed("Per-op change, largest first (B − A)", self.table))
        for letter, run, timeline in zip("AB", self.runs, self.timelines, strict=True):
            box = boxed(f"{letter}: {run.name}", timeline)
            splitter.addWidget(box)
        splitter.setSizes([300, 330, 330])
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(QLabel("Zoom and pan either timeline; the other follows."))
        column.addWidget(splitter, 1)

    def _sync_from(self, source: TimelineView):
        def follow(begin: float, end: float) -> None:
            if self._syncing:
                return
            self._syncing = True
            try:
                for timeline in self.timelines:
                    if timeline is not source:
                        timeline.set_visible_range(begin, end)
            finally:
                self._syncing = False

        return follow

    def _selection_changed(self) -> None:
        """Highlight the picked op in both runs."""
        rows = self.table.selectionModel().selectedRows()
        op = self.model.row_key(self.proxy.mapToSource(rows[0]).row()) if rows else ""
        for trace, timeline in zip(self.traces, self.timelines, strict=True):
            timeline.set_highlight(occurrences(trace, "op", op) if op else None, op)
