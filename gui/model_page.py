"""The model page: the graph summary of an inspected model (the ``inspect`` job's result)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QSettings, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from opscope.backend.contracts.models import GeneratedInput, InspectResult, TensorInfo
from opscope.backend.contracts.optimize import OptimizeOptions, OptimizeReport
from opscope.backend.summary import is_quant_op
from opscope.errors import OpscopeError
from opscope.gui.count_table import RowsTableModel
from opscope.gui.graph.tab import GraphTab, Submit
from opscope.gui.jobs import JobHandle, JobState
from opscope.gui.op_count_chart import OpCountChart
from opscope.gui.optimize_results import OptimizeResults
from opscope.gui.pipeline_panel import PipelinePanel, parse_input_shapes
from opscope.gui.step_progress import StepBars, applicable_steps
from opscope.gui.table_view import read_only_table
from opscope.gui.units import human_bytes, human_count
from opscope.progress import Step

FROZEN_FIELDS = ("nodes", "const", "variable", "identity", "placeholder")


def _card(title: str, value: str, parent: QWidget, note: str = "") -> QFrame:
    """A number with its caption; a long ``note`` goes in the small caption, so the cards
    keep one width."""
    frame = QFrame(parent)
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    layout = QVBoxLayout(frame)
    caption = QLabel(f"{title} · {note}" if note else title, frame)
    caption.setToolTip(caption.text())
    caption.setStyleSheet("color: #666; font-size: 11px;")
    number = QLabel(value, frame)
    number.setObjectName(f"card_{title.lower().replace(' ', '_')}")
    number.setStyleSheet("font-size: 20px; font-weight: 600;")
    number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout.addWidget(caption)
    layout.addWidget(number)
    return frame


def _table(
    model: RowsTableModel, parent: QWidget, sortable: bool = True, stretch: int = 0
) -> QTableView:
    """A read-only table; the ``stretch`` column (a name) takes the spare width, so the
    numbers stay next to what they count instead of at the far right edge."""
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(Qt.ItemDataRole.UserRole)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    return read_only_table(proxy, parent, stretch=stretch, sortable=sortable)


def _fit_height(view: QTableView, max_rows: int = 8) -> None:
    """A short table (inputs and outputs) as tall as its rows, not as tall as the page."""
    rows = min(view.model().rowCount(), max_rows)
    height = view.horizontalHeader().height() + 2 * view.frameWidth()
    view.setMaximumHeight(height + rows * view.verticalHeader().defaultSectionSize() + 2)


def _generated_text(generated: GeneratedInput | None) -> str:
    """What a run without the user's inputs feeds an input, or "" for an output."""
    if generated is None:
        return ""
    if generated.shape is None:
        return "needs a shape (Optimize tab: Input shapes)"
    return f"[{', '.join(map(str, generated.shape))}], {generated.values}"


def _shape(tensor: TensorInfo) -> str:
    shape = tensor.shape
    if shape is None:
        return "?"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


