"""The main window: File menu, a tab per opened model or trace, the job status and the log.

Opening a file never blocks the window: the file's kind is sniffed from its first bytes,
then the worker imports or inspects it in a child process, and the page appears when the
job finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QTabWidget, QWidget

from opscope.backend.detect import detect_file
from opscope.backend.jobs import JobSpec
from opscope.errors import OpscopeError
from opscope.gui import about, recent_files
from opscope.gui.error_dialog import show_error
from opscope.gui.job_status import JobStatus
from opscope.gui.log_pane import LogPane
from opscope.gui.model_workflow import ModelWorkflow
from opscope.gui.pages import page_for_result
from opscope.gui.welcome_page import WelcomePage
from opscope.resources import demo_files

MODEL_FILTER = (
    "Models (*.onnx *.keras *.h5 *.pt *.pt2 *.ptl *.zip *-symbol.json *.params saved_model.pb);;"
    "All files (*)"
)
LOG_HEIGHT = 120
TRACE_FILTER = "Traces (*.json *.json.gz *.pb *.pb.gz *.trace *.gz);;All files (*)"


@dataclass
class PendingJob:
    spec: JobSpec
    on_done: Callable[[dict[str, Any]], None]


class MainWindow(QMainWindow):
    jobs_settled = Signal()  # every job submitted so far has ended

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings("opscope", "opscope")
        self.failed_jobs = 0
        self.failed_opens = 0
        self._pending: dict[int, PendingJob] = {}
        self.setWindowTitle("opscope")
        self.setAcceptDrops(True)
        self._build_pages()
        self._build_status()
        self.log_pane = LogPane(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_pane)
        self.resizeDocks([self.log_pane], [LOG_HEIGHT], Qt.Orientation.Vertical)
        self.model_workflow = ModelWorkflow(self)
        self._build_menus()
        self._start_worker()
        self._restore_geometry()

    # -- construction ------------------------------------------------------------------
    def _build_pages(self) -> None:
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self.close_page)
        self.welcome = WelcomePage(self)
        self.welcome.open_model.connect(self.open_model_dialog)
        self.welcome.open_trace.connect(self.open_trace_dialog)
        self.welcome.open_demo.connect(self.open_demo)
        self.welcome.open_path.connect(self.open_path)
        self.tabs.addTab(self.welcome, "Start")
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.setCentralWidget(self.tabs)

    def _build_status(self) -> None:
        self.job_status = JobStatus(self)
        self.job_status.cancel_clicked.connect(self.cancel_job)
        self.statusBar().addPermanentWidget(self.job_status, 1)

    def _action(self, text: str, slot, shortcut=None, enabled: bool = True) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        action.setEnabled(enabled)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_model_action = self._action("Open &Model…", self.open_model_dialog, "Ctrl+O")
        self.open_trace_action = self._action(
            "Open &Trace…", self.open_trace_dialog, "Ctrl+Shift+O"
        )
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.export_action = self._action(
            "&Export Optimized Model…", self.model_workflow.export_dialog, "Ctrl+E", enabled=False
        )
        self.save_report_action = self._action(
            "&Save Report…", self.model_workflow.save_report_dialog, "Ctrl+S", enabled=False
        )
        self.cancel_action = self._action("&Cancel Job", self.cancel_job, "Esc")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_model_action)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_trace_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.save_report_action)
        file_menu.addSeparator()
        file_menu.addAction(self.cancel_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.log_pane.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&About opscope", self.show_about))
        self._refresh_recent()

    def _start_worker(self) -> None:
        from opscope.gui.worker import JobWorker

        self.worker = JobWorker(self)
        self.model_workflow.watch(self.worker)  # first, so pages update before jobs_settled
        self.worker.job_started.connect(self._on_started)
        self.worker.job_progress.connect(self._on_progress)
        self.worker.job_finished.connect(self._on_finished)
        self.worker.job_failed.connect(self._on_failed)
        self.worker.job_cancelled.connect(self._on_cancelled)
        self.worker.start()

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 1000)

    # -- opening files -----------------------------------------------------------------
    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Model", self._last_folder(), MODEL_FILTER)
        if path:
            self.open_path(path)

    def open_trace_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Trace", self._last_folder(), TRACE_FILTER)
        if path:
            self.open_path(path)

    def open_demo(self) -> None:
        for path in demo_files():
            self.open_path(str(path))

    def _last_folder(self) -> str:
        files = recent_files.recent_files(self.settings)
        return str(Path(files[0]).parent) if files else str(Path.home())

    def open_path(self, path: str) -> int | None:
        """Sniff ``path`` and start the job that opens it; None if it cannot be opened."""
        try:
            kind = detect_file(path)
        except OpscopeError as exc:
            self.failed_opens += 1
            self.log_pane.log(f"cannot open {path}: {exc}", "error")
            show_error(self, "Cannot open file", f"Cannot open {Path(path).name}", str(exc))
            self._check_settled()
            return None
        recent_files.remember(self.settings, path)
        self._refresh_recent()
        name = Path(path).name
        if kind.kind == "trace":
            spec = JobSpec("import_trace", {"path": str(path)}, title=f"Importing {name}")
        else:
            spec = JobSpec("inspect_model", {"path": str(path)}, title=f"Inspecting {name}")
        return self.submit(spec, lambda result: self.show_result(spec, result))

    def submit(self, spec: JobSpec, on_done: Callable[[dict[str, Any]], None]) -> int:
        job_id = self.worker.submit(spec)
        self._pending[job_id] = PendingJob(spec, on_done)
        self.log_pane.log(f"queued: {spec.label}")
        return job_id

    def show_result(self, spec: JobSpec, result: dict[str, Any]) -> None:
        page = page_for_result(spec.kind, result, self)
        if hasattr(page, "compare_requested"):
            page.compare_requested.connect(lambda p=page: self.compare_dialog(p))
        if hasattr(page, "optimize_requested"):
            self.model_workflow.attach(page)
        self.add_page(page, Path(spec.params.get("path", spec.kind)).name, spec.params.get("path"))

    def add_page(self, page: QWidget, title: str, tooltip: str | None = None) -> None:
        index = self.tabs.addTab(page, title)
        if tooltip:
            self.tabs.setTabToolTip(index, tooltip)
        self.tabs.setCurrentIndex(index)

    def close_page(self, index: int) -> None:
        page = self.tabs.widget(index)
        if page is not self.welcome:
            self.tabs.removeTab(index)
            page.deleteLater()

    # -- comparing traces ----------------------------------------------------------------
    def compare_dialog(self, page: QWidget) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Compare with Trace", self._last_folder(), TRACE_FILTER
        )
        if path:
            self.compare_with(page, path)

    def compare_with(self, page: QWidget, path: str) -> int:
        base = page.result
        spec = JobSpec("import_trace", {"path": path}, title=f"Importing {Path(path).name}")

        return self.submit(spec, lambda result: self.show_comparison(base, result))

    def show_comparison(self, base: dict[str, Any], other: dict[str, Any]) -> None:
        from opscope.gui.compare_page import ComparePage

        title = f"{Path(base['path']).name} vs {Path(other['path']).name}"
        self.add_page(ComparePage(base, other, self), title)

    # -- jobs --------------------------------------------------------------------------
    def cancel_job(self) -> None:
        if self.worker.current_job is not None:
            self.worker.cancel()

    def _on_started(self, job_id: int, spec: JobSpec) -> None:
        self.job_status.set_running(spec.label)
        self.log_pane.log(f"started: {spec.label}")

    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        job = self._pending.get(job_id)
        if job is not None:
            self.job_status.set_progress(fraction, message, job.spec.label)

    def _on_finished(self, job_id: int, result: dict[str, Any]) -> None:
        job = self._pending.pop(job_id, None)
        if job is None:
            return
        self.log_pane.log(f"finished: {job.spec.label}")
        try:
            job.on_done(result)
        except OpscopeError as exc:
            self._report_failure(job, str(exc), "")
        self._check_settled()

    def _on_failed(self, job_id: int, message: str, details: str) -> None:
        job = self._pending.pop(job_id, None)
        if job is not None:
            self._report_failure(job, message, details)
        self._check_settled()

    def _report_failure(self, job: PendingJob, message: str, details: str) -> None:
        self.failed_jobs += 1
        self.log_pane.log(f"failed: {job.spec.label}: {message}", "error")
        show_error(self, "Job failed", f"{job.spec.label} failed: {message}", details)

    def _on_cancelled(self, job_id: int) -> None:
        job = self._pending.pop(job_id, None)
        if job is not None:
            self.log_pane.log(f"cancelled: {job.spec.label}", "warning")
        self._check_settled()

    def _check_settled(self) -> None:
        if not self._pending:
            self.job_status.set_idle()
            self.jobs_settled.emit()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    # -- menus -------------------------------------------------------------------------
    def _refresh_recent(self) -> None:
        files = recent_files.recent_files(self.settings)
        self.recent_menu.clear()
        for path in files:
            self.recent_menu.addAction(path, lambda p=path: self.open_path(p))
        if files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent", self._clear_recent)
        self.recent_menu.setEnabled(bool(files))
        self.welcome.set_recent(files)

    def _clear_recent(self) -> None:
        recent_files.clear(self.settings)
        self._refresh_recent()

    def show_about(self) -> None:
        QMessageBox.about(self, "About opscope", about.about_html())

    # -- window events -----------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(url.toLocalFile())
        event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.worker.shutdown()
        super().closeEvent(event)
