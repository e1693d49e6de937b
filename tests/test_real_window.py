"""One real window, on an X server (Xvfb), rendered to a screenshot."""

import os
import shutil
import subprocess
import sys
import time

import pytest

from opscope.resources import DEMO_DIR

XVFB = shutil.which("Xvfb")


@pytest.fixture
def x_display():
    if XVFB is None:
        pytest.skip("Xvfb is not installed (.ci/run installs it)")
    display = f":{90 + os.getpid() % 50}"
    server = subprocess.Popen([XVFB, display, "-screen", "0", "1920x1200x24", "-nolisten", "tcp"])
    time.sleep(1.0)
    yield display
    server.terminate()
    server.wait(10)


def test_screenshot_of_a_real_window_under_xvfb(x_display, tmp_path):
    out = tmp_path / "real.png"
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(
        [sys.executable, "-m", "opscope", "--screenshot", str(out), str(DEMO_DIR / "model.onnx")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)
    # a real page was drawn: the picture is not one flat colour
    colours = {image.pixel(x, y) for x in range(0, 1600, 40) for y in range(0, 1000, 40)}
    assert len(colours) > 5
