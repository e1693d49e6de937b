"""Every demo format opens as a page that draws; two runs compare with synchronised zoom."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from opscope.gui.compare_page import DELTA_COLUMN, ComparedRun, ComparePage
from opscope.gui.trace_page import TracePage
from opscope.profiling.trace import load_trace


@pytest.mark.parametrize("fixture", ["torch_result", "ort_result", "mxnet_result"])
def test_page_opens_and_draws_slices(qtbot, request, fixture, tmp_path):
    result = request.getfixturevalue(fixture)
    page = TracePage(result)
    qtbot.addWidget(page)
    page.resize(1600, 1000)
    page.show()
    qtbot.waitExposed(page)
    assert page.summary.values["Format"] == result.info.format
    assert page.trace.events == result.info.events
    image = page.timeline.canvas.grab().toImage()
    background = image.pixelColor(image.width() - 2, image.height() - 2)
    colours = {
        image.pixelColor(x, y).rgb()
        for x in range(0, image.width(), 7)
        for y in range(0, image.height(), 5)
    }
    assert len(colours - {background.rgb()}) > 4  # slices in several op colours
    assert page.chart.ops and page.chart.ops[0] == page.op_panel.stats.rows(1)[0]["op"]


def _run(result) -> ComparedRun:
    return ComparedRun(Path(result.path).name, load_trace(result.trace_file))


def test_compare_two_runs(qtbot, torch_result, mxnet_result):
    page = ComparePage(_run(torch_result), _run(mxnet_result))
    qtbot.addWidget(page)
    page.resize(1600, 1000)
    page.show()
    qtbot.waitExposed(page)
    deltas = [
        abs(page.proxy.index(r, DELTA_COLUMN).data(Qt.ItemDataRole.UserRole))
        for r in range(page.proxy.rowCount())
    ]
    assert deltas == sorted(deltas, reverse=True)
    a, b = page.timelines
    qtbot.keyClick(a.canvas, Qt.Key.Key_W)
    qtbot.keyClick(a.canvas, Qt.Key.Key_D)
    assert b.visible_range() == pytest.approx(a.visible_range())
    qtbot.keyClick(b.canvas, Qt.Key.Key_S)
    assert a.visible_range() == pytest.approx(b.visible_range())


def test_compare_sorts_by_signed_change_and_by_kind_of_work(qtbot, torch_result, ort_result):
    page = ComparePage(_run(torch_result), _run(ort_result))
    qtbot.addWidget(page)
    assert not any(r["count_a"] and r["count_b"] for r in page.rows)  # aten:: vs ONNX names
    page.table.sortByColumn(DELTA_COLUMN, Qt.SortOrder.DescendingOrder)
    signed = [
        page.proxy.index(r, DELTA_COLUMN).data(Qt.ItemDataRole.UserRole)
        for r in range(page.proxy.rowCount())
    ]
    assert signed == sorted(signed, reverse=True) and signed[0] > 0 > signed[-1]
    page.grouping.setCurrentIndex(page.grouping.findData("kind"))
    shared = {r["op"] for r in page.rows if r["count_a"] and r["count_b"]}
    assert "convolution" in shared and len(shared) >= 2
    row = next(
        r for r in range(page.proxy.rowCount()) if page.proxy.index(r, 0).data() == "convolution"
    )
    page.table.selectRow(row)
    a, b = page.timelines
    assert len(a.state.highlight) > 0 and len(b.state.highlight) > 0


def test_ratio_keeps_its_digits(torch_result):
    from opscope.gui.compare_page import COMPARE_COLUMNS, RATIO_COLUMN, CompareTableModel

    row = {key: 0 for key, _ in COMPARE_COLUMNS} | {"op": "x", "ratio": 10 / 222}
    model = CompareTableModel([row], COMPARE_COLUMNS)
    assert model.index(0, RATIO_COLUMN).data() == "0.045"


def test_compare_row_highlights_the_op_in_both_runs(qtbot, torch_result):
    page = ComparePage(_run(torch_result), _run(torch_result))
    qtbot.addWidget(page)
    row = next(
        r for r in range(page.proxy.rowCount()) if page.proxy.index(r, 0).data() == "aten::relu"
    )
    page.table.selectRow(row)
    a, b = page.timelines
    expected = int((np.asarray(a.trace.ops)[a.trace.op] == "aten::relu").sum())
    assert len(a.state.highlight) == len(b.state.highlight) == expected > 0
    assert all(
        page.proxy.index(r, DELTA_COLUMN).data(Qt.ItemDataRole.UserRole) == 0
        for r in range(page.proxy.rowCount())
    )
