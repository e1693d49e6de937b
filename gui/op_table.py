"""The per-op statistics table: a model over the stats rows and a sorting, filtering proxy.

Rows are per distinct op (hundreds, not millions), so the model keeps plain values and the
proxy sorts on the raw numbers (``UserRole``) rather than on the formatted text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt

from opscope.gui.count_table import Index, RowsTableModel

STATS_COLUMNS: list[tuple[str, str]] = [
    ("op", "Op"),
    ("count", "Count"),
    ("total_us", "Total (µs)"),
    ("self_us", "Self (µs)"),
    ("avg_us", "Avg (µs)"),
    ("min_us", "Min (µs)"),
    ("max_us", "Max (µs)"),
    ("percent", "Self %"),
]


class StatsTableModel(RowsTableModel):
    """Rows of stats dicts shown in ``columns`` order; floats with one decimal."""

    def __init__(
        self,
        rows: Sequence[dict[str, Any]],
        columns: Sequence[tuple[str, str]] = STATS_COLUMNS,
        parent=None,
    ) -> None:
        self.keys = [key for key, _ in columns]
        super().__init__(
            [title for _, title in columns],
            [[row.get(key) for key in self.keys] for row in rows],
            parent,
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole and isinstance(value, float):
            return "∞" if value == float("inf") else f"{value:,.1f}"
        if role == Qt.ItemDataRole.DisplayRole and value is None:
            return "–"
        return super().data(index, role)

    def row_key(self, row: int) -> str:
        """The op (or name) that row ``row`` is about."""
        return str(self.rows[row][0])


class StatsFilterProxy(QSortFilterProxyModel):
    """Sorts numerically; filters the first column by a case-insensitive substring."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(Qt.ItemDataRole.UserRole)
        self.setFilterKeyColumn(0)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_filter_text(self, text: str) -> None:
        self.setFilterRegularExpression(
            QRegularExpression(
                QRegularExpression.escape(text),
                QRegularExpression.PatternOption.CaseInsensitiveOption,
            )
        )

    def lessThan(self, left: Index, right: Index) -> bool:  # noqa: N802 (Qt API)
        a, b = left.data(self.sortRole()), right.data(self.sortRole())
        if a is None or b is None:
            return a is None and b is not None
        if isinstance(a, str) or isinstance(b, str):
            return str(a).casefold() < str(b).casefold()
        return a < b
