"""The main window: File menu, a tab per opened model or trace, the job status and the log.

Opening a file never blocks the window: the file's kind is sniffed from its first bytes,
then the worker imports or inspects it in a child process, and the page appears when the
job finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from opscope.backend.contracts.models import InspectResult
from opscope.backend.contracts.traces import ImportTraceResult
from opscope.backend.detect import detect_file
from opscope.backend.jobs import JobSpec
from opscope.errors import OpscopeError
from opscope.gui import about, recent_files
from opscope.gui.compare_page import ComparedRun, ComparePage
from opscope.gui.error_dialog import show_error
from opscope.gui.job_status import JobStatus
from opscope.gui.jobs import JobHandle, JobQueue
from opscope.gui.log_pane import LogPane
from opscope.gui.model_page import ModelPage
from opscope.gui.model_workflow import ModelWorkflow
from opscope.gui.page_tabs import PageTabs
from opscope.gui.trace_page import TracePage
from opscope.gui.welcome_page import WelcomePage
from opscope.profiling.trace import load_trace
from opscope.progress import ProgressEvent
from opscope.resources import demo_files

DEFAULT_SIZE = QSize(1600, 1000)
SCREEN_SHARE = 0.92  # of the available screen, so the status bar stays on it


def default_size(available: QSize) -> QSize:
    """The first window: 1600x1000, or less where the screen is smaller."""
    return DEFAULT_SIZE.boundedTo(
        QSize(int(available.width() * SCREEN_SHARE), int(available.height() * SCREEN_SHARE))
    )


def folder_format_root(path: Path) -> Path:
    """The SavedModel or profiler logdir a user pointed at from inside it: ``saved_model.pb``
    is its folder; a file under ``plugins/profile`` is the logdir's run folder."""
    if path.name in ("saved_model.pb", "saved_model.pbtxt") and path.is_file():
        return path.parent
    return path


MODEL_FILTER = (
    "Models (*.onnx *.keras *.h5 *.pt *.pt2 *.ptl *.zip *-symbol.json *.params saved_model.pb);;"
    "All files (*)"
)
LOG_HEIGHT = 120
TRACE_FILTER = "Traces (*.json *.json.gz *.pb *.pb.gz *.trace *.gz);;All files (*)"


