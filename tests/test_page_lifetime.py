"""A closed tab frees its page, its trace and its job result: nothing outlives the tab."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QCoreApplication, QEvent

from opscope.resources import DEMO_DIR

SETTLE_MS = 120_000
ROUNDS = 10  # x 2 files = 20 tabs


def _open(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.jobs_settled, timeout=SETTLE_MS):
        window.open_path(str(path))


def test_twenty_closed_tabs_leave_no_page_trace_or_result(qtbot, window):
    refs: list[weakref.ref] = []
    for _ in range(ROUNDS):
        for path in (DEMO_DIR / "model.onnx", DEMO_DIR / "onnxruntime_profile.json"):
            _open(qtbot, window, path)
            page = window.tabs.currentWidget()
            refs += [weakref.ref(page), weakref.ref(page.result)]
            if hasattr(page, "trace"):
                refs.append(weakref.ref(page.trace))
            window.close_page(window.tabs.currentIndex())
            del page
    assert window.failed_jobs == 0 and window.tabs.count() == 1
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    alive = [ref() for ref in refs if ref() is not None]
    assert not alive, f"{len(alive)} of {len(refs)} objects outlived their tab: {alive[:3]}"
