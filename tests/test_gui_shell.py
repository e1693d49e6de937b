"""The window shell: menus, the worker thread, failures, cancel, drag and drop."""

import os

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence

from opscope.backend.jobs import JobSpec
from opscope.gui.worker import JobWorker


@pytest.fixture
def worker(qtbot):
    w = JobWorker()
    w.start()
    yield w
    w.shutdown()


def test_file_menu_has_the_actions(window):
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text().replace("&", "") for a in file_menu.actions() if a.text()]
    for expected in (
        "Open Model…",
        "Open Trace…",
        "Open Recent",
        "Export Optimized Model…",
        "Quit",
    ):
        assert expected in texts
    assert window.open_model_action.shortcut() == QKeySequence("Ctrl+O")
    assert window.quit_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Quit)
    assert not window.export_action.isEnabled()


def test_worker_runs_a_job_in_a_child_and_reports_progress(qtbot, worker):
    progress = []
    worker.job_progress.connect(lambda job_id, event: progress.append(event.fraction))
    with qtbot.waitSignal(worker.job_finished, timeout=30000) as finished:
        job_id = worker.submit(JobSpec("job_functions:count_job", {"steps": 4}))
    assert finished.args[0] == job_id
    assert finished.args[1]["pid"] != os.getpid()
    assert progress == [0.25, 0.5, 0.75, 1.0]


def test_a_dead_child_fails_and_the_next_job_still_runs(qtbot, worker):
    with qtbot.waitSignal(worker.job_failed, timeout=30000) as failed:
        worker.submit(JobSpec("job_functions:abort_job"))
    assert "SIGABRT" in failed.args[1]
    with qtbot.waitSignal(worker.job_finished, timeout=30000) as finished:
        worker.submit(JobSpec("job_functions:count_job", {"steps": 1}))
    assert finished.args[1]["steps"] == 1


def test_cancel_terminates_the_job_and_leaves_no_output(qtbot, worker, tmp_path):
    output = tmp_path / "out.bin"
    with qtbot.waitSignal(worker.job_progress, timeout=30000):
        job_id = worker.submit(JobSpec("job_functions:slow_write_job", {"output": str(output)}))
    with qtbot.waitSignal(worker.job_cancelled, timeout=5000) as cancelled:
        worker.cancel()
    assert cancelled.args == [job_id]
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_queued_job_can_be_cancelled_before_it_starts(qtbot, worker, tmp_path):
    output = tmp_path / "out.bin"
    with qtbot.waitSignal(worker.job_progress, timeout=30000):
        worker.submit(JobSpec("job_functions:slow_write_job", {"output": str(output)}))
    queued = worker.submit(JobSpec("job_functions:count_job"))
    with qtbot.waitSignal(worker.idle, timeout=10000):
        worker.cancel_all()
    assert not worker.busy
    assert queued not in worker._pending


def _close(queue) -> None:
    """Stop the queue's thread and run the handles' deferred deletes before it goes."""
    from PySide6.QtCore import QCoreApplication, QEvent

    queue.shutdown()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    queue.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_each_handle_hears_only_its_own_job(qtbot):
    from opscope.gui.jobs import JobQueue, JobState

    queue = JobQueue()
    try:
        first = queue.submit(JobSpec("job_functions:count_job", {"steps": 2}))
        second = queue.submit(JobSpec("job_functions:bad_input_job", {"path": "junk.bin"}))
        heard = {"first": [], "second": []}
        first.progress.connect(lambda e: heard["first"].append(e.message))
        second.progress.connect(lambda e: heard["second"].append(e.message))
        second_failed = []
        second.failed.connect(lambda message, details: second_failed.append(message))
        with qtbot.waitSignal(queue.settled, timeout=30000):
            pass
        assert heard == {"first": ["step 1 of 2", "step 2 of 2"], "second": []}
        assert first.state is JobState.FINISHED and second.state is JobState.FAILED
        assert second_failed == ["junk.bin is not a model"] and not queue.busy
    finally:
        _close(queue)


def test_cancelling_one_handle_leaves_the_other_job_running(qtbot, tmp_path):
    from opscope.gui.jobs import JobQueue, JobState

    queue = JobQueue()
    try:
        slow = queue.submit(
            JobSpec("job_functions:slow_write_job", {"output": str(tmp_path / "o")})
        )
        after = queue.submit(JobSpec("job_functions:count_job", {"steps": 1}))
        results = []
        after.finished.connect(results.append)
        with qtbot.waitSignal(slow.progress, timeout=30000):
            pass
        with qtbot.waitSignal(queue.settled, timeout=30000):
            slow.cancel()
        assert slow.state is JobState.CANCELLED and after.state is JobState.FINISHED
        assert results[0]["steps"] == 1 and not (tmp_path / "o").exists()
    finally:
        _close(queue)


def test_job_failure_shows_a_dialog_and_the_window_keeps_working(qtbot, window):
    with qtbot.waitSignal(window.jobs_settled, timeout=30000):
        window.submit(JobSpec("job_functions:bad_input_job", {"path": "junk.bin"}), lambda r: None)
    assert window.failed_jobs == 1
    assert any("not a model" in line for line in window.log_pane.lines())
    results = []
    with qtbot.waitSignal(window.jobs_settled, timeout=30000):
        window.submit(JobSpec("job_functions:count_job", {"steps": 2}), results.append)
    assert results[0]["steps"] == 2


def test_opening_a_file_that_is_neither_model_nor_trace_is_refused(window, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    assert window.open_path(str(junk)) is None
    assert window.failed_opens == 1
    assert any("cannot open" in line for line in window.log_pane.lines())
    assert junk.read_text() == "hello"


def test_dropping_a_file_opens_it(window, tmp_path):
    junk = tmp_path / "dropped.bin"
    junk.write_bytes(b"\x00\x01garbage")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(junk))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert any("dropped.bin" in line for line in window.log_pane.lines())


def test_about_lists_framework_versions():
    from opscope.gui.about import about_html, framework_versions

    versions = framework_versions()
    assert versions["onnxruntime"] != "not installed"
    assert versions["PyTorch"].startswith("2.13")
    assert "onnxruntime" in about_html()


def test_a_trace_of_the_wrong_shape_fails_with_one_line(qtbot, window, tmp_path):
    folder = tmp_path / "traces"
    folder.mkdir()
    bad = folder / "bad_trace.json"
    bad.write_text('{"traceEvents": 5}')
    with qtbot.waitSignal(window.jobs_settled, timeout=60000):
        assert window.open_path(str(bad)) is not None
    assert window.failed_jobs == 1
    failure = [line for line in window.log_pane.lines() if "failed:" in line]
    assert len(failure) == 1 and "cannot read" in failure[0]
    assert "Traceback" not in "\n".join(window.log_pane.lines())
    assert bad.read_text() == '{"traceEvents": 5}'
    assert list(folder.iterdir()) == [bad]
