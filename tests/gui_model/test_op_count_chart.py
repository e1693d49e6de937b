"""The summary's op-count chart shows as many bars as fit legibly, each with its label."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from opscope.gui.op_count_chart import CHART_TOP, ROW_PX, OpCountChart

MANY_OPS = {
    f"com.microsoft.FusedOperatorNumber{i}" if i % 5 == 0 else f"Op{i}": 500 - i for i in range(42)
}


def _chart(qtbot, width: int, height: int) -> OpCountChart:
    chart = OpCountChart(MANY_OPS)
    qtbot.addWidget(chart)
    chart.resize(width, height)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def _labels(chart: OpCountChart) -> list[str]:
    return [text for _, text in chart.getAxis("left")._tickLevels[0]]


def test_a_short_chart_shows_fewer_bars_and_says_so(qtbot) -> None:
    chart = _chart(qtbot, 800, 380)
    assert 3 <= len(chart.ops) < CHART_TOP
    assert len(chart.ops) * ROW_PX <= chart.height()
    assert chart.ops == sorted(MANY_OPS, key=lambda op: -MANY_OPS[op])[: len(chart.ops)]
    assert chart.plotItem.titleLabel.text == f"Top {len(chart.ops)} of 42 op types by count"
    chart.resize(800, 900)
    qtbot.waitUntil(lambda: len(chart.ops) == CHART_TOP)


def test_every_bar_has_a_label_that_fits_the_axis(qtbot) -> None:
    chart = _chart(qtbot, 420, 700)
    labels = _labels(chart)
    assert len(labels) == len(chart.ops) and all(labels)
    metrics = QFontMetrics(chart.font())
    axis_width = chart.getAxis("left").width()
    assert all(metrics.horizontalAdvance(text) < axis_width for text in labels)
    long_name = next(op for op in chart.ops if op.startswith("com."))
    shown = labels[chart.ops.index(long_name)]
    assert shown != long_name and "…" in shown  # elided, not cut off at the edge


def test_a_click_on_a_bar_announces_its_op(qtbot) -> None:
    chart = _chart(qtbot, 800, 600)
    op = chart.ops[1]
    with qtbot.waitSignal(chart.op_clicked) as clicked:
        qtbot.mouseClick(
            chart.viewport(), Qt.MouseButton.LeftButton, pos=chart.bar_center(op).toPoint()
        )
    assert clicked.args == [op]


def test_small_counts_get_whole_number_ticks(qtbot) -> None:
    chart = OpCountChart({"Conv": 2, "Relu": 2, "Gemm": 1})
    qtbot.addWidget(chart)
    chart.resize(600, 300)
    chart.show()
    qtbot.waitExposed(chart)
    axis = chart.getAxis("bottom")
    ticks = [v for _, values in axis.tickValues(0, 2.1, 500) for v in values]
    assert ticks and all(float(v).is_integer() for v in ticks)
