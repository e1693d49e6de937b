"""Zoom, pan, fit and select on the timeline of a real PyTorch profiler trace."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from opscope.gui.timeline.canvas import ZOOM_STEP
from opscope.gui.timeline.view import PAN_STEP


def width(view) -> float:
    begin, end = view.visible_range()
    return end - begin


def test_w_and_s_zoom_by_the_step_around_the_centre(qtbot, torch_page):
    view = torch_page.timeline
    before = view.visible_range()
    qtbot.keyClick(view.canvas, Qt.Key.Key_W)
    after = view.visible_range()
    assert width(view) == pytest.approx((before[1] - before[0]) * ZOOM_STEP)
    assert sum(after) / 2 == pytest.approx(sum(before) / 2)
    qtbot.keyClick(view.canvas, Qt.Key.Key_W)
    qtbot.keyClick(view.canvas, Qt.Key.Key_S)
    assert width(view) == pytest.approx((before[1] - before[0]) * ZOOM_STEP)


def test_a_and_d_pan_by_a_tenth_of_the_span(qtbot, torch_page):
    view = torch_page.timeline
    for _ in range(3):
        qtbot.keyClick(view.canvas, Qt.Key.Key_W)
    begin, end = view.visible_range()
    qtbot.keyClick(view.canvas, Qt.Key.Key_D)
    assert view.visible_range()[0] == pytest.approx(begin + (end - begin) * PAN_STEP)
    qtbot.keyClick(view.canvas, Qt.Key.Key_A)
    qtbot.keyClick(view.canvas, Qt.Key.Key_A)
    assert view.visible_range()[0] == pytest.approx(begin - (end - begin) * PAN_STEP)


def test_fit_all_shows_the_whole_trace(qtbot, torch_page):
    view = torch_page.timeline
    qtbot.keyClick(view.canvas, Qt.Key.Key_W)
    qtbot.mouseClick(torch_page.fit_button, Qt.MouseButton.LeftButton)
    begin, end = view.visible_range()
    assert begin <= 0 and end >= view.trace.span_ns


def test_clicking_a_slice_shows_its_details(qtbot, torch_page):
    view, trace = torch_page.timeline, torch_page.trace
    conv = np.flatnonzero(np.asarray(trace.ops)[trace.op] == "aten::conv2d")
    index = int(conv[np.argmax(trace.dur_ns[conv])])
    view.state.zoom_to_slice(
        float(trace.start_ns[index] - trace.t0_ns),
        float(trace.start_ns[index] + trace.dur_ns[index] - trace.t0_ns),
    )
    view.state.reveal(index)
    row = view.state.layout.slice_row_of(index)
    x = view.state.viewport.x_of(
        float(trace.start_ns[index] - trace.t0_ns + trace.dur_ns[index] / 2), view.canvas.width()
    )
    y = row.y - view.state.y_offset + row.height // 2
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(x), int(y)))
    assert view.selected_slice() == index
    assert torch_page.details.value_of("Name") == "aten::conv2d"
    assert torch_page.details.value_of("Op type") == "aten::conv2d"
    first_arg = next(iter(trace.args_of(index)))
    assert torch_page.details.value_of(first_arg) is not None
    assert "aten::conv2d" in view.canvas.hits.slice_tooltip(index)


def test_clicking_empty_space_clears_the_selection(qtbot, torch_page):
    view = torch_page.timeline
    view.select_slice(0)
    qtbot.mouseClick(
        view.canvas, Qt.MouseButton.LeftButton, pos=QPoint(5, view.canvas.height() - 5)
    )
    assert view.selected_slice() == -1


def test_wheel_zoom_keeps_the_time_under_the_cursor(qtbot, torch_page):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    canvas = torch_page.timeline.canvas
    x = canvas.width() * 0.25
    anchor = canvas.state.viewport.t_of(x, canvas.width())
    event = QWheelEvent(
        QPointF(x, 50),
        canvas.mapToGlobal(QPointF(x, 50)),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    before = width(torch_page.timeline)
    QApplication.sendEvent(canvas, event)
    assert width(torch_page.timeline) == pytest.approx(before * ZOOM_STEP)
    assert canvas.state.viewport.t_of(x, canvas.width()) == pytest.approx(anchor)


def test_collapsing_a_process_hides_its_lanes(qtbot, torch_page):
    state = torch_page.timeline.state
    header = next(
        row for row in state.layout.rows if row.kind == "process" and row.process == "python"
    )
    rows_before = len(state.layout.rows)
    qtbot.mouseClick(
        torch_page.timeline.labels,
        Qt.MouseButton.LeftButton,
        pos=QPoint(20, header.y - state.y_offset + 5),
    )
    assert "python" in state.layout.collapsed
    assert len(state.layout.rows) < rows_before


def test_panning_left_stops_at_time_zero(qtbot, torch_page):
    view = torch_page.timeline
    for _ in range(3):
        qtbot.keyClick(view.canvas, Qt.Key.Key_W)
    for _ in range(50):
        qtbot.keyClick(view.canvas, Qt.Key.Key_A)
    assert view.visible_range()[0] == 0.0


def test_ruler_labels_read_in_the_largest_unit():
    from opscope.gui.timeline.ticks import format_tick

    assert format_tick(11.5e6, 5e5) == "11.5 ms"
    assert format_tick(12e6, 5e5) == "12.0 ms"
    assert format_tick(750e3, 50e3) == "750 µs"
    assert format_tick(2.5e9, 5e8) == "2.5 s"
