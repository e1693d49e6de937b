"""One handle per job: whoever submits a job listens to that job alone.

:class:`JobQueue` owns the worker thread; ``submit(spec)`` returns a :class:`JobHandle`
whose signals carry only that job's events, so the window's status bar, a model page and
the model workflow never share, filter or depend on the order of connections to one
stream of every job's signals. A handle is forgotten by the queue once its job ended.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QObject, Signal

from opscope.backend.jobs import JobSpec
from opscope.gui.worker import JobWorker


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobHandle(QObject):
    """A submitted job: its own started / progress / finished / failed / cancelled signals."""

    started = Signal()
    progress = Signal(object)  # ProgressEvent
    finished = Signal(object)  # the kind's result contract
    failed = Signal(str, str)  # message, details
    cancelled = Signal()
    ended = Signal()  # after finished, failed or cancelled

    def __init__(self, job_id: int, spec: JobSpec, queue: JobQueue) -> None:
        super().__init__(queue)
        self.job_id = job_id
        self.spec = spec
        self.state = JobState.QUEUED
        self._queue = queue

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def done(self) -> bool:
        return self.state in (JobState.FINISHED, JobState.FAILED, JobState.CANCELLED)

    def cancel(self) -> None:
        """Cancel this job, running or still queued."""
        if not self.done:
            self._queue.worker.cancel(self.job_id)


class JobQueue(QObject):
    """The GUI side of the worker thread: specs in, one handle per job out."""

    submitted = Signal(object)  # JobHandle, for views of every job (status bar, log)
    settled = Signal()  # every job submitted so far has ended

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handles: dict[int, JobHandle] = {}
        self.worker = JobWorker(self)
        self.worker.job_started.connect(self._on_started)
        self.worker.job_progress.connect(self._on_progress)
        self.worker.job_finished.connect(self._on_finished)
        self.worker.job_failed.connect(self._on_failed)
        self.worker.job_cancelled.connect(self._on_cancelled)
        self.worker.start()

    def submit(self, spec: JobSpec) -> JobHandle:
        handle = JobHandle(self.worker.submit(spec), spec, self)
        self._handles[handle.job_id] = handle
        self.submitted.emit(handle)
        return handle

    @property
    def busy(self) -> bool:
        return bool(self._handles)

    @property
    def running(self) -> JobHandle | None:
        return next((h for h in self._handles.values() if h.state is JobState.RUNNING), None)

    def cancel_running(self) -> None:
        if self.running is not None:
            self.running.cancel()

    def shutdown(self) -> None:
        self.worker.shutdown()

    def _on_started(self, job_id: int, spec: JobSpec) -> None:
        handle = self._handles.get(job_id)
        if handle is not None:
            handle.state = JobState.RUNNING
            handle.started.emit()

    def _on_progress(self, job_id: int, event: object) -> None:
        handle = self._handles.get(job_id)
        if handle is not None:
            handle.progress.emit(event)

    def _on_finished(self, job_id: int, result: object) -> None:
        self._end(job_id, JobState.FINISHED, lambda h: h.finished.emit(result))

    def _on_failed(self, job_id: int, message: str, details: str) -> None:
        self._end(job_id, JobState.FAILED, lambda h: h.failed.emit(message, details))

    def _on_cancelled(self, job_id: int) -> None:
        self._end(job_id, JobState.CANCELLED, lambda h: h.cancelled.emit())

    def _end(self, job_id: int, state: JobState, emit) -> None:
        handle = self._handles.pop(job_id, None)
        if handle is None:
            return
        handle.state = state
        emit(handle)
        handle.ended.emit()
        handle.deleteLater()
        if not self._handles:
            self.settled.emit()
