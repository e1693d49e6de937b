"""The Graph tab of a model page: starts the graph job the first time it is shown, then
holds the :class:`GraphPage`; runs the profile and diff jobs that feed its overlays.

Jobs go through the window's ``submit`` like every other page's, so they show in the
status bar and the log, and ``--screenshot`` waits for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from opscope.backend.contracts.graph import GraphResult, TensorStatsResult
from opscope.backend.contracts.models import InspectResult
from opscope.backend.contracts.optimize import OptimizeReport, ProfileResult
from opscope.backend.contracts.traces import ImportTraceResult
from opscope.backend.graph.diff import diff_graphs
from opscope.backend.graph.files import load_graph_file
from opscope.backend.graph.profile_times import node_times
from opscope.backend.jobs import JobSpec
from opscope.gui.graph.page import GraphPage
from opscope.paths import cache_dir
from opscope.profiling.trace import load_trace

PROFILE_RUNS = 20


Submit = Callable[[JobSpec, Callable[[Any], None]], Any]  # the window's submit


def quantization_errors(report: OptimizeReport) -> dict[str, float]:
    """Per-node INT8 error the optimizer measured: the chosen candidate's, else the first
    candidate that has any."""
    candidates = report.candidates or []
    rows = [c for c in candidates if c.chosen and c.worst_nodes]
    rows = rows or [c for c in candidates if c.worst_nodes]
    if not rows:
        return {}
    return {row.node: float(row.relative_error) for row in rows[0].worst_nodes}


class GraphTab(QWidget):
    graph_ready = Signal()  # the graph page exists (the job finished)

    def __init__(
        self, result: InspectResult, submit: Submit | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.path, self.format = result.path, result.format
        self._submit_job = submit
        self.page: GraphPage | None = None
        self.started = False
        self._synced: Any = None
        self._optimized = ""
        self.optimized_button = QPushButton("Diff with optimized", self)
        self.optimized_button.clicked.connect(lambda: self.diff_with(self._optimized))
        self.optimized_button.hide()
        self.status = QLabel("The graph is laid out when this tab is first shown.", self)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.profile_button = QPushButton("Profile in onnxruntime", self)
        self.profile_button.setToolTip("Run the model in onnxruntime and colour nodes by self time")
        self.profile_button.clicked.connect(self.profile)
        self.profile_button.setEnabled(False)
        self.diff_button = QPushButton("Diff with…", self)
        self.diff_button.setToolTip("Compare with another ONNX model (e.g. the optimized one)")
        self.diff_button.clicked.connect(self.diff_dialog)
        self.diff_button.setEnabled(False)
        self.profile_button.hide()
        self.diff_button.hide()
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.addWidget(self.status, 1)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.start()
        self.sync_report(getattr(self.parent_page, "report", None))

    @property
    def parent_page(self) -> QWidget | None:
        """The model page this tab sits in (its optimize report feeds two overlays)."""
        widget = self.parentWidget()
        while widget is not None and not hasattr(widget, "report"):
            widget = widget.parentWidget()
        return widget

    def sync_report(self, report: Any) -> None:
        """After an optimize run: its INT8 per-node errors as an overlay, and a diff with
        the optimized model one click away."""
        if report is None or self.page is None or report is self._synced:
            return
        self._synced = report
        errors = quantization_errors(report)
        if errors:
            self.page.set_node_errors(errors)
        output = report.output
        self.optimized_button.setEnabled(str(output).endswith(".onnx"))
        self.optimized_button.show()
        self._optimized = str(output)

    def _submit(self, spec: JobSpec, on_done: Callable[[Any], None]) -> None:
        """Jobs go through the window's submit, like every page's (status bar, log)."""
        if self._submit_job is not None:
            self._submit_job(spec, on_done)

    def start(self) -> None:
        """Start the graph job once (the tab being shown, or a screenshot asking for it)."""
        if self.started or not self.path:
            return
        self.started = True
        self.status.setText("Laying out the graph…")
        spec = JobSpec("model_graph", {"path": self.path}, title=f"Graph of {Path(self.path).name}")
        self._submit(spec, self._loaded)

    def _loaded(self, result: GraphResult) -> None:
        self.page = GraphPage(result.graph_file, result.note, self)
        self.page.details.stats_requested.connect(self._request_stats)
        self.column.replaceWidget(self.status, self.page)
        self.status.hide()
        self.page.bar.addWidget(self.profile_button)
        self.page.bar.addWidget(self.diff_button)
        for button in (self.profile_button, self.diff_button):
            button.setEnabled(result.format == "onnx")
            button.show()
        self.page.bar.addWidget(self.optimized_button)
        self.sync_report(getattr(self.parent_page, "report", None))
        op_table = getattr(self.parent_page, "op_view", None)
        if op_table is not None:  # the summary's op-count table: double-click highlights
            op_table.doubleClicked.connect(
                lambda index: self.highlight_op(str(index.siblingAtColumn(0).data()))
            )
        self.graph_ready.emit()

    # -- overlays ------------------------------------------------------------------------
    def profile(self) -> None:
        output = cache_dir("profiles") / f"graph-{Path(self.path).stem}-{uuid.uuid4().hex[:8]}.json"
        params = {"path": self.path, "output": str(output), "runs": PROFILE_RUNS}
        spec = JobSpec("profile_model", params, title=f"Profiling {Path(self.path).name}")
        self.profile_button.setEnabled(False)
        self._submit(spec, self._profiled)

    def _profiled(self, result: ProfileResult) -> None:
        path = result.output
        spec = JobSpec("import_trace", {"path": path}, title=f"Importing {Path(path).name}")
        self._submit(spec, self._imported)

    def _imported(self, result: ImportTraceResult) -> None:
        self.show_times(node_times(load_trace(result.trace_file)))
        self.profile_button.setEnabled(True)

    def highlight_op(self, op_type: str) -> None:
        """Show this tab with every node of ``op_type`` outlined."""
        page = self.parent_page
        if page is not None and hasattr(page, "tabs"):
            page.tabs.setCurrentWidget(self)
        if self.page is not None:
            self.page.op_box.setCurrentIndex(
                max(0, self.page.op_box.findText(f"{op_type} (", Qt.MatchFlag.MatchStartsWith))
            )

    def show_times(self, times: dict) -> None:
        if self.page is not None:
            self.page.set_node_times(times)

    def diff_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Diff with", "", "ONNX (*.onnx)")
        if path:
            self.diff_with(path)

    def diff_with(self, other: str) -> None:
        spec = JobSpec("model_graph", {"path": other}, title=f"Graph of {Path(other).name}")
        self._submit(spec, self._diffed)

    def _diffed(self, result: GraphResult) -> None:
        graph_file = result.graph_file
        other, _, _ = load_graph_file(graph_file)
        if self.page is not None:
            self.page.set_diff(diff_graphs(self.page.graph, other), graph_file)

    def _request_stats(self, tensor: str) -> None:
        spec = JobSpec(
            "tensor_stats", {"path": self.path, "tensor": tensor}, title=f"Weights {tensor}"
        )
        self._submit(spec, self._stats)

    def _stats(self, result: TensorStatsResult) -> None:
        if self.page is not None and result.stats is not None:
            self.page.details.show_stats(result.tensor, result.stats)
