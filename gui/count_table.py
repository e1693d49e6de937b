"""A sortable table model over (label, number, ...) rows: op counts and similar short lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

Index = QModelIndex | QPersistentModelIndex
NO_PARENT = QModelIndex()
HIGHLIGHT = QBrush(QColor(255, 236, 179))


class RowsTableModel(QAbstractTableModel):
    """Rows of plain values; numbers sort as numbers (Qt's sort role gets the raw value).

    ``highlighted`` rows (indices into ``rows``) get a tinted background and ``hint`` as
    their tooltip: how the op table marks quantization ops.
    """

    def __init__(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        parent=None,
        highlighted: Sequence[int] = (),
        hint: str = "",
    ) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.rows = [list(r) for r in rows]
        self.highlighted = frozenset(highlighted)
        self.hint = hint

    def rowCount(self, parent: Index = NO_PARENT) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = NO_PARENT) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                return "–"  # not measured / not known
            if isinstance(value, float):
                return f"{value:.4g}"
            return f"{value:,}" if isinstance(value, int) else str(value)
        if role == Qt.ItemDataRole.UserRole:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if index.row() in self.highlighted:
            if role == Qt.ItemDataRole.BackgroundRole:
                return HIGHLIGHT
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.hint or None
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, str) and len(value) > 30:
            return value  # the whole text of a cell a narrow column elides
        return None

    def headerData(  # noqa: N802 (Qt API)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None
