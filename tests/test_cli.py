"""The ``opscope`` command: version, screenshots, and what each process imports."""

import json
import subprocess
import sys

from opscope import __version__


def run_opscope(*args, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "opscope", *args], capture_output=True, text=True, timeout=timeout
    )


def test_version():
    done = run_opscope("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"opscope {__version__}"


def test_screenshot_of_the_empty_window(tmp_path):
    out = tmp_path / "window.png"
    done = run_opscope("--screenshot", str(out))
    assert done.returncode == 0, done.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)


def test_screenshot_exits_1_when_a_file_cannot_be_opened(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x07 not a model")
    out = tmp_path / "window.png"
    done = run_opscope("--screenshot", str(out), str(junk))
    assert done.returncode == 1
    assert out.exists()
    assert junk.read_bytes() == b"\x07 not a model"


GUI_IMPORTS = """
import sys
from opscope.gui.app import _application
app = _application()
from opscope.gui.main_window import MainWindow
window = MainWindow()
window.show()
FRAMEWORKS = (
    "tensorflow", "torch", "mxnet", "keras", "tf2onnx", "openvino", "nncf", "transformers"
)
banned = [m for m in FRAMEWORKS if m in sys.modules]
print(",".join(banned))
window.close()
"""


def test_the_gui_process_never_imports_a_framework():
    done = subprocess.run(
        [sys.executable, "-c", GUI_IMPORTS], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


HEADLESS_IMPORTS = """
import sys
from opscope.cli import main
for verb in ({verbs}):
    try:
        main([verb, "--help"])
    except SystemExit:
        pass
print("QT:" + ",".join(m for m in ("PySide6", "pyqtgraph", "superqt") if m in sys.modules))
"""


def test_headless_verbs_never_import_qt():
    from opscope.cli import VERB_MODULES

    script = HEADLESS_IMPORTS.format(verbs=", ".join(repr(v) for v in VERB_MODULES))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "QT:"


def test_trace_stats_reads_the_demo_trace():
    from opscope.resources import DEMO_DIR

    done = run_opscope("trace", "stats", str(DEMO_DIR / "onnxruntime_profile.json"), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["format"] == "onnxruntime" and report["ops"]
