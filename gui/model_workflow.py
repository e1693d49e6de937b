"""The model workflow in the window: optimize a model page's model, profile it, export it.

Each step is a job in the worker; this controller only builds the specs, files the outputs
in the cache, and hands results back to the pages.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from opscope.backend.jobs import JobSpec
from opscope.paths import cache_dir, trim_cache

PROFILE_RUNS = 20
CACHE_BUDGET_BYTES = 4 << 30  # optimized models and profiles kept per folder


def _cache_file(folder: str, source: str, suffix: str) -> Path:
    """A new output path in the cache; the oldest outputs go once the folder is too big."""
    digest = hashlib.sha1(f"{source}:{time.time_ns()}".encode()).hexdigest()[:10]
    trim_cache(cache_dir(folder), CACHE_BUDGET_BYTES)
    return cache_dir(folder) / f"{Path(source).stem}-{digest}{suffix}"


class ModelWorkflow:
    """Owned by the main window; knows the last optimized model for File › Export."""

    def __init__(self, window) -> None:
        self.window = window
        self.optimized: tuple[Any, dict[str, Any]] | None = None  # (page, report)
        self.runs: dict[int, Any] = {}  # optimize job id -> its page
        self.options: dict[Any, dict[str, Any]] = {}  # page -> the options of its last run
        self.outputs: dict[Any, Path] = {}  # page -> where its last run writes in the cache

    def attach(self, page) -> None:
        page.optimize_requested.connect(lambda options, p=page: self.optimize(p, options))
        page.cancel_requested.connect(lambda p=page: self.cancel(p))
        page.profile_requested.connect(lambda p=page: self.profile(p))

    def watch(self, worker) -> None:
        """Route the worker's per-job signals to the page whose optimize run it is (the
        window's status bar only shows the newest message of whatever runs). Connected
        before the window's own slots, so a page is up to date when ``jobs_settled`` fires."""
        worker.job_progress.connect(self._on_progress)
        worker.job_cancelled.connect(lambda job_id: self._stopped(job_id, "Cancelled"))
        worker.job_failed.connect(lambda job_id, msg, _: self._stopped(job_id, f"Failed: {msg}"))

    def optimize(self, page, options: dict[str, Any]) -> int:
        output = _cache_file("optimized", page.path, ".onnx")
        params = {"path": page.path, "output": str(output), **options}
        spec = JobSpec("optimize_model", params, title=f"Optimizing {Path(page.path).name}")
        page.run_started(options)
        self.options[page] = options
        job_id = self.window.submit(spec, lambda report, p=page: self._optimized(p, report))
        self.runs[job_id] = page
        self.outputs[page] = output
        return job_id

    def cancel(self, page) -> None:
        """Cancel the page's optimize run, running or still queued."""
        for job_id, owner in list(self.runs.items()):
            if owner is page:
                self.window.worker.cancel(job_id)

    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        page = self.runs.get(job_id)
        if page is not None:
            page.run_progress(fraction, message)

    def _stopped(self, job_id: int, text: str) -> None:
        page = self.runs.pop(job_id, None)
        if page is not None:
            page.run_stopped(text)

    def _optimized(self, page, report: dict[str, Any]) -> None:
        self.runs = {j: p for j, p in self.runs.items() if p is not page}
        page.show_report(report)
        self.optimized = (page, report)
        self.window.export_action.setEnabled(True)
        self.window.save_report_action.setEnabled(True)
        factor = report.get("speedup")
        if factor:
            self.window.log_pane.log(f"optimized {Path(page.path).name}: {factor:.2f}× faster")

    # -- profiling -----------------------------------------------------------------------
    def profile(self, page) -> None:
        """Profile the original (in its own framework) and the optimized model, then open
        both traces and their comparison."""
        if page.report is None:
            return
        original_runtime = "onnxruntime" if page.result.get("format") == "onnx" else "native"
        runs = [(page.path, original_runtime), (page.report["output"], "onnxruntime")]
        inputs = self.options.get(page, {}).get("inputs") or []
        traces: dict[int, dict[str, Any]] = {}
        for index, (model, runtime) in enumerate(runs):
            output = _cache_file("profiles", model, ".json")
            params = {"path": model, "output": str(output), "runs": PROFILE_RUNS}
            # the original's input shapes, for formats that do not record them
            params |= {"runtime": runtime, "inputs": inputs if index == 0 else []}
            spec = JobSpec(
                "profile_model", params, title=f"Profiling {Path(model).name} ({runtime})"
            )
            self.window.submit(
                spec, lambda result, i=index: self._import_profile(result, i, traces)
            )

    def _import_profile(self, result: dict[str, Any], index: int, traces: dict) -> None:
        path = result["output"]
        spec = JobSpec("import_trace", {"path": path}, title=f"Importing {Path(path).name}")
        self.window.submit(spec, lambda trace, i=index: self._profiled(trace, i, traces))

    def _profiled(self, trace: dict[str, Any], index: int, traces: dict) -> None:
        traces[index] = trace
        self.window.show_result(JobSpec("import_trace", {"path": trace["path"]}), trace)
        if len(traces) == 2:
            self.window.show_comparison(traces[0], traces[1])

    # -- export --------------------------------------------------------------------------
    def export_dialog(self) -> None:
        if self.optimized is None:
            return
        page, report = self.optimized
        suggestion = str(Path(page.path).with_name(Path(page.path).stem + ".optimized.onnx"))
        target, _ = QFileDialog.getSaveFileName(
            self.window, "Export Optimized Model", suggestion, "ONNX (*.onnx)"
        )
        if target:
            self.export(target)

    def export(self, target: str) -> int | None:
        if self.optimized is None:
            return None
        _, report = self.optimized
        params = {"model": report["output"], "report": report, "target": target}
        spec = JobSpec("export_model", params, title=f"Exporting {Path(target).name}")
        return self.window.submit(
            spec, lambda r: self.window.log_pane.log(f"exported {r['model']} and its report")
        )

    def save_report_dialog(self) -> None:
        if self.optimized is None:
            return
        target, _ = QFileDialog.getSaveFileName(
            self.window, "Save Report", "report.md", "Markdown (*.md);;JSON (*.json)"
        )
        if target:
            from opscope.backend.export import save_report

            save_report(self.optimized[1], target)
            self.window.log_pane.log(f"saved the report to {target}")