class MainWindow(QMainWindow):
    jobs_settled = Signal()  # every job submitted so far has ended

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings("opscope", "opscope")
        self.failed_jobs = 0
        self.failed_opens = 0
        self.setWindowTitle("opscope")
        self.setAcceptDrops(True)
        self._build_pages()
        self._build_status()
        self.log_pane = LogPane(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_pane)
        self.resizeDocks([self.log_pane], [LOG_HEIGHT], Qt.Orientation.Vertical)
        self.model_workflow = ModelWorkflow(self)
        self._build_menus()
        self._start_jobs()
        self._restore_geometry()

    # -- construction ------------------------------------------------------------------
    def _build_pages(self) -> None:
        self.tabs = PageTabs(self)
        self.tabs.close_requested.connect(self.close_page)
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
        self.open_folder_action = self._action(
            "Open &Folder… (SavedModel, profiler logdir)", self.open_folder_dialog, "Ctrl+Alt+O"
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
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_folder_action)
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

    def _start_jobs(self) -> None:
        self.jobs = JobQueue(self)
        self.jobs.settled.connect(self._check_settled)

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(default_size(self.screen().availableGeometry().size()))

    # -- opening files -----------------------------------------------------------------
    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Model", self._last_folder(), MODEL_FILTER)
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        """A SavedModel folder or a TensorFlow profiler logdir (the file dialogs only
        navigate into folders)."""
        path = QFileDialog.getExistingDirectory(self, "Open Folder", self._last_folder())
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

    def open_path(self, path: str) -> JobHandle | None:
        """Sniff ``path`` and start the job that opens it; None if it cannot be opened."""
        path = str(folder_format_root(Path(path)))
        try:
            kind = detect_file(path)
        except OpscopeError as exc:
            self.failed_opens += 1
            self.log_pane.log(f"cannot open {path}: {exc}", "error")
            show_error(self, "Cannot open file", f"Cannot open {Path(path).name}: {exc}", "")
            self._check_settled()
            return None
        recent_files.remember(self.settings, path)
        self._refresh_recent()
        name = Path(path).name
        if kind.kind == "trace":
            spec = JobSpec("import_trace", {"path": str(path)}, title=f"Importing {name}")
            return self.submit(spec, self.show_trace)
        spec = JobSpec("inspect_model", {"path": str(path)}, title=f"Inspecting {name}")
        return self.submit(spec, self.show_model)

    def submit(self, spec: JobSpec, on_done: Callable[[Any], None]) -> JobHandle:
        """Queue ``spec``; ``on_done(result)`` runs when it finishes. The window follows the
        job's own handle for the status bar, the log and failures."""
        handle = self.jobs.submit(spec)
        handle.finished.connect(lambda result, h=handle: self._finished(h, on_done, result))
        handle.failed.connect(lambda message, details, h=handle: self._failed(h, message, details))
        handle.cancelled.connect(lambda h=handle: self.log(f"cancelled: {h.label}", "warning"))
        handle.started.connect(lambda h=handle: self._started(h))
        handle.progress.connect(lambda event, h=handle: self._progress(h, event))
        self.log(f"queued: {spec.label}")
        return handle

    # -- WorkflowHost --------------------------------------------------------------------
    def log(self, text: str, level: str = "info") -> None:
        self.log_pane.log(text, level)

    def set_export_enabled(self, enabled: bool) -> None:
        self.export_action.setEnabled(enabled)
        self.save_report_action.setEnabled(enabled)

    def dialog_parent(self) -> QWidget:
        return self

    def pages(self) -> list[QWidget]:
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def show_page(self, page: QWidget) -> None:
        self.tabs.setCurrentWidget(page)

    # -- pages ---------------------------------------------------------------------------
    def show_trace(
        self, result: ImportTraceResult, title: str | None = None, model: str = ""
    ) -> TracePage:
        """A trace page; ``model``: the model it is a profile of (for "Show in graph")."""
        page = TracePage(result, self, model)
        page.compare_requested.connect(lambda p=page: self.compare_dialog(p))
        page.graph_requested.connect(
            lambda node, p=page: self.model_workflow.show_in_graph(p, node)
        )
        self.add_page(page, title or Path(result.path).name, result.path)
        return page

    def show_model(self, result: InspectResult) -> ModelPage:
        page = ModelPage(result, self, settings=self.settings, submit=self.submit)
        self.model_workflow.attach(page)
        self.add_page(page, Path(result.path).name, result.path)
        return page

    def add_page(self, page: QWidget, title: str, path: str | None = None) -> None:
        self.tabs.add_page(page, title, path)

    def close_page(self, index: int) -> None:
        """Close a tab and free its page: everything a page shows belongs to the page."""
        page = self.tabs.widget(index)
        if page is not self.welcome:
            self.tabs.removeTab(index)
            self.tabs.forget(page)
            page.setParent(None)
            page.deleteLater()

    # -- comparing traces ----------------------------------------------------------------
    def compare_dialog(self, page: TracePage) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Compare with Trace", self._last_folder(), TRACE_FILTER
        )
        if path:
            self.compare_with(page, path)

    def compare_with(self, page: TracePage, path: str) -> JobHandle:
        """Compare ``page``'s trace (already in memory) with the trace at ``path``."""
        base = ComparedRun(Path(page.path).name, page.trace)
        spec = JobSpec("import_trace", {"path": path}, title=f"Importing {Path(path).name}")
        return self.submit(spec, lambda result: self._compare_loaded(base, result))

    def _compare_loaded(self, base: ComparedRun, result: ImportTraceResult) -> None:
        name = Path(result.path).name
        if name == base.name:
            name = f"{name} ({Path(result.path).parent.name})"
        self.show_comparison(base, ComparedRun(name, load_trace(result.trace_file)))

    def show_comparison(self, run_a: ComparedRun, run_b: ComparedRun) -> None:
        self.add_page(ComparePage(run_a, run_b, self), f"{run_a.name} vs {run_b.name}")

    # -- jobs --------------------------------------------------------------------------
    def cancel_job(self) -> None:
        self.jobs.cancel_running()

    def _started(self, handle: JobHandle) -> None:
        self.job_status.set_running(handle.label)
        self.log(f"started: {handle.label}")

    def _progress(self, handle: JobHandle, event: ProgressEvent) -> None:
        self.job_status.set_progress(event.overall, event.message, handle.label)

    def _finished(self, handle: JobHandle, on_done: Callable[[Any], None], result: Any) -> None:
        self.log(f"finished: {handle.label}")
        try:
            on_done(result)
        except OpscopeError as exc:
            self._failed(handle, str(exc), "")

    def _failed(self, handle: JobHandle, message: str, details: str) -> None:
        self.failed_jobs += 1
        self.log(f"failed: {handle.label}: {message}", "error")
        show_error(self, "Job failed", f"{handle.label} failed: {message}", details)

    def _check_settled(self) -> None:
        if not self.jobs.busy:
            self.job_status.set_idle()
            self.jobs_settled.emit()

    @property
    def busy(self) -> bool:
        return self.jobs.busy

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
        self.jobs.shutdown()
        super().closeEvent(event)
