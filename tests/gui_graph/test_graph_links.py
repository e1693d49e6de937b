"""Between the graph and the trace in a real window, search into collapsed scopes, and the
overlays fed by the real optimizer and by onnxruntime profiles of converted models."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt

from opscope.backend.graph.view import NODE, SCOPE

SETTLE_MS = 300_000  # the machine is shared: generous, never a timing assertion
LAYOUT_MS = 60_000


def test_search_opens_the_scopes_down_to_the_match(qtbot, make_page, wide_onnx):
    page = make_page(wide_onnx)
    target = page.graph.nodes[1500]
    assert page.scene.is_scope(page.scene.item_of_node(1500))  # opens collapsed
    assert page.search(target.name.rsplit("/", 1)[-1]) == 1
    with qtbot.waitSignal(page.revealed, timeout=LAYOUT_MS) as revealed:
        qtbot.keyClick(page.search_box, Qt.Key.Key_Return)
    assert revealed.args == [target.name]
    selected = page.canvas.style_state.selected
    assert page.scene.view.kind[selected] == NODE and page.scene.view.key[selected] == target.name
    assert {"blocks.15", "blocks.15/layer.0"} <= page.scene.expanded
    view = page.scene.view
    assert int(view.size[(view.kind == NODE) | (view.kind == SCOPE)].sum()) == 3000
    vp = page.canvas.viewport
    assert (vp.cx, vp.cy) == (page.scene.layout.x[selected], page.scene.layout.y[selected])
    assert target.name in page.details.text.toPlainText()


def _open(qtbot, window, path):
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        window.open_path(str(path))
    return window.tabs.currentWidget()


def _show_graph(qtbot, window, page):
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        page.tabs.setCurrentWidget(page.graph_tab)
    return page.graph_tab.page


def _slice_name(trace_page, index: int) -> str:
    return trace_page.trace.names[int(trace_page.trace.name[index])]


def _selected_node(graph) -> str:
    return graph.scene.view.key[graph.canvas.style_state.selected]


def test_show_in_trace_and_show_in_graph(qtbot, window, cnn_onnx):
    from opscope.gui.model_page import ModelPage
    from opscope.gui.trace_page import TracePage

    page = _open(qtbot, window, cnn_onnx)
    graph = _show_graph(qtbot, window, page)
    # onnxruntime runs these nodes as they are (its NCHWc rewrite fuses Conv + Relu)
    gemm = next(n.name for n in graph.graph.nodes if n.op_type == "Gemm")
    mean = next(n.name for n in graph.graph.nodes if n.op_type == "ReduceMean")
    graph.select_node(gemm)
    assert graph.details.trace_button.isVisibleTo(graph)
    # no profile yet: the button profiles the model, then opens the trace at the node
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        graph.details.trace_button.click()
    assert window.failed_jobs == 0 and graph.times
    trace = window.tabs.currentWidget()
    assert isinstance(trace, TracePage) and trace.model_path == page.path
    selected = trace.timeline.selected_slice()
    assert _slice_name(trace, selected) == f"{gemm}_kernel_time"
    starts = trace.trace.start_ns[trace.node_slices(gemm)]
    assert trace.trace.start_ns[selected] == starts.min()  # the node's first run
    pages = window.pages()
    graph.details.trace_button.click()  # again: switches to the same trace page
    assert window.pages() == pages and window.tabs.currentWidget() is trace
    # a Conv onnxruntime fused with its Relu into an NCHWc kernel: its runs are the kernel's
    conv = next(n.name for n in graph.graph.nodes if n.op_type == "Conv")
    graph.select_node(conv)
    ran_as = graph.times[conv].ran_as
    assert ran_as.endswith("_nchwc") and graph.details.trace_button.isEnabled()
    assert "ran fused as" in graph.details.text.toPlainText()
    graph.details.trace_button.click()
    assert window.tabs.currentWidget() is trace and window.pages() == pages
    assert _slice_name(trace, trace.timeline.selected_slice()) == f"{ran_as}_kernel_time"

    # a slice's "Show in graph": right-click menu, then the details pane's button
    index = int(trace.node_slices(mean)[0])
    trace.timeline.select_slice(index)
    trace.timeline.zoom_to_selection()
    row = trace.timeline.state.layout.slice_row_of(index)
    canvas = trace.timeline.canvas
    where = QPoint(canvas.width() // 2, row.y - trace.timeline.state.y_offset + 4)
    with qtbot.waitSignal(trace.timeline.slice_context_menu) as menu_signal:
        qtbot.mouseClick(canvas, Qt.MouseButton.RightButton, pos=where)
    assert menu_signal.args[0] == index
    menu = trace.slice_menu(index, QPoint(0, 0))
    assert [a.text() for a in menu.actions()] == ["Show in graph"]
    menu.actions()[0].trigger()
    assert window.tabs.currentWidget() is page and page.tabs.currentWidget() is page.graph_tab
    assert _selected_node(graph) == mean
    window.show_page(trace)
    trace.timeline.select_slice(int(trace.node_slices(gemm)[0]))
    assert trace.details.graph_button.isVisibleTo(trace)
    trace.details.graph_button.click()
    assert window.tabs.currentWidget() is page and _selected_node(graph) == gemm
    window.show_page(trace)
    trace.timeline.select_slice(int(trace.node_slices(ran_as)[0]))
    trace.details.graph_button.click()  # the kernel's slice shows the node it holds time of
    assert _selected_node(graph) == conv
    session = next(i for i in range(trace.trace.events) if not trace.trace.is_op[i])
    assert trace.slice_menu(session, QPoint(0, 0)) is None  # not an op: no menu

    # the same profile opened from its file: the page whose graph has the node is found
    from_file = _open(qtbot, window, trace.result.path)
    assert isinstance(from_file, TracePage) and from_file.model_path == ""
    from_file.timeline.select_slice(int(from_file.node_slices(mean)[-1]))
    from_file.details.graph_button.click()
    assert isinstance(window.tabs.currentWidget(), ModelPage)
    assert _selected_node(graph) == mean


def test_int8_error_overlay_from_the_optimizers_own_measurement(make_page, cnn_onnx, tmp_path):
    """The optimizer's static INT8 step and its per-node error analysis (what auto mode's
    report lists as worst nodes), shown on the graph of the float model."""
    from opscope.backend.optimize import quant_error
    from opscope.backend.optimize.quantize import QuantOptions, quantize_static_qdq

    rng = np.random.default_rng(0)
    batches = [{"input": rng.standard_normal((1, 3, 16, 16), np.float32)} for _ in range(4)]
    int8 = tmp_path / "int8.onnx"
    quantize_static_qdq(cnn_onnx, int8, batches, QuantOptions(mode="static"))
    rows = quant_error.node_errors(cnn_onnx, int8, batches[:2], tmp_path)
    errors = {row.node: row.relative_error for row in rows}
    page = make_page(cnn_onnx)
    page.set_node_errors(errors)
    assert set(errors) <= set(page.scene.node_index)  # the analysis names this graph's nodes
    weighted = {n.name for n in page.graph.nodes if n.op_type in ("Conv", "Gemm")}
    assert weighted <= set(errors) and all(errors[n] > 0 for n in weighted)
    shown = page.item_errors()
    for node, error in errors.items():
        assert shown[page.scene.item_index[node]] == error
    overlay = page.canvas.style_state.overlay
    levels = overlay.level[[page.scene.item_index[n] for n in weighted]]
    assert (levels >= 0).all() and len(set(levels.tolist())) > 1  # real errors differ
    assert "INT8" in page.legend.text()


def test_profile_overlay_on_the_converted_graph_of_a_torch_model(qtbot, window, exported_cnn):
    page = _open(qtbot, window, exported_cnn)
    graph = _show_graph(qtbot, window, page)
    tab = page.graph_tab
    assert graph.graph.native and not tab.profile_button.isEnabled()
    qtbot.waitUntil(tab.convert_button.isVisible)  # the layout shows new widgets later
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        tab.convert_button.click()
    converted = tab.page
    assert (
        converted is not graph
        and not converted.graph.native
        and "ONNX" in converted.note_label.text()
    )
    assert tab.profile_button.isEnabled() and tab.convert_button.text() == "Show native graph"
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        tab.profile_button.click()
    assert window.failed_jobs == 0
    times = converted.times
    in_graph = {name for name in times if name in converted.scene.node_index}
    # the profiled ONNX is the one shown: every node onnxruntime ran, as written or fused
    # into its NCHWc kernels, has its time on a node of the graph, every Conv included
    assert set(times) == in_graph
    convs = [n.name for n in converted.graph.nodes if n.op_type == "Conv"]
    assert convs and all(times[c].self_ns > 0 for c in convs)
    assert converted.item_times().sum() == sum(times[n].self_ns for n in in_graph) > 0
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        tab.convert_button.click()  # and back to the native graph
    assert tab.page.graph.native and not tab.profile_button.isEnabled()


def test_the_diff_runs_as_a_job_of_the_window(qtbot, window, cnn_onnx, tmp_path):
    from onnxruntime.quantization import quantize_dynamic

    from opscope.backend.graph.diff import diff_graphs
    from opscope.backend.graph.extract import extract_graph

    int8 = tmp_path / "int8.onnx"
    quantize_dynamic(str(cnn_onnx), str(int8))
    page = _open(qtbot, window, cnn_onnx)
    graph = _show_graph(qtbot, window, page)
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        page.graph_tab.diff_with(str(int8))
    assert window.failed_jobs == 0 and graph.diff is not None
    ignore = lambda fraction, message: None  # noqa: E731
    expected = diff_graphs(extract_graph(cnn_onnx, ignore), extract_graph(int8, ignore))
    assert graph.diff[0] == expected and expected.changed
    assert "quantized" in graph.legend.text()
    assert any("finished: Diff with int8.onnx" in line for line in window.log_pane.lines())
