"""Two runs side by side: the per-op delta table and both timelines, zoomed together.

Times are synchronised relative to each trace's first event (two runs never share a clock),
and both timelines colour ops by name, so the same op looks the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from opscope.gui.op_table import Index, StatsFilterProxy, StatsTableModel
from opscope.gui.table_view import fit_columns, read_only_table
from opscope.gui.timeline import TimelineView
from opscope.gui.timeline.search import occurrences
from opscope.gui.trace_page import boxed
from opscope.profiling.op_kinds import by_kind, op_kind
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
RATIO_COLUMN = 8
GROUPINGS = (("operator", "op"), ("kind of work", "kind"))


class CompareTableModel(StatsTableModel):
    """Rows come largest change first (gain or loss); a click on Δ sorts by its sign."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole and index.column() == RATIO_COLUMN and value:
            return f"{value:.3g}"  # 10 / 222 reads 0.045, not 0.0
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == DELTA_COLUMN:
            delta = self.rows[index.row()][DELTA_COLUMN]
            return Qt.GlobalColor.darkRed if delta > 0 else Qt.GlobalColor.darkGreen
        return super().data(index, role)


def delta_rows(trace_a: Trace, trace_b: Trace, by: str = "op") -> list[dict[str, Any]]:
    """Per-op (or per kind of work) changes, largest first; ``by="kind"`` compares runs
    whose operators never share a name (``aten::conv2d`` vs ``Conv``)."""
    stats = [op_stats(trace) for trace in (trace_a, trace_b)]
    if by == "kind":
        stats = [by_kind(s) for s in stats]
    comparison = compare(*stats)
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
        self.grouping = QComboBox()
        for title, key in GROUPINGS:
            self.grouping.addItem(title, key)
        self.proxy = StatsFilterProxy(self)
        self.table = read_only_table(self.proxy, select_rows=True)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.grouping.currentIndexChanged.connect(self.refresh)
        self.refresh()
        self._syncing = False
        self._lay_out()
        for timeline in self.timelines:
            timeline.visible_range_changed.connect(self._sync_from(timeline))

    @property
    def by(self) -> str:
        return self.grouping.currentData()

    def refresh(self) -> None:
        """Recompute the table for the chosen grouping, largest change first."""
        self.rows = delta_rows(*self.traces, by=self.by)
        old = self.proxy.sourceModel()
        self.model = CompareTableModel(self.rows, COMPARE_COLUMNS, self)
        self.proxy.setSourceModel(self.model)
        if old is not None:
            old.deleteLater()
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the rows' own order
        fit_columns(self.table)
        self.table.horizontalHeader().setSortIndicatorShown(True)

    def _lay_out(self) -> None:
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(boxed("Per-op change, largest first (B − A)", self.table))
        for letter, run, timeline in zip("AB", self.runs, self.timelines, strict=True):
            box = boxed(f"{letter}: {run.name}", timeline)
            splitter.addWidget(box)
        splitter.setSizes([300, 330, 330])
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Zoom and pan either timeline; the other follows."), 1)
        bar.addWidget(QLabel("Compare by"))
        bar.addWidget(self.grouping)
        column.addLayout(bar)
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
        key = self.model.row_key(self.proxy.mapToSource(rows[0]).row()) if rows else ""
        for trace, timeline in zip(self.traces, self.timelines, strict=True):
            timeline.set_highlight(self._occurrences(trace, key) if key else None, key)

    def _occurrences(self, trace: Trace, key: str):
        if self.by == "op":
            return occurrences(trace, "op", key)
        kinds = np.array([op_kind(op) == key for op in trace.ops], dtype=bool)
        return np.flatnonzero(trace.is_op & kinds[trace.op])
