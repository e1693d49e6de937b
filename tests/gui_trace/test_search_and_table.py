"""Search, the op table and the time-range filter on real profiler traces."""

from __future__ import annotations

import csv
import io

import numpy as np
from PySide6.QtCore import QPoint, Qt

from opscope.gui.op_table import STATS_COLUMNS


def op_names(trace) -> np.ndarray:
    return np.asarray(trace.ops)[trace.op]


def table_ops(panel) -> list[str]:
    proxy = panel.proxy
    return [proxy.index(row, 0).data() for row in range(proxy.rowCount())]


def test_search_highlights_and_steps_in_time_order(qtbot, torch_page):
    bar, view, trace = torch_page.search_bar, torch_page.timeline, torch_page.trace
    qtbot.keyClicks(bar.edit, "conv2d")
    names = np.asarray(trace.names)[trace.name]
    expected = np.flatnonzero(
        np.char.find(np.char.lower(names.astype(str)), "conv2d")
        >= 0 | (np.char.find(np.char.lower(op_names(trace).astype(str)), "conv2d") >= 0)
    )
    assert len(view.state.highlight) == expected.size > 0
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    first = view.selected_slice()
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    second = view.selected_slice()
    assert trace.start_ns[first] <= trace.start_ns[second]
    assert bar.count.text() == f"2 of {expected.size}"
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_slice() == first
    assert torch_page.details.value_of("Name") == trace.names[int(trace.name[first])]
    begin, end = view.visible_range()
    assert begin <= trace.start_ns[first] - trace.t0_ns <= end


def test_regex_search(qtbot, torch_page):
    bar, view = torch_page.search_bar, torch_page.timeline
    bar.regex.setChecked(True)
    qtbot.keyClicks(bar.edit, r"^aten::(relu|add)_?$")
    ops = set(op_names(view.trace)[view.state.highlight.indices])
    assert ops and ops <= {"aten::relu", "aten::relu_", "aten::add", "aten::add_"}
    bar.edit.setText("(")
    assert "invalid regular expression" in bar.count.text()


def test_table_sorts_and_filters(qtbot, torch_page):
    panel = torch_page.op_panel
    self_column = [key for key, _ in STATS_COLUMNS].index("self_us")
    values = [
        panel.proxy.index(r, self_column).data(Qt.ItemDataRole.UserRole)
        for r in range(panel.proxy.rowCount())
    ]
    assert values == sorted(values, reverse=True)
    count_column = [key for key, _ in STATS_COLUMNS].index("count")
    panel.table.sortByColumn(count_column, Qt.SortOrder.AscendingOrder)
    counts = [
        panel.proxy.index(r, count_column).data(Qt.ItemDataRole.UserRole)
        for r in range(panel.proxy.rowCount())
    ]
    assert counts == sorted(counts)
    qtbot.keyClicks(panel.filter_edit, "CONV")
    shown = table_ops(panel)
    assert shown and all("conv" in op.lower() for op in shown)


def test_selecting_a_row_highlights_every_occurrence(qtbot, torch_page):
    panel, view, trace = torch_page.op_panel, torch_page.timeline, torch_page.trace
    assert panel.select_op("aten::conv2d")
    expected = int((op_names(trace) == "aten::conv2d").sum())
    assert len(view.state.highlight) == expected > 1
    assert torch_page.search_bar.count.text() == f"aten::conv2d: {expected} matches"
    torch_page.search_bar.next.click()
    torch_page.search_bar.next.click()
    assert op_names(trace)[view.selected_slice()] == "aten::conv2d"
    assert torch_page.search_bar.count.text() == f"aten::conv2d: 2 of {expected}"


def test_picking_an_op_in_the_table_clears_the_old_query(qtbot, torch_page):
    bar = torch_page.search_bar
    bar.edit.setText("relu")
    assert torch_page.op_panel.select_op("aten::conv2d")
    assert bar.edit.text() == "" and bar.count.text().startswith("aten::conv2d:")


def test_one_click_selects_once_after_many_range_selections(qtbot, torch_page):
    panel = torch_page.op_panel
    span = int(torch_page.trace.span_ns)
    for i in range(5):
        panel.set_window((0, span // (i + 2)))
    panel.set_window(None)
    selected = []
    panel.op_selected.connect(lambda by, op: selected.append(op))
    assert panel.select_op("aten::conv2d")
    assert selected == ["aten::conv2d"]


def test_dragging_on_the_ruler_filters_the_table(qtbot, torch_page):
    view, panel, trace = torch_page.timeline, torch_page.op_panel, torch_page.trace
    ruler = view.ruler
    total = sum(panel.proxy.sourceModel().rows[r][1] for r in range(panel.proxy.rowCount()))
    y = ruler.height() // 2
    qtbot.mousePress(ruler, Qt.MouseButton.LeftButton, pos=QPoint(ruler.width() // 4, y))
    qtbot.mouseMove(ruler, QPoint(ruler.width() // 2, y))
    qtbot.mouseRelease(ruler, Qt.MouseButton.LeftButton, pos=QPoint(ruler.width() // 2, y))
    begin, end = panel.window_ns
    inside = int(((trace.start_ns >= begin) & (trace.start_ns < end)).sum())
    counts = sum(panel.proxy.sourceModel().rows[r][1] for r in range(panel.proxy.rowCount()))
    assert 0 < counts == inside < total
    assert "selected time range" in panel.scope_label.text()
    qtbot.mouseClick(ruler, Qt.MouseButton.LeftButton, pos=QPoint(10, y))
    assert panel.window_ns is None


def test_export_csv_writes_the_table(qtbot, torch_page, tmp_path):
    target = tmp_path / "ops.csv"
    torch_page.op_panel.export_csv(str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {row["op"] for row in rows} >= {"aten::conv2d", "aten::relu"}


def test_grouping_by_name_changes_the_rows(qtbot, torch_page):
    panel = torch_page.op_panel
    panel.grouping.setCurrentIndex(1)
    assert panel.by == "name"
    trace = panel.trace
    assert set(table_ops(panel)) == set(np.asarray(trace.names)[trace.name[trace.is_op]])


def test_a_time_range_keeps_the_search_highlight(qtbot, torch_page):
    qtbot.keyClicks(torch_page.search_bar.edit, "relu")
    count = len(torch_page.timeline.state.highlight)
    trace = torch_page.trace
    torch_page.timeline.set_time_range(trace.t0_ns, trace.t0_ns + trace.span_ns // 2)
    assert torch_page.timeline.state.highlight is not None
    assert len(torch_page.timeline.state.highlight) == count


def test_clicking_a_chart_bar_selects_its_op(qtbot, torch_page):
    chart, panel, view = torch_page.chart, torch_page.op_panel, torch_page.timeline
    op = chart.ops[1]
    qtbot.keyClicks(panel.filter_edit, "no such op")  # a filter hiding the row is cleared
    qtbot.mouseClick(
        chart.plot.viewport(), Qt.MouseButton.LeftButton, pos=chart.bar_center(op).toPoint()
    )
    selected = panel.table.selectionModel().selectedRows()
    assert [panel.proxy.index(r.row(), 0).data() for r in selected] == [op]
    expected = int((op_names(view.trace) == op).sum())
    assert view.state.highlight.label == op
    assert len(view.state.highlight) == expected > 0
    assert chart.op_at(0.5) is None  # between bars: nothing
