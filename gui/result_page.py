"""A page that shows a job's result as a tree: used for results without a dedicated page."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

MAX_CHILDREN = 500


def _fill(parent: QTreeWidgetItem, value: Any) -> None:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return
    for key, child in items[:MAX_CHILDREN]:
        shown = "" if isinstance(child, dict | list) else str(child)
        item = QTreeWidgetItem(parent, [str(key), shown])
        _fill(item, child)
    if len(items) > MAX_CHILDREN:
        QTreeWidgetItem(parent, ["…", f"{len(items) - MAX_CHILDREN} more"])


class ResultPage(QWidget):
    def __init__(self, result: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = result
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Field", "Value"])
        root = self.tree.invisibleRootItem()
        _fill(root, result)
        self.tree.expandToDepth(0)
        self.tree.resizeColumnToContents(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
