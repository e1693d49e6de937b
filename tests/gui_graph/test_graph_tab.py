"""The Graph tab in a real window: its job runs in a child process when the tab is shown."""

from __future__ import annotations

SETTLE_MS = 300_000  # the machine is shared: generous, never a timing assertion


def test_graph_tab_lays_out_the_model_when_shown(qtbot, window, scoped_onnx):
    from opscope.gui.graph.page import GraphPage
    from opscope.gui.model_page import ModelPage

    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        window.open_path(str(scoped_onnx))
    page = window.tabs.currentWidget()
    assert isinstance(page, ModelPage)
    assert page.graph_tab.page is None and not page.graph_tab.started  # nothing until shown
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        page.tabs.setCurrentWidget(page.graph_tab)
    graph = page.graph_tab.page
    assert isinstance(graph, GraphPage) and window.failed_jobs == 0
    assert len(graph.graph.nodes) == page.result.nodes
    assert page.graph_tab.profile_button.isEnabled()
    # double-clicking an op type in the summary's table highlights it in the graph
    page.tabs.setCurrentIndex(0)
    model = page.op_view.model()
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "Softmax")
    page.op_view.doubleClicked.emit(model.index(row, 1))
    assert page.tabs.currentWidget() is page.graph_tab
    assert graph.canvas.style_state.highlight.sum() == 2
    # the overlay from a real profile, through the same jobs the button runs
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        page.graph_tab.profile_button.click()
    assert window.failed_jobs == 0
    assert graph.times and graph.canvas.style_state.overlay is not None
