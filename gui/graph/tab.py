"""The Graph tab of a model page: starts the graph job the first time it is shown, then
holds the :class:`GraphPage`; runs the profile, node-times and diff jobs that feed its
overlays (never on the GUI thread: a diff of two 10,000-node graphs or a profile of a
million events is a job like the layout).

Jobs go through the window's ``submit`` like every other page's, so they show in the
status bar and the log, and ``--screenshot`` waits for them. The measured-time overlay
needs the graph onnxruntime ran: an ONNX model's own, or the converted ONNX of any other
format (the tab switches to it; the profile job converts the model the same way, with the
same input shapes, so node names match).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from opscope.backend.contracts.graph import (
    GraphDiff,
    GraphResult,
    NodeTimesResult,
    TensorStatsResult,
)
from opscope.backend.contracts.models import InspectResult
from opscope.backend.contracts.optimize import OptimizeReport, ProfileResult
from opscope.backend.contracts.traces import ImportTraceResult
from opscope.backend.jobs import JobSpec
from opscope.gui.graph.page import GraphPage
from opscope.paths import cache_dir

PROFILE_RUNS = 20


Submit = Callable[[JobSpec, Callable[[Any], None]], Any]  # the window's submit
Inputs = Callable[[], tuple[str, ...]]  # the input shapes the model page knows


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
    trace_requested = Signal(str)  # "Show in trace" of a node, with a profile to show

    def __init__(
        self,
        result: InspectResult,
        submit: Submit | None,
        parent: QWidget | None = None,
        inputs: Inputs | None = None,
    ) -> None:
        super().__init__(parent)
        self.path, self.format = result.path, result.format
        self._submit_job = submit
        self._inputs = inputs or tuple
        self.page: GraphPage | None = None
        self.graph_file = ""  # the graph job's file of the graph shown
        self.converted = False  # showing the model converted to ONNX
        self.has_native = False  # opscope walks this format's own graph
        self.profile_trace: ImportTraceResult | None = None  # this tab's last profile
        self.started = False
        self._synced: Any = None
        self._optimized = ""
        self._reveal = ""  # node to show once the graph is laid out
        self._trace_wanted = ""  # node to show in the trace once the profile is in
        self.status = QLabel("The graph is laid out when this tab is first shown.", self)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.profile_button = self._button(
            "Profile in onnxruntime",
            "Run the model in onnxruntime and colour nodes by self time",
            self.profile,
        )
        self.convert_button = self._button(
            "Show as ONNX",
            "The model converted to ONNX: the graph onnxruntime runs and profiles",
            lambda: self.show_converted(not self.converted),
        )
        self.diff_button = self._button(
            "Diff with…",
            "Compare with another ONNX model (e.g. the optimized one)",
            self.diff_dialog,
        )
        self.optimized_button = self._button(
            "Diff with optimized", "", lambda: self.diff_with(self._optimized)
        )
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.addWidget(self.status, 1)

    def _button(self, text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        button.hide()
        return button

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

    @property
    def profilable(self) -> bool:
        """Whether the graph shown is the one onnxruntime runs (its ORT events name nodes)."""
        return self.format == "onnx" or self.converted

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

    def _graph_spec(self, path: str, converted: bool = False) -> JobSpec:
        params = {"path": path, "converted": converted, "inputs": self._inputs()}
        return JobSpec("model_graph", params, title=f"Graph of {Path(path).name}")

    def start(self) -> None:
        """Start the graph job once (the tab being shown, or a screenshot asking for it)."""
        if self.started or not self.path:
            return
        self.started = True
        self.status.setText("Laying out the graph…")
        self._submit(self._graph_spec(self.path), self._loaded)

    def show_converted(self, converted: bool = True) -> None:
        """Show the model converted to ONNX, where the profile overlay applies (or, with
        ``converted`` False, its native graph again)."""
        self.convert_button.setEnabled(False)
        self._submit(self._graph_spec(self.path, converted=converted), self._loaded)

    def _loaded(self, result: GraphResult) -> None:
        old, self.page = self.page, GraphPage(result.graph_file, result.note, self)
        self.graph_file, self.converted = result.graph_file, not result.native
        self.page.details.stats_requested.connect(self._request_stats)
        self.page.details.trace_requested.connect(self.show_in_trace)
        self.page.details.can_trace = self.profilable
        self.column.replaceWidget(old or self.status, self.page)
        self.status.hide()
        if old is not None:
            old.deleteLater()
        self._synced = None
        for button in (self.profile_button, self.diff_button, self.optimized_button):
            self.page.bar.addWidget(button)
        self.profile_button.setEnabled(self.profilable)
        self.profile_button.show()
        self.diff_button.setEnabled(self.format == "onnx")
        self.diff_button.show()
        self.has_native = self.has_native or result.native
        if self.format != "onnx" and self.has_native:  # between the native and the ONNX graph
            self.convert_button.setText("Show native graph" if self.converted else "Show as ONNX")
            self.convert_button.setEnabled(True)
            self.page.bar.addWidget(self.convert_button)
            self.convert_button.show()
        self.sync_report(getattr(self.parent_page, "report", None))
        op_table = getattr(self.parent_page, "op_view", None)
        if op_table is not None and old is None:  # the summary's op-count table
            op_table.doubleClicked.connect(
                lambda index: self.highlight_op(str(index.siblingAtColumn(0).data()))
            )
        if self._reveal:
            self.reveal_node(self._reveal)
        self.graph_ready.emit()

    def reveal_node(self, name: str) -> bool:
        """Select and zoom to node ``name`` (once the graph is laid out, if it is not yet);
        False when the graph shown does not have it."""
        if self.page is None:
            self._reveal = name
            self.start()
            return True
        self._reveal = ""
        return self.page.show_node(name)

    # -- overlays ------------------------------------------------------------------------
    def profile(self) -> None:
        output = cache_dir("profiles") / f"graph-{Path(self.path).stem}-{uuid.uuid4().hex[:8]}.json"
        params = {"path": self.path, "output": str(output), "runs": PROFILE_RUNS}
        params |= {"runtime": "onnxruntime", "inputs": self._inputs()}
        spec = JobSpec("profile_model", params, title=f"Profiling {Path(self.path).name}")
        self.profile_button.setEnabled(False)
        self._submit(spec, self._profiled)

    def _profiled(self, result: ProfileResult) -> None:
        path = result.output
        spec = JobSpec("import_trace", {"path": path}, title=f"Importing {Path(path).name}")
        self._submit(spec, self._imported)

    def _imported(self, result: ImportTraceResult) -> None:
        self.profile_trace = result
        # the graph shown and the profile: onnxruntime's fused nodes map back onto the graph
        params = {"trace_file": result.trace_file, "profile": result.path}
        params["graph_file"] = self.graph_file
        title = f"Node times of {Path(result.path).name}"
        self._submit(JobSpec("node_times", params, title=title), self._timed)

    def _timed(self, result: NodeTimesResult) -> None:
        self.show_times(result.times)
        self.profile_button.setEnabled(True)
        if self._trace_wanted:
            node, self._trace_wanted = self._trace_wanted, ""
            self.trace_requested.emit(node)

    def show_in_trace(self, node: str) -> None:
        """ "Show in trace": with a profile at hand the window shows it; else profile first."""
        if self.profile_trace is None and self.profilable:
            self._trace_wanted = node
            self.profile()
            return
        self.trace_requested.emit(node)

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
        """Lay out ``other``, then diff it with this graph in a job of its own."""
        self._submit(self._graph_spec(other), self._other_laid_out)

    def _other_laid_out(self, result: GraphResult) -> None:
        other_file = result.graph_file
        params = {"first": self.graph_file, "second": other_file}
        spec = JobSpec("graph_diff", params, title=f"Diff with {Path(result.path).name}")
        self._submit(spec, lambda diff: self._diffed(diff, other_file))

    def _diffed(self, diff: GraphDiff, other_file: str) -> None:
        if self.page is not None:
            self.page.set_diff(diff, other_file)

    def _request_stats(self, tensor: str) -> None:
        spec = JobSpec(
            "tensor_stats", {"path": self.path, "tensor": tensor}, title=f"Weights {tensor}"
        )
        self._submit(spec, self._stats)

    def _stats(self, result: TensorStatsResult) -> None:
        if self.page is not None and result.stats is not None:
            self.page.details.show_stats(result.tensor, result.stats)