class ModelPage(QWidget):
    """Tabs: the graph summary, and the optimization pipeline with its results."""

    optimize_requested = Signal(object)  # OptimizeOptions
    profile_requested = Signal()
    trace_requested = Signal(str)  # a graph node's "Show in trace"

    def __init__(
        self,
        result: InspectResult,
        parent: QWidget | None = None,
        settings=None,
        submit: Submit | None = None,
    ) -> None:
        super().__init__(parent)
        self.result = result
        self.path = result.path
        self.report: OptimizeReport | None = None
        self.run: JobHandle | None = None  # the optimize run under way
        self.profiling: list[JobHandle] = []  # the profile and import jobs under way
        self.run_options: OptimizeOptions | None = None  # the options of the last run
        self.run_output: Path | None = None  # where the last run writes, in the cache
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._summary_tab(), "Summary")
        self.tabs.addTab(self._optimize_tab(settings or QSettings()), "Optimize")
        self.graph_tab = GraphTab(result, submit, self, inputs=self.input_shapes)
        self.graph_tab.trace_requested.connect(self.trace_requested)
        self.tabs.addTab(self.graph_tab, "Graph")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def input_shapes(self) -> tuple[str, ...]:
        """The input shapes the pipeline panel holds (the user's, or the suggested ones for
        a file that records none); none while the field does not parse."""
        try:
            return tuple(parse_input_shapes(self.pipeline.input_shapes.text()))
        except OpscopeError:
            return ()

    def show_graph_node(self, name: str) -> bool:
        """Switch to the Graph tab at node ``name``; False when its graph has no such node."""
        self.tabs.setCurrentWidget(self.graph_tab)
        return self.graph_tab.reveal_node(name)

    def _optimize_tab(self, settings: QSettings) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(splitter)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        self.pipeline = PipelinePanel(self.result, settings, left)
        self.pipeline.run_requested.connect(self.optimize_requested)
        self.pipeline.cancel_requested.connect(self.cancel_run)
        self.pipeline.profile_requested.connect(self.profile_requested)
        self.progress = StepBars(left)
        column.addWidget(self.pipeline)
        column.addWidget(self.progress)
        column.addStretch(1)
        self.results_area = QStackedWidget(splitter)
        self.status_label = QLabel("Choose the steps on the left and press Run.", self)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.results_area.addWidget(self.status_label)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([430, 1170])
        return splitter

    # -- an optimize run, as the workflow reports it ---------------------------------------
    def run_started(self, run: JobHandle, options: OptimizeOptions) -> None:
        """Follow the optimize job ``run``: its own progress and end."""
        self.run, self.run_options = run, options
        run.progress.connect(self.progress.update_progress)
        run.cancelled.connect(lambda: self.run_stopped("Cancelled"))
        run.failed.connect(lambda message, _: self.run_stopped(f"Failed: {message}"))
        run.ended.connect(self._run_ended)
        self.pipeline.set_running(True)
        self.status_label.setText("Running… the results appear here when the run ends.")
        self.results_area.setCurrentWidget(self.status_label)
        self.progress.start(applicable_steps(self.result.format, options))

    def _run_ended(self) -> None:
        self.run = None

    def cancel_run(self) -> None:
        """Cancel what the panel started: the optimize run, or the profiling jobs."""
        for handle in [self.run, *self.profiling]:
            if handle is not None:
                handle.cancel()

    # -- profiling the original and the optimized model, as the workflow reports it -------
    def profile_started(self) -> None:
        self.profiling = []
        self.pipeline.set_running(True)
        self.progress.start([Step.PROFILE, Step.IMPORT])

    def follow_profile_job(self, handle: JobHandle) -> None:
        """One of the profile or import jobs: its progress moves the page's bars and its
        Cancel stops it; the bars finish when the last one ends."""
        self.profiling.append(handle)
        handle.progress.connect(self.progress.update_progress)
        handle.cancelled.connect(lambda: self.progress.stop("Profiling cancelled"))
        handle.failed.connect(lambda message, _: self.progress.stop(f"Failed: {message}"))
        handle.ended.connect(lambda h=handle: self._profile_job_ended(h))

    def _profile_job_ended(self, handle: JobHandle) -> None:
        self.profiling.remove(handle)
        if not self.profiling:
            if handle.state is JobState.FINISHED:
                self.progress.finish()
            self.pipeline.set_running(False)
            self.pipeline.profile_button.setEnabled(self.report is not None)

    def run_stopped(self, text: str) -> None:
        """The run was cancelled or failed: say so where the results would be."""
        self.progress.stop(text)
        self.pipeline.set_running(False)
        self.pipeline.profile_button.setEnabled(self.report is not None)
        self.status_label.setText(text)
        self.results_area.setCurrentWidget(self.status_label)

    def show_report(self, report: OptimizeReport) -> None:
        """Show what the optimize job did, and let the user profile both models."""
        self.report = report
        self.progress.finish()
        self.pipeline.set_running(False)
        results = OptimizeResults(report, self.results_area)
        self.results_area.addWidget(results)
        self.results_area.setCurrentWidget(results)
        self.pipeline.profile_button.setEnabled(True)
        self.tabs.setCurrentIndex(1)

    def _summary_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        layout.addLayout(self._cards())
        top = QHBoxLayout()
        top.addWidget(self._io_table(), 3, Qt.AlignmentFlag.AlignTop)
        if self.result.frozen:
            top.addWidget(self._frozen_table(), 2, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        splitter = QSplitter(Qt.Orientation.Horizontal, tab)
        splitter.addWidget(self._op_panel())
        self.chart = OpCountChart(self.result.op_counts, splitter)
        self.chart.op_clicked.connect(self.reveal_op)
        splitter.addWidget(self.chart)
        splitter.setSizes([600, 900])
        layout.addWidget(splitter, 4)
        layout.addWidget(self._lists(), 1)
        return tab

    def _cards(self) -> QGridLayout:
        r = self.result
        producer = r.producer or "—"
        cards = [
            ("Format", r.format),
            ("Nodes", f"{r.nodes:,}"),
            ("Parameters", f"{human_count(r.params)} ({human_bytes(r.param_bytes)})"),
            ("Size on disk", human_bytes(r.size_bytes)),
            ("Opset", f"{r.opset if r.opset is not None else '—'}"),
            ("Quantization nodes", f"{r.quant_nodes:,}"),
        ]
        grid = QGridLayout()
        for column, (title, value) in enumerate(cards):
            note = f"made by {producer}" if title == "Opset" else ""
            grid.addWidget(_card(title, value, self, note), 0, column)
            grid.setColumnStretch(column, 1)
        return grid

    def _io_table(self) -> QTableView:
        generated = {g.name: g for g in self.result.generated_inputs}
        rows = [
            [kind, t.name, t.dtype, _shape(t), _generated_text(generated.get(t.name))]
            for kind, tensors in (("input", self.result.inputs), ("output", self.result.outputs))
            for t in tensors
        ]
        headers = ["", "Name", "Dtype", "Shape", "Runs without your inputs use"]
        model = RowsTableModel(headers, rows)
        self.io_view = _table(model, self, False, stretch=4)
        _fit_height(self.io_view)
        return self.io_view

    def _frozen_table(self) -> QTableView:
        frozen = self.result.frozen
        rows = [[f, getattr(self.result, f), getattr(frozen, f)] for f in FROZEN_FIELDS]
        self.frozen_view = _table(
            RowsTableModel(["Count", "As saved", "Frozen"], rows), self, False
        )
        _fit_height(self.frozen_view)
        return self.frozen_view

    def reveal_op(self, op: str) -> None:
        """Select ``op``'s row in the op table (a click on its bar), clearing a filter that
        hides it."""
        proxy = self.op_view.model()
        if op.lower() not in self.op_filter.text().lower():
            self.op_filter.clear()
        for row in range(proxy.rowCount()):
            index = proxy.index(row, 0)
            if index.data() == op:
                flags = QItemSelectionModel.SelectionFlag
                self.op_view.selectionModel().setCurrentIndex(
                    index, flags.ClearAndSelect | flags.Rows
                )
                self.op_view.scrollTo(index)
                return

    def _op_panel(self) -> QWidget:
        panel = QWidget(self)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.op_filter = QLineEdit(panel)
        self.op_filter.setPlaceholderText("Filter op types…")
        counts = self.result.op_counts
        total = max(1, sum(counts.values()))
        rows = [[op, n, round(100.0 * n / total, 1)] for op, n in counts.items()]
        quant = [i for i, row in enumerate(rows) if is_quant_op(row[0])]
        self.op_model = RowsTableModel(
            ["Op type", "Count", "% of nodes"], rows, panel, quant, "quantization op"
        )
        self.op_view = _table(self.op_model, panel)
        self.op_view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.op_filter.textChanged.connect(self.op_view.model().setFilterFixedString)
        layout.addWidget(self.op_filter)
        layout.addWidget(self.op_view)
        return panel

    def _lists(self) -> QTabWidget:
        tabs = QTabWidget(self)
        for title, key in (
            ("Unused nodes", "unused_nodes"),
            ("Unused initializers", "unused_initializers"),
        ):
            names = getattr(self.result, key)
            widget = QListWidget(tabs)
            widget.addItems(names)
            tabs.addTab(widget, f"{title} ({len(names)})")
        tabs.addTab(self._quant_list(tabs), f"Quantization nodes ({self._quant_count()})")
        inner = self.result.subgraph_op_counts
        if inner:
            widget = QListWidget(tabs)
            ranked = sorted(inner.items(), key=lambda kv: (-kv[1], kv[0]))
            widget.addItems([f"{op} × {count:,}" for op, count in ranked])
            title = f"Inside loops and conditionals ({sum(inner.values()):,} nodes)"
            tabs.addTab(widget, title)
        return tabs

    def _quant_count(self) -> int:
        return self.result.quant_nodes

    def _quant_list(self, parent: QWidget) -> QListWidget:
        """The inspect job counts quantization nodes but does not name them, so the list
        shows their op types with counts (highlighted in the op table too)."""
        self.quant_list = QListWidget(parent)
        counts = self.result.op_counts
        self.quant_list.addItems([f"{op}  ×{n:,}" for op, n in counts.items() if is_quant_op(op)])
        return self.quant_list
