"""Test-wide settings: Qt offscreen, and opscope's cache and Qt settings in temp folders."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _private_folders(tmp_path_factory):
    """Keep the cache and the QSettings of the tests (and their child processes) private."""
    cache = tmp_path_factory.mktemp("opscope-cache")
    config = tmp_path_factory.mktemp("xdg-config")
    saved = {k: os.environ.get(k) for k in ("OPSCOPE_CACHE_DIR", "XDG_CONFIG_HOME")}
    os.environ["OPSCOPE_CACHE_DIR"] = str(cache)
    os.environ["XDG_CONFIG_HOME"] = str(config)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "opscope.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    """The main window, shown, with private settings; its worker stops after the test."""
    from opscope.gui.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    yield win
    win.jobs.shutdown()
