"""The page of one imported trace: timeline on top; op table, chart, summary and details below.

The page only wires its parts together: a click in the timeline fills the details pane, a
ruler drag narrows the op table to that time range, a row picked in the table highlights
that op's occurrences in the timeline (stepped through with the search bar's arrows).
An onnxruntime op slice has "Show in graph" (right-click, or the details pane): the page
says which node through ``graph_requested``; the window finds the model page that shows it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from opscope.backend.contracts.traces import ImportTraceResult
from opscope.backend.graph.profile_times import event_of_node
from opscope.gui.details_pane import DetailsPane, graph_node_of
from opscope.gui.op_chart import OpChart
from opscope.gui.op_table_panel import OpTablePanel
from opscope.gui.summary_panel import SummaryPanel
from opscope.gui.timeline import TimelineView
from opscope.gui.timeline.search import occurrences
from opscope.gui.timeline.search_bar import SEARCH_LABEL, SearchBar
from opscope.profiling.trace import Trace, load_trace

GROUPING_COLUMN = {"op_type": "op", "name": "name"}


def boxed(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addWidget(widget)
    return box


class TracePage(QWidget):
    compare_requested = Signal()
    graph_requested = Signal(str)  # "Show in graph" of an onnxruntime op slice's node

    def __init__(
        self, result: ImportTraceResult, parent: QWidget | None = None, model_path: str = ""
    ) -> None:
        """``model_path``: the model this trace is a profile of, when opscope profiled it."""
        super().__init__(parent)
        self.result = result
        self.path: str = result.path
        self.model_path = model_path
        self.trace: Trace = load_trace(result.trace_file)
        self.timeline = TimelineView(self.trace)
        self.search_bar = SearchBar(self.timeline)
        self.op_panel = OpTablePanel(self.trace)
        self.chart = OpChart()
        self.summary = SummaryPanel(self.trace, result.info)
        self.details = DetailsPane(self.trace)
        self.fit_button = QPushButton("Fit all")
        self.zoom_button = QPushButton("Zoom to selection")
        self.compare_button = QPushButton("Compare with…")
        self._lay_out()
        self._connect()
        self.chart.set_rows(self.op_panel.stats.rows())

    def _lay_out(self) -> None:
        toolbar = QHBoxLayout()
        for widget in (self.fit_button, self.zoom_button, self.search_bar):
            toolbar.addWidget(widget)
        toolbar.addStretch(1)
        toolbar.addWidget(self.compare_button)
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(boxed("Summary", self.summary))
        side.addWidget(boxed("Selected slice", self.details))
        side.setSizes([150, 250])
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(boxed("Op statistics", self.op_panel))
        bottom.addWidget(self.chart)
        bottom.addWidget(side)
        bottom.setSizes([700, 420, 480])
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(self.timeline)
        main.addWidget(bottom)
        main.setSizes([560, 400])
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 2)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(toolbar)
        column.addWidget(main, 1)

    def _connect(self) -> None:
        self.fit_button.clicked.connect(self.timeline.fit_all)
        self.zoom_button.clicked.connect(self.timeline.zoom_to_selection)
        self.compare_button.clicked.connect(self.compare_requested)
        self.timeline.slice_selected.connect(self.details.show_slice)
        self.timeline.instant_selected.connect(self.details.show_instant)
        self.timeline.range_selected.connect(self.op_panel.set_window)
        self.op_panel.op_selected.connect(self.highlight_op)
        self.chart.op_clicked.connect(self.op_panel.reveal_op)
        self.op_panel.stats_changed.connect(lambda: self.chart.set_rows(self.op_panel.stats.rows()))
        self.details.graph_requested.connect(self.graph_requested)
        self.timeline.slice_context_menu.connect(self.slice_menu)

    def slice_menu(self, index: int, where: QPoint) -> QMenu | None:
        """The right-click menu of a slice: "Show in graph" for an onnxruntime op slice."""
        node = graph_node_of(self.trace, index)
        if node is None:
            return None
        menu = QMenu(self)
        menu.addAction("Show in graph", lambda: self.graph_requested.emit(node))
        menu.popup(where)
        return menu

    def node_slices(self, node: str) -> np.ndarray:
        """The onnxruntime kernel slices of graph node ``node``."""
        return occurrences(self.trace, "name", event_of_node(node))

    def show_node(self, node: str) -> bool:
        """Select the first slice of graph node ``node`` and bring it into view."""
        return self.timeline.reveal_first(self.node_slices(node), node) >= 0

    def highlight_op(self, grouping: str, value: str) -> None:
        """Highlight the occurrences of one op (inside the selected time range, if any)."""
        if not value:
            highlight = self.timeline.state.highlight
            if highlight is not None and highlight.label != SEARCH_LABEL:
                self.timeline.set_highlight(None)  # a search stays until its box is cleared
            return
        indices = occurrences(self.trace, GROUPING_COLUMN[grouping], value)
        window = self.op_panel.window_ns
        if window is not None:
            starts = self.trace.start_ns[indices]
            indices = indices[(starts >= window[0]) & (starts < window[1])]
        self.timeline.set_highlight(np.asarray(indices), value)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.timeline.setFocus()
