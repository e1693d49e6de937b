"""The one way opscope sets up a read-only table: compact rows, a name column that takes
the spare width and numbers that size to their contents, sorting through a proxy."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

ROW_HEIGHT = 20


def read_only_table(
    model: QAbstractItemModel,
    parent: QWidget | None = None,
    *,
    stretch: int = 0,
    sortable: bool = True,
    select_rows: bool = False,
) -> QTableView:
    """A table of ``model``; column ``stretch`` (a name) takes the spare width, so the
    numbers stay next to what they count instead of at the far right edge."""
    view = QTableView(parent)
    view.setModel(model)
    view.setSortingEnabled(sortable)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    view.setAlternatingRowColors(True)
    if select_rows:
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    fit_columns(view, stretch)
    return view


def fit_columns(view: QTableView, stretch: int = 0) -> None:
    """Column ``stretch`` stretches; every other column fits its contents (call again when
    the model changes)."""
    header = view.horizontalHeader()
    for column in range(view.model().columnCount()):
        mode = QHeaderView.ResizeMode.Stretch
        if column != stretch:
            mode = QHeaderView.ResizeMode.ResizeToContents
        header.setSectionResizeMode(column, mode)
