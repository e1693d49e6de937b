"""The graph page on real models: scopes, search, highlight, overlays, drawing."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter

from opscope.backend.graph.view import NODE, SCOPE

LAYOUT_MS = 60_000


def _shown_nodes(page) -> int:
    view = page.scene.view
    return int(view.size[(view.kind == NODE) | (view.kind == SCOPE)].sum())


def _relayout(qtbot, page, action) -> None:
    with qtbot.waitSignal(page.layout_changed, timeout=LAYOUT_MS):
        action()


def test_a_large_graph_opens_collapsed_and_scopes_open_one_level(qtbot, make_page, wide_onnx):
    page = make_page(wide_onnx)
    assert page.scene.view.items < 100 and page.shown_scopes()
    assert _shown_nodes(page) == 3000
    scope = next(s for s in page.shown_scopes() if "/" not in s)  # a closed block
    items = page.scene.view.items
    _relayout(qtbot, page, lambda: page.toggle_scope(scope))
    assert scope not in page.shown_scopes()
    children = [s for s in page.shown_scopes() if s.startswith(scope + "/")]
    assert children and all(s.count("/") == scope.count("/") + 1 for s in children)
    assert page.scene.view.items > items and _shown_nodes(page) == 3000
    _relayout(qtbot, page, lambda: page.toggle_scope(scope))
    assert scope in page.shown_scopes() and page.scene.view.items == items
    _relayout(qtbot, page, page.expand_all)
    assert (page.scene.view.kind == NODE).sum() == 3000


def test_double_click_on_a_scope_opens_it(qtbot, make_page, wide_onnx):
    page = make_page(wide_onnx)
    scene = page.scene
    item = scene.item_index[page.shown_scopes()[0]]
    vp = page.canvas.viewport
    vp.set_view(float(scene.layout.x[item]), float(scene.layout.y[item]), 1.0)
    centre = page.canvas.rect().center()
    with qtbot.waitSignal(page.layout_changed, timeout=LAYOUT_MS):
        qtbot.mouseDClick(page.canvas, Qt.MouseButton.LeftButton, pos=centre)
    assert _shown_nodes(page) == 3000


def test_search_steps_through_matches_in_graph_order(qtbot, make_page, scoped_onnx):
    page = make_page(scoped_onnx)
    count = page.search("MatMul")
    names = [n.name for n in page.graph.nodes]
    expected = [i for i, n in enumerate(page.graph.nodes) if "matmul" in n.name.lower()]
    assert count == len(expected) > 2
    page.search_box.setText("MatMul")
    seen = []
    for _ in range(count):
        qtbot.keyClick(page.search_box, Qt.Key.Key_Return)
        seen.append(page.cursor.matches[page.cursor.current])
    assert seen == expected
    qtbot.keyClick(page.search_box, Qt.Key.Key_Return)  # wraps to the first
    assert page.cursor.matches[page.cursor.current] == expected[0]
    qtbot.keyClick(page.search_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert page.cursor.matches[page.cursor.current] == expected[-1]
    selected = page.canvas.style_state.selected
    assert page.scene.view.key[selected] == names[expected[-1]]
    assert "MatMul" in page.details.text.toPlainText()


def test_search_finds_attribute_values(make_page, scoped_onnx):
    page = make_page(scoped_onnx)
    perm_nodes = [n for n in page.graph.nodes if "perm" in n.attributes]
    value = perm_nodes[0].attributes["perm"]
    page.search(value)
    assert {page.graph.nodes[i].name for i in page.cursor.matches} >= {
        n.name for n in perm_nodes if n.attributes["perm"] == value
    }


def test_highlight_all_of_an_op_type(make_page, scoped_onnx):
    page = make_page(scoped_onnx)
    count = page.highlight_op("Softmax")
    page.highlight_op(None)
    assert page.canvas.style_state.highlight is None
    page.op_box.setCurrentIndex(page.op_box.findText(f"Softmax ({count})"))
    mask = page.canvas.style_state.highlight
    softmax = [i for i, n in enumerate(page.graph.nodes) if n.op_type == "Softmax"]
    assert count == len(softmax) == mask.sum() == 2
    assert set(np.flatnonzero(mask)) == set(page.scene.view.node_item[softmax])
    page.op_box.setCurrentIndex(0)
    assert page.canvas.style_state.highlight is None


def test_details_show_shapes_and_weight_statistics(make_page, onnx_tagger):
    page = make_page(onnx_tagger)
    page.select_node("embed")
    text = page.details.text.toPlainText()
    assert "Gather" in text and "batch×12×8 float32" in text
    assert "Weight table" in text and "min" in text
    assert page.details.histogram.isVisibleTo(page)


def _render(page) -> QImage:
    image = QImage(page.canvas.size(), QImage.Format.Format_RGB32)
    painter = QPainter(image)
    page.canvas.painter.paint(painter, page.scene, page.canvas.viewport, page.canvas.style_state)
    painter.end()
    return image


def _colours(image: QImage) -> int:
    step = 7
    return len(
        {
            image.pixel(x, y)
            for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)
        }
    )


def test_the_canvas_draws_at_every_level_of_detail(qtbot, make_page, wide_onnx):
    page = make_page(wide_onnx)
    _relayout(qtbot, page, page.expand_all)
    page.fit()  # 3,000 boxes in one window: blocks
    far = _render(page)
    middle = page.scene.item_of_node(1500)
    x, y = page.scene.layout.x[middle], page.scene.layout.y[middle]
    page.canvas.viewport.set_view(float(x), float(y), 1.5)  # boxes with labels and edges
    near = _render(page)
    assert _colours(far) > 1 and _colours(near) > 2
    assert far != near


def test_time_overlay_sums_node_self_times(make_page, cnn_onnx, tmp_path):
    from opscope.backend.graph.profile_times import read_node_times
    from opscope.backend.optimize.profile import profile_onnxruntime

    trace = profile_onnxruntime(cnn_onnx, _cnn_inputs(), 3, tmp_path)
    times = read_node_times(trace)
    page = make_page(cnn_onnx)
    page.set_node_times(times)
    in_graph = sum(t.self_ns for name, t in times.items() if name in page.scene.node_index)
    assert page.item_times().sum() == in_graph > 0
    assert page.canvas.style_state.overlay is not None and "ms" in page.legend.text()
    page.overlay_box.setCurrentIndex(0)  # the off switch
    assert page.canvas.style_state.overlay is None and page.legend.text() == ""


def _cnn_inputs() -> dict:
    return {"input": np.random.default_rng(0).standard_normal((1, 3, 16, 16), np.float32)}


def test_diff_overlay_and_the_swap_between_graphs(qtbot, make_page, cnn_onnx, tmp_path):
    from onnxruntime.quantization import quantize_dynamic

    from opscope.backend.graph.diff import diff_graphs
    from opscope.backend.graph.files import load_graph_file
    from opscope.backend.jobs import JobSpec, run_job

    int8 = tmp_path / "int8.onnx"
    quantize_dynamic(str(cnn_onnx), str(int8))
    page = make_page(cnn_onnx)
    other_file = run_job(JobSpec("model_graph", {"path": str(int8)})).graph_file
    other = load_graph_file(other_file)[0]
    diff = diff_graphs(page.graph, other)
    page.set_diff(diff, other_file)
    overlay = page.canvas.style_state.overlay
    assert overlay is not None and "quantized" in page.legend.text()
    assert len(set(overlay.level.tolist())) > 1  # kept and changed boxes differ
    conv = next(i for i, n in enumerate(page.graph.nodes) if n.op_type == "Conv")
    item = page.scene.item_of_node(conv)
    page.canvas.viewport.set_view(
        float(page.scene.layout.x[item]), float(page.scene.layout.y[item]), 1.0
    )
    assert page.swap_sides() == "after"
    assert page.graph is page.scene.graph and len(page.graph.nodes) == len(other.nodes)
    counterpart = next(
        c.after for c in diff.changes if c.before == page.sides["before"].graph.nodes[conv].name
    )
    centre = page.scene.item_of_node(page.scene.node_index[counterpart])
    assert page.canvas.viewport.cx == page.scene.layout.x[centre]
    assert page.swap_sides() == "before"


def test_quantization_error_overlay_shows_the_worst_per_box(make_page, wide_onnx):
    page = make_page(wide_onnx)
    names = [page.graph.nodes[i].name for i in (0, 1, 2999)]
    page.set_node_errors({names[0]: 0.01, names[1]: 0.2, names[2]: 0.05})
    errors = page.item_errors()
    scene = page.scene
    assert errors[scene.item_of_node(0)] == 0.2  # nodes 0 and 1 share a collapsed scope
    assert errors[scene.item_of_node(2999)] == 0.05
    assert page.canvas.style_state.overlay is not None and "INT8" in page.legend.text()


def test_weights_fold_into_their_readers_and_unfold(qtbot, make_page, keras_cnn, cnn_onnx):
    page = make_page(keras_cnn)
    assert page.fold_box.isVisibleTo(page) and page.fold_box.isChecked()
    _relayout(qtbot, page, page.expand_all)
    shown = set(page.scene.view.label)
    assert not shown & {"Const", "ReadVariableOp"} and "Conv2D" in shown
    conv = next(n.name for n in page.graph.nodes if n.op_type == "Conv2D")
    page.select_node(conv)
    text = page.details.text.toPlainText()
    assert "weight nodes folded into this box" in text and "variable" in text
    _relayout(qtbot, page, lambda: page.fold_box.setChecked(False))
    labels = page.scene.view.label
    assert labels.count("ReadVariableOp") == sum(
        n.op_type == "ReadVariableOp" for n in page.graph.nodes
    )
    assert not page.scene.fold_weights and page.scene.expanded == set(page.scopes)
    onnx_page = make_page(cnn_onnx)
    assert not onnx_page.fold_box.isVisibleTo(onnx_page)  # nothing to fold in this ONNX


def _ring(image: QImage, page, item: int, out: float) -> set[int]:
    """The pixels on the rectangle ``out`` px outside the box of ``item``."""
    vp, s = page.canvas.viewport, page.scene

    def screen(x: float, y: float) -> tuple[int, int]:
        return (
            round((x - vp.cx) * vp.scale + vp.width / 2),
            round((y - vp.cy) * vp.scale + vp.height / 2),
        )

    (x0, y0), (x1, y1) = screen(s.x0[item], s.y0[item]), screen(s.x1[item], s.y1[item])
    x0, y0, x1, y1 = x0 - out, y0 - out, x1 + out, y1 + out
    xs = range(int(x0) + 3, int(x1) - 3)
    return {image.pixel(x, int(y)) & 0xFFFFFF for x in xs for y in (y0, y1)}


def test_selection_legend_and_histogram_stay_readable(qtbot, make_page, cnn_onnx, tmp_path):
    from opscope.backend.graph.profile_times import read_node_times
    from opscope.backend.optimize.profile import profile_onnxruntime

    trace = profile_onnxruntime(cnn_onnx, _cnn_inputs(), 3, tmp_path)
    page = make_page(cnn_onnx)
    page.resize(1000, 1000)
    # as the profile names them (no graph to map back to): NCHWc kernels, a reorder
    page.set_node_times(read_node_times(trace))
    qtbot.wait(50)
    legend = page.legend
    assert legend.isVisible() and legend.toolTip() == legend.text() and "added by" in legend.text()
    assert legend.width() <= page.width() and legend.wordWrap()
    assert legend.height() >= legend.heightForWidth(legend.width()) > 0  # all of it shown
    # the darkest box selected: a black ring outside it, a white one on its edge
    item = int(
        np.argmin(
            np.where(
                page.canvas.style_state.overlay.level >= 0,
                page.canvas.style_state.overlay.level,
                99,
            )
        )
    )
    page.select_item(item)
    page.zoom_to_selection()
    image = _render(page)
    assert 0x000000 in _ring(image, page, item, 2.5)
    assert 0xFFFFFF in _ring(image, page, item, 0)
    conv = next(n.name for n in page.graph.nodes if n.op_type == "Conv")
    page.select_node(conv)  # a node with weights: its histogram at full height
    qtbot.waitUntil(page.details.histogram.isVisible)
    assert page.details.histogram.height() >= 150
