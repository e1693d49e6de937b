"""The one worker thread that runs the GUI's jobs, each in a child process.

The thread owns a queue of :class:`JobSpec`. For each it starts a
:class:`~opscope.backend.runner.JobProcess` and relays what the child reports as Qt signals
(delivered in the GUI thread through queued connections) to :class:`~opscope.gui.jobs.JobQueue`,
which hands each job's events to that job's own handle. The GUI thread never waits for a
job: cancelling kills the child process directly, and the thread notices at its next poll.

superqt's ``thread_worker`` runs a Python function in a thread; our jobs run in child
processes (a framework that aborts must not take the window down), and one thread relays
them in order, so that helper does not fit and superqt is not a dependency.
"""

from __future__ import annotations

import itertools
import queue
import threading

from PySide6.QtCore import QThread, Signal

from opscope.backend.jobs import JobSpec
from opscope.backend.runner import JobProcess

POLL_SECONDS = 0.05


class JobWorker(QThread):
    job_started = Signal(int, object)  # job id, JobSpec
    job_progress = Signal(int, object)  # job id, ProgressEvent
    job_finished = Signal(int, object)  # job id, the result contract
    job_failed = Signal(int, str, str)  # job id, message, details
    job_cancelled = Signal(int)
    idle = Signal()  # the queue is empty and nothing runs

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._queue: queue.Queue[tuple[int, JobSpec] | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._current: tuple[int, JobProcess] | None = None
        self._cancel_requested: set[int] = set()
        self._pending: set[int] = set()

    def submit(self, spec: JobSpec) -> int:
        job_id = next(self._ids)
        with self._lock:
            self._pending.add(job_id)
        self._queue.put((job_id, spec))
        return job_id

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending) or self._current is not None

    @property
    def current_job(self) -> int | None:
        with self._lock:
            return self._current[0] if self._current else None

    def cancel(self, job_id: int | None = None) -> None:
        """Cancel ``job_id`` (default: the running job); a queued job is dropped."""
        with self._lock:
            if job_id is None and self._current is not None:
                job_id = self._current[0]
            if job_id is None:
                return
            self._cancel_requested.add(job_id)
            if self._current is not None and self._current[0] == job_id:
                self._current[1].kill()

    def cancel_all(self) -> None:
        with self._lock:
            self._cancel_requested.update(self._pending)
        self.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel everything and stop the thread (called when the window closes)."""
        self.cancel_all()
        self._queue.put(None)
        self.wait(timeout_ms)

    def run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job_id, spec = item
            self._run_one(job_id, spec)
            with self._lock:
                self._pending.discard(job_id)
                self._cancel_requested.discard(job_id)
                settled = not self._pending
            if settled:
                self.idle.emit()

    def _is_cancelled(self, job_id: int) -> bool:
        with self._lock:
            return job_id in self._cancel_requested

    def _run_one(self, job_id: int, spec: JobSpec) -> None:
        if self._is_cancelled(job_id):
            self.job_cancelled.emit(job_id)
            return
        try:
            process = JobProcess(spec)
        except OSError as exc:
            self.job_failed.emit(job_id, f"could not start the job: {exc}", "")
            return
        with self._lock:
            self._current = (job_id, process)
        self.job_started.emit(job_id, spec)
        try:
            self._relay(job_id, process)
        finally:
            with self._lock:
                self._current = None

    def _relay(self, job_id: int, process: JobProcess) -> None:
        while True:
            if self._is_cancelled(job_id):
                process.cancel()
                self.job_cancelled.emit(job_id)
                return
            for event in process.events(POLL_SECONDS):
                if event.kind == "progress":
                    self.job_progress.emit(job_id, event.progress)
                elif event.kind == "done":
                    self.job_finished.emit(job_id, event.result)
                    return
                elif self._is_cancelled(job_id):
                    process.cancel()
                    self.job_cancelled.emit(job_id)
                    return
                else:
                    self.job_failed.emit(job_id, event.message, event.details)
                    return
