"""The window stays responsive while a real conversion runs: the GUI thread only relays the
job's messages, so its event loop keeps serving a timer all through the job.

No absolute time bound (machines here are shared and noisy): the test compares the timer's
ticks in each quarter of the job with each other, in the same run.
"""

import time

from PySide6.QtCore import QTimer

from opscope.backend.jobs import JobSpec

from .conftest import SETTLE_MS, TS_INPUT

QUARTERS = 4


def test_event_loop_keeps_serving_while_a_conversion_runs(qtbot, window, torchscript_cnn, tmp_path):
    """torch.onnx exports the TorchScript CNN in the job's child process."""
    target = tmp_path / "cnn.onnx"
    params = {"path": str(torchscript_cnn), "output": str(target), "inputs": [TS_INPUT]}
    results = []
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    begin = time.perf_counter()
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        window.submit(JobSpec("convert_model", params, title="Converting"), results.append)
    end = time.perf_counter()
    timer.stop()
    assert window.failed_jobs == 0
    assert results[0].verify.passed and target.is_file()
    assert len(ticks) > 50  # the conversion ran long enough to tell
    quarter = (end - begin) / QUARTERS
    per_quarter = [
        sum(begin + q * quarter <= t < begin + (q + 1) * quarter for t in ticks)
        for q in range(QUARTERS)
    ]
    # a GUI thread that ran the conversion itself would serve no tick for most of it
    assert min(per_quarter) > max(per_quarter) / 4, per_quarter
