"""The window's tabs: one per opened model, trace or comparison, closed with Ctrl+W or the
tab's context menu (close, close the others, reveal the file in its folder)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu, QTabWidget, QWidget


class PageTabs(QTabWidget):
    """Tab 0 is the start page, which never closes; ``close_requested(index)`` asks the
    window to close a page (the window frees it)."""

    close_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.tabCloseRequested.connect(self.close_requested)
        self.tabBar().setContextMenuPolicy(self.tabBar().contextMenuPolicy().CustomContextMenu)
        self.tabBar().customContextMenuRequested.connect(self._menu)
        close = QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self)
        close.activated.connect(self.close_current)
        self._paths: dict[int, str] = {}  # id(page) -> the file it shows

    def add_page(self, page: QWidget, title: str, path: str | None = None) -> int:
        index = self.addTab(page, title)
        if path:
            self.setTabToolTip(index, path)
            self._paths[id(page)] = path
        self.setCurrentIndex(index)
        return index

    def path_of(self, index: int) -> str | None:
        return self._paths.get(id(self.widget(index)))

    def forget(self, page: QWidget) -> None:
        self._paths.pop(id(page), None)

    def close_current(self) -> None:
        if self.currentIndex() > 0:
            self.close_requested.emit(self.currentIndex())

    def close_others(self, keep: int) -> None:
        kept = self.widget(keep)
        for index in reversed(range(1, self.count())):
            if self.widget(index) is not kept:
                self.close_requested.emit(index)

    def reveal(self, index: int) -> None:
        path = self.path_of(index)
        if path:
            folder = Path(path) if Path(path).is_dir() else Path(path).parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _menu(self, position: QPoint) -> None:
        index = self.tabBar().tabAt(position)
        if index <= 0:
            return
        menu = QMenu(self)
        menu.addAction("Close", lambda: self.close_requested.emit(index))
        menu.addAction("Close Other Tabs", lambda: self.close_others(index))
        reveal = menu.addAction("Reveal File in Folder", lambda: self.reveal(index))
        reveal.setEnabled(self.path_of(index) is not None)
        menu.popup(self.tabBar().mapToGlobal(position))
        self._open_menu = menu  # kept for tests and until it closes
