"""Start the window, open files, and (for ``--screenshot``) render it to a PNG and exit."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

SCREENSHOT_SIZE = (1600, 1000)


def _application():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("opscope")
    app.setOrganizationName("opscope")
    return app


def wait_until_settled(window) -> None:
    """Run the event loop until every job the window started has ended."""
    from PySide6.QtCore import QEventLoop

    if not window.busy:
        return
    loop = QEventLoop()
    window.jobs_settled.connect(loop.quit)
    if window.busy:
        loop.exec()
    window.jobs_settled.disconnect(loop.quit)


def save_screenshot(window, out: str | Path) -> bool:
    from PySide6.QtWidgets import QApplication

    window.resize(*SCREENSHOT_SIZE)
    for _ in range(3):
        QApplication.processEvents()
    return window.grab().save(str(out), "PNG")


def show_inner_tab(window, name: str) -> None:
    """Switch the current page to its tab titled ``name`` (``--page graph``), and let the
    jobs that tab starts finish."""
    page = window.tabs.currentWidget()
    tabs = getattr(page, "tabs", None)
    titles = [tabs.tabText(i).lower() for i in range(tabs.count())] if tabs else []
    if name.lower() in titles:
        tabs.setCurrentIndex(titles.index(name.lower()))
        wait_until_settled(window)


def run_gui(
    files: Sequence[str], screenshot: str | None = None, demo: bool = False, page: str = ""
) -> int:
    if screenshot and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = _application()
    from opscope.gui.main_window import MainWindow

    window = MainWindow()
    if screenshot:
        window.resize(*SCREENSHOT_SIZE)
    window.show()
    if demo:
        window.open_demo()
    for path in files:
        window.open_path(path)
    if not screenshot:
        code = app.exec()
        return int(code)
    wait_until_settled(window)
    if page:
        show_inner_tab(window, page)
    saved = save_screenshot(window, screenshot)
    ok = saved and window.failed_jobs == 0 and window.failed_opens == 0
    window.close()
    if not saved:
        print(f"opscope: could not write {screenshot}", file=sys.stderr)
    return 0 if ok else 1
