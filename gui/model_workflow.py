"""The model workflow in the window: optimize a model page's model, profile it, export it,
and go between a model's graph and its profile.

Each step is a job; this controller builds the specs, files the outputs in the cache and
hands results to the pages. It talks to the window only through :class:`WorkflowHost`
(submit a job, log a line, enable export, show a trace or a comparison, list and show the
open pages), and keeps no per-page state: a page holds its own run, options, output and
report, a trace page the path of the model it profiles, and the controller remembers the
last optimized page only weakly, so a closed page is freed. "Show in graph" and "Show in
trace" go through here, so neither page holds a reference to the other.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtWidgets import QFileDialog, QWidget

from opscope.backend.contracts.optimize import OptimizeOptions, OptimizeReport
from opscope.backend.contracts.traces import ImportTraceResult
from opscope.backend.jobs import JobSpec
from opscope.gui.compare_page import ComparedRun
from opscope.gui.jobs import JobHandle
from opscope.gui.model_page import ModelPage
from opscope.gui.trace_page import TracePage
from opscope.paths import cache_dir, trim_cache

PROFILE_RUNS = 20
CACHE_BUDGET_BYTES = 4 << 30  # optimized models and profiles kept per folder


class WorkflowHost(Protocol):
    """What the workflow needs of the window, and nothing more."""

    def submit(self, spec: JobSpec, on_done: Callable[[Any], None]) -> JobHandle: ...

    def log(self, text: str, level: str = "info") -> None: ...

    def set_export_enabled(self, enabled: bool) -> None: ...

    def show_trace(
        self, result: ImportTraceResult, title: str | None = None, model: str = ""
    ) -> TracePage: ...

    def show_comparison(self, run_a: ComparedRun, run_b: ComparedRun) -> None: ...

    def dialog_parent(self) -> QWidget: ...

    def pages(self) -> list[QWidget]: ...

    def show_page(self, page: QWidget) -> None: ...


def _cache_file(folder: str, source: str, suffix: str) -> Path:
    """A new output path in the cache; the oldest outputs go once the folder is too big."""
    digest = hashlib.sha1(f"{source}:{time.time_ns()}".encode()).hexdigest()[:10]
    trim_cache(cache_dir(folder), CACHE_BUDGET_BYTES)
    return cache_dir(folder) / f"{Path(source).stem}-{digest}{suffix}"


class ModelWorkflow:
    def __init__(self, host: WorkflowHost) -> None:
        self.host = host
        self._optimized: weakref.ref | None = None  # the page File › Export exports

    @property
    def optimized_page(self) -> Any | None:
        return self._optimized() if self._optimized is not None else None

    def attach(self, page) -> None:
        page.optimize_requested.connect(lambda options, p=page: self.optimize(p, options))
        page.profile_requested.connect(lambda p=page: self.profile(p))
        page.trace_requested.connect(lambda node, p=page: self.show_in_trace(p, node))

    def optimize(self, page, options: OptimizeOptions) -> JobHandle:
        page.run_output = _cache_file("optimized", page.path, ".onnx")
        params = {"path": page.path, "output": str(page.run_output), "options": options}
        spec = JobSpec("optimize_model", params, title=f"Optimizing {Path(page.path).name}")
        page_ref = weakref.ref(page)
        handle = self.host.submit(spec, lambda report: self._optimized_by(page_ref, report))
        page.run_started(handle, options)
        return handle

    def _optimized_by(self, page_ref: weakref.ref, report: OptimizeReport) -> None:
        page = page_ref()
        if page is None:
            return
        page.show_report(report)
        self._optimized = page_ref
        self.host.set_export_enabled(True)
        if report.speedup:
            self.host.log(f"optimized {Path(page.path).name}: {report.speedup:.2f}× faster")

    # -- profiling -----------------------------------------------------------------------
    def profile(self, page) -> None:
        """Profile the original (in its own framework) and the optimized model, then open
        both traces and their comparison."""
        if page.report is None:
            return
        original_runtime = "onnxruntime" if page.result.format == "onnx" else "native"
        runs = [
            (page.path, original_runtime, "original"),
            (page.report.output, "onnxruntime", "optimized"),
        ]
        inputs = page.run_options.inputs if page.run_options else ()
        traces: dict[int, ComparedRun] = {}
        page.profile_started()
        for index, (model, runtime, role) in enumerate(runs):
            output = _cache_file("profiles", model, ".json")
            params = {"path": model, "output": str(output), "runs": PROFILE_RUNS}
            # the original's input shapes, for formats that do not record them
            params |= {"runtime": runtime, "inputs": inputs if index == 0 else ()}
            title = f"{Path(page.path).name} ({role}, {runtime})"
            spec = JobSpec("profile_model", params, title=f"Profiling {title}")
            page.follow_profile_job(
                self.host.submit(
                    spec,
                    lambda result, i=index, t=title, p=page, m=str(model): self._import_profile(
                        p, result, i, t, m, traces
                    ),
                )
            )

    def _import_profile(
        self, page, result, index: int, title: str, model: str, traces: dict
    ) -> None:
        spec = JobSpec("import_trace", {"path": result.output}, title=f"Importing {title}")
        handle = self.host.submit(
            spec, lambda trace, i=index, t=title: self._profiled(trace, i, t, model, traces)
        )
        page.follow_profile_job(handle)

    def _profiled(
        self, result: ImportTraceResult, index: int, title: str, model: str, traces: dict
    ) -> None:
        page = self.host.show_trace(result, title, model)
        traces[index] = ComparedRun(title, page.trace)
        if len(traces) == 2:
            self.host.show_comparison(traces[0], traces[1])

    # -- between a model's graph and its profile ----------------------------------------
    def show_in_graph(self, trace: TracePage, node: str) -> ModelPage | None:
        """A trace's "Show in graph": the Graph tab of the model page the trace profiles
        (by its path, or its optimized model's), else of a page whose graph has ``node``."""
        pages = [p for p in self.host.pages() if isinstance(p, ModelPage)]
        model = trace.model_path
        optimized = [p for p in pages if p.report is not None and str(p.report.output) == model]
        shown = [p for p in pages if p.graph_tab.page and node in p.graph_tab.page.scene.node_index]
        page = next(iter([p for p in pages if model and p.path == model] + optimized + shown), None)
        if page is None:
            self.host.log(f"no open model page shows node {node!r}: open its model", "warning")
            return None
        self.host.show_page(page)
        if not page.show_graph_node(node):
            self.host.log(f"node {node!r} is not in the graph of {Path(page.path).name}", "warning")
        return page

    def show_in_trace(self, page: ModelPage, node: str) -> TracePage | None:
        """A graph node's "Show in trace": an open profile of this model (or its optimized
        model) that ran ``node``, else the Graph tab's own profile opened as a trace page."""
        models = {page.path, str(page.report.output) if page.report is not None else ""}
        traces = [
            p
            for p in self.host.pages()
            if isinstance(p, TracePage) and p.model_path in models and p.node_slices(node).size
        ]
        trace = traces[0] if traces else None
        profile = page.graph_tab.profile_trace
        if trace is None and profile is not None:
            title = f"{Path(page.path).name} (graph profile, onnxruntime)"
            trace = self.host.show_trace(profile, title, page.path)
        if trace is None or not trace.show_node(node):
            self.host.log(f"no open profile of {Path(page.path).name} ran node {node!r}", "warning")
            return trace
        self.host.show_page(trace)
        return trace

    # -- export --------------------------------------------------------------------------
    def export_dialog(self) -> None:
        page = self.optimized_page
        if page is None:
            return
        suggestion = str(Path(page.path).with_name(Path(page.path).stem + ".optimized.onnx"))
        target, _ = QFileDialog.getSaveFileName(
            self.host.dialog_parent(), "Export Optimized Model", suggestion, "ONNX (*.onnx)"
        )
        if target:
            self.export(target)

    def export(self, target: str) -> JobHandle | None:
        page = self.optimized_page
        if page is None:
            return None
        params = {"model": page.report.output, "report": page.report, "target": target}
        spec = JobSpec("export_model", params, title=f"Exporting {Path(target).name}")
        return self.host.submit(spec, lambda r: self.host.log(f"exported {r.model} and its report"))

    def save_report_dialog(self) -> None:
        page = self.optimized_page
        if page is None:
            return
        target, _ = QFileDialog.getSaveFileName(
            self.host.dialog_parent(), "Save Report", "report.md", "Markdown (*.md);;JSON (*.json)"
        )
        if target:
            self.save_report(target)

    def save_report(self, target: str) -> JobHandle | None:
        """Write the report in a job, off the GUI thread."""
        page = self.optimized_page
        if page is None:
            return None
        spec = JobSpec(
            "save_report", {"report": page.report, "target": target}, title="Saving the report"
        )
        return self.host.submit(spec, lambda r: self.host.log(f"saved the report to {r.target}"))
