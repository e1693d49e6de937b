"""Opening a model in the window shows its graph summary."""

import onnx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from opscope.gui.model_page import ModelPage

from .conftest import DEMO_MODEL


def test_open_model_shows_the_summary(qtbot, window):
    with qtbot.waitSignal(window.jobs_settled, timeout=120000):
        window.open_path(str(DEMO_MODEL))
    page = window.tabs.currentWidget()
    assert isinstance(page, ModelPage)
    graph = onnx.load(str(DEMO_MODEL)).graph
    card = page.findChild(QLabel, "card_nodes")
    assert card.text() == f"{len(graph.node):,}"
    expected = {}
    for node in graph.node:
        expected[node.op_type] = expected.get(node.op_type, 0) + 1
    shown = {
        page.op_model.rows[r][0]: page.op_model.rows[r][1] for r in range(page.op_model.rowCount())
    }
    assert shown == expected
    assert sorted(page.chart.ops) == sorted(expected)


def test_op_table_sorts_and_filters(qtbot, window):
    with qtbot.waitSignal(window.jobs_settled, timeout=120000):
        window.open_path(str(DEMO_MODEL))
    page = window.tabs.currentWidget()
    proxy = page.op_view.model()
    page.op_view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    counts = [proxy.index(r, 1).data(Qt.ItemDataRole.UserRole) for r in range(proxy.rowCount())]
    assert counts == sorted(counts, reverse=True)
    page.op_filter.setText("conv")
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["Conv"]


def test_a_bar_click_selects_its_op_and_inputs_say_what_runs_use(qtbot, window):
    with qtbot.waitSignal(window.jobs_settled, timeout=120000):
        window.open_path(str(DEMO_MODEL))
    page = window.tabs.currentWidget()
    page.op_filter.setText("no such op")
    op = page.chart.ops[-1]
    page.chart.op_clicked.emit(op)
    selection = page.op_view.selectionModel()
    assert selection.currentIndex().data() == op and page.op_filter.text() == ""
    assert selection.isRowSelected(selection.currentIndex().row())
    io = page.io_view.model()
    runs_use = io.index(0, 4).data()
    first_input = onnx.load(str(DEMO_MODEL)).graph.input[0]
    dims = [d.dim_value or 2 for d in first_input.type.tensor_type.shape.dim]
    assert io.index(0, 1).data() == first_input.name and runs_use.startswith(str(dims))
