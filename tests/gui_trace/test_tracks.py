"""Tracks beyond plain slices: tooltips, collapsed processes, counters, instants, scrolling."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QToolTip

from opscope.gui.timeline import TimelineView
from opscope.gui.timeline.counters import format_value, value_at
from opscope.gui.timeline.ticks import format_duration
from opscope.profiling.trace import load_trace


def point_of_slice(view, index: int) -> QPoint:
    """The canvas position of the middle of slice ``index`` (which must be in view)."""
    trace, state = view.trace, view.state
    row = state.layout.slice_row_of(index)
    middle = float(trace.start_ns[index] - trace.t0_ns) + trace.dur_ns[index] / 2
    x = state.viewport.x_of(middle, view.canvas.width())
    return QPoint(int(x), row.y - state.y_offset + row.height // 2)


def hover(qtbot, widget, point: QPoint) -> str:
    """Move the mouse to ``point`` and return the tooltip shown there.

    Two moves: offscreen, the first move into a window only enters it.
    """
    qtbot.mouseMove(widget, point + QPoint(1, 0))
    qtbot.mouseMove(widget, point)
    return QToolTip.text()


def longest(trace, op: str) -> int:
    matches = np.flatnonzero(np.asarray(trace.ops)[trace.op] == op)
    return int(matches[np.argmax(trace.dur_ns[matches])])


def test_hovering_a_slice_shows_name_op_start_duration_and_self_time(qtbot, torch_page):
    view, trace = torch_page.timeline, torch_page.trace
    index = longest(trace, "aten::conv2d")
    text = hover(qtbot, view.canvas, point_of_slice(view, index))
    start = float(trace.start_ns[index] - trace.t0_ns)
    assert trace.names[int(trace.name[index])] in text
    assert "op: aten::conv2d" in text
    assert f"start: {format_duration(start, 6)}" in text
    assert f"duration: {format_duration(float(trace.dur_ns[index]))}" in text
    assert f"self: {format_duration(float(trace.self_ns[index]))}" in text
    assert trace.self_ns[index] < trace.dur_ns[index]  # a parent: self time really differs


def test_collapsing_a_process_replaces_its_rows_by_a_summary(qtbot, torch_page):
    view, state = torch_page.timeline, torch_page.timeline.state
    lanes = {i for i, lane in enumerate(view.trace.lanes) if lane.process == "python"}
    header = next(r for r in state.layout.rows if r.kind == "process" and r.process == "python")
    qtbot.mouseClick(view.labels, Qt.MouseButton.LeftButton, pos=QPoint(20, header.y + 5))
    rows = [r for r in state.layout.rows if r.process == "python"]
    assert [r.kind for r in rows] == ["process", "summary"]
    assert not any(r.lane in lanes for r in state.layout.rows if r.kind == "slices")
    summary = rows[1]
    busiest = longest(view.trace, "aten::conv2d")
    middle = float(view.trace.start_ns[busiest] - view.trace.t0_ns) + 1000
    x = int(state.viewport.x_of(middle, view.canvas.width()))
    image = view.canvas.grab().toImage()
    drawn = image.pixelColor(x, summary.y + summary.height // 2)
    background = image.pixelColor(x, summary.y + summary.height + 1)
    assert drawn.value() < background.value() - 60  # the busy time is drawn, dark
    qtbot.mouseClick(view.labels, Qt.MouseButton.LeftButton, pos=QPoint(20, header.y + 5))
    assert any(r.lane in lanes for r in state.layout.rows if r.kind == "slices")


def test_scrolling_moves_canvas_and_labels_together(qtbot, torch_result):
    view = TimelineView(load_trace(torch_result.trace_file))
    qtbot.addWidget(view)
    view.resize(1200, 120)  # shorter than the tracks
    view.show()
    qtbot.waitExposed(view)
    state = view.state
    assert state.max_y_offset() > 0
    top_before = state.layout.row_at(state.y_offset + 1)
    labels_before = view.labels.grab().toImage()
    view.scrollbar.setValue(state.max_y_offset())
    assert state.y_offset == state.max_y_offset()
    assert state.layout.row_at(view.canvas.height() - 1 + state.y_offset) is state.layout.rows[-1]
    assert view.labels.grab().toImage() != labels_before  # the names scrolled with the tracks
    wheel(view.labels, 240)  # wheel up on the names scrolls back up
    assert state.y_offset == max(state.max_y_offset() - 120, 0)
    wheel(view.canvas, 2400, Qt.KeyboardModifier.ShiftModifier)  # Shift+wheel on the canvas
    assert state.y_offset == 0 and view.scrollbar.value() == 0
    assert state.layout.row_at(state.y_offset + 1) is top_before
    index = longest(view.trace, "aten::relu")
    state.reveal(index)
    row = state.layout.slice_row_of(index)
    assert state.y_offset <= row.y < state.y_offset + view.canvas.height()
    point = point_of_slice(view, index)
    hit = view.canvas.hits.at(point.x(), point.y(), view.canvas.width())
    assert hit is not None and hit.index == index


def wheel(widget, delta_y: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    position = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        position,
        widget.mapToGlobal(position),
        QPoint(0, 0),
        QPoint(0, delta_y),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_counter_track_shows_its_scale_and_the_value_under_the_cursor(
    qtbot, open_page, mxnet_result
):
    page = open_page(mxnet_result)
    view, state = page.timeline, page.timeline.state
    row = next(r for r in state.layout.rows if r.kind == "counter")
    series = view.trace.counters[row.counter]
    t = float(series.ts_ns[series.ts_ns.size // 2] - view.trace.t0_ns) + 1
    x = int(state.viewport.x_of(t, view.canvas.width()))
    text = hover(qtbot, view.canvas, QPoint(x, row.y - state.y_offset + row.height // 2))
    assert series.name in text
    expected = value_at(series, view.trace.t0_ns + state.viewport.t_of(x, view.canvas.width()))
    assert f"value: {format_value(expected)}" in text
    image = view.canvas.grab().toImage()
    ink = [
        image.pixelColor(px, py).value()
        for px in range(2, 40)
        for py in range(row.y - state.y_offset + 2, row.y - state.y_offset + 14)
    ]
    assert min(ink) < 140  # the maximum is written at the top left of the track


def test_hovering_and_clicking_an_instant(qtbot, open_page, tf_result):
    page = open_page(tf_result)
    view, state, trace = page.timeline, page.timeline.state, page.trace
    index = int(np.argmax(np.diff(np.concatenate(([trace.t0_ns], trace.instant_ts_ns)))))
    lane_row = state.layout.lane_top_row(int(trace.instant_lane[index]))
    at = float(trace.instant_ts_ns[index] - trace.t0_ns)
    state.set_visible_range(at - 20_000, at + 20_000)
    x = int(state.viewport.x_of(at, view.canvas.width()))
    point = QPoint(x, lane_row.y - state.y_offset + 3)
    assert trace.names[int(trace.instant_name[index])] in hover(qtbot, view.canvas, point)
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=point)
    assert state.selected_instant == index
    assert page.details.value_of("Kind") == "instant event"
    assert page.details.value_of("Name") == trace.names[int(trace.instant_name[index])]


def test_labels_of_highlighted_slices_stay_readable(qtbot, torch_page):
    view, trace = torch_page.timeline, torch_page.trace
    assert torch_page.op_panel.select_op("aten::conv2d")
    index = longest(trace, "aten::conv2d")
    row = view.state.layout.slice_row_of(index)
    x0 = view.state.viewport.x_of(float(trace.start_ns[index] - trace.t0_ns), view.canvas.width())
    image = view.canvas.grab().toImage()
    top = row.y - view.state.y_offset
    colours = {
        image.pixelColor(x, y).rgb()
        for x in range(int(x0) + 3, int(x0) + 60)
        for y in range(top + 3, top + row.height - 3)
    }
    assert len(colours) > 3  # the fill plus the antialiased name, not a bare rectangle


def test_flow_arrows_join_forward_ops_to_their_backward_ops(qtbot, open_page, training_result):
    page = open_page(training_result)
    view, trace = page.timeline, page.trace
    flows = view.canvas.painter.flows
    assert trace.flow_src.size > 0
    begin, end = view.visible_range()
    shown = flows.in_window(trace.t0_ns + int(begin), trace.t0_ns + int(end))
    assert shown.size == trace.flow_src.size  # all of them, in a fitted view
    names = np.asarray(trace.names)
    assert any(
        names[trace.name[d]].startswith("AddmmBackward")
        for s, d in zip(trace.flow_src, trace.flow_dst, strict=True)
        if names[trace.name[s]] == "aten::addmm"
    )
    source = int(trace.flow_src[0])
    y = view.state.layout.row_middles(np.array([source]))[0] - view.state.y_offset
    x = view.state.viewport.x_of(float(view.state.ends[source] - trace.t0_ns), view.canvas.width())
    arrows = view.canvas.grab().toImage()
    flows.src = flows.src[:0]  # the same frame without arrows differs where an arrow starts
    flows.dst = flows.dst[:0]
    bare = view.canvas.grab().toImage()
    around = [(int(x) + dx, int(y) + dy) for dx in range(0, 6) for dy in range(-3, 4)]
    assert any(arrows.pixelColor(*p) != bare.pixelColor(*p) for p in around)
