"""Help › About: the versions of opscope and of the frameworks installed.

Versions come from package metadata, so the GUI process never imports the frameworks.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from opscope import __version__

PACKAGES = [
    ("onnx", "onnx"),
    ("onnxruntime", "onnxruntime"),
    ("onnxruntime", "onnxruntime-gpu"),
    ("TensorFlow", "tensorflow-cpu"),
    ("TensorFlow", "tensorflow"),
    ("tf2onnx", "tf2onnx"),
    ("xprof (TensorBoard profile plugin)", "tensorboard-plugin-profile"),
    ("PyTorch", "torch"),
    ("onnxscript", "onnxscript"),
    ("MXNet", "mxnet"),
    ("onnxslim", "onnxslim"),
    ("numpy", "numpy"),
    ("PySide6", "PySide6-Essentials"),
    ("pyqtgraph", "pyqtgraph"),
]


def framework_versions() -> dict[str, str]:
    """Label -> installed version, or "not installed"."""
    found: dict[str, str] = {}
    for label, dist in PACKAGES:
        try:
            found[label] = version(dist)
        except PackageNotFoundError:
            found.setdefault(label, "not installed")
    return found


def about_html() -> str:
    rows = "".join(
        f"<tr><td>{label}</td><td>&nbsp;&nbsp;{ver}</td></tr>"
        for label, ver in framework_versions().items()
    )
    return (
        f"<h3>opscope {__version__}</h3>"
        "<p>Open, optimize, verify and profile deep-learning models; "
        "read profiler traces as per-operator timelines.</p>"
        f"<table>{rows}</table>"
    )
