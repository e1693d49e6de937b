"""Package data: the demo model and traces (regenerate them with ``make_demo.py``)."""

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
DEMO_DIR = RESOURCES_DIR / "demo"

# Opened in this order by ``opscope --demo``; the last one is the page left on screen.
DEMO_ORDER = (
    "model.onnx",
    "onnxruntime_profile.json",
    "mxnet_profile.json",
    "tensorflow_logdir",
    "pytorch_trace.json",
)


def demo_files() -> list[Path]:
    return [DEMO_DIR / name for name in DEMO_ORDER if (DEMO_DIR / name).exists()]
