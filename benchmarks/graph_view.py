"""Layout and frame times of the graph view, fully expanded, at 1600×1000 offscreen.

    python benchmarks/graph_view.py [MODEL] [--layers N]

Without ``MODEL`` it builds (once, cached in opscope's cache folder) a deep
``nn.TransformerEncoder`` exported to ONNX by torch's TorchScript exporter: 125 layers are
10,994 nodes. Prints one JSON line: nodes, edges, layout_s (view + layered layout of every
node), first_frame_ms (scene built from the layout and painted once), frame_ms_p50 and
frame_ms_p95 over 200 scripted pan / zoom steps (from the whole graph in blocks down to
labelled boxes with shapes), and extract_s (reading the model, ONNX shape inference).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from opscope.backend.graph.extract import extract_graph  # noqa: E402
from opscope.backend.graph.view import all_scopes, build_view  # noqa: E402
from opscope.gui.graph.canvas import GraphCanvas  # noqa: E402
from opscope.gui.graph.scene import GraphScene  # noqa: E402
from opscope.paths import cache_dir  # noqa: E402

STEPS = 200
WIDTH, HEIGHT = 1600, 1000


def transformer_onnx(layers: int) -> Path:
    """A ``layers``-deep transformer encoder as ONNX (~88 nodes a layer), built once."""
    target = cache_dir("benchmarks") / f"transformer-encoder-{layers}.onnx"
    if target.is_file():
        return target
    import torch

    from opscope.atomic import atomic_path
    from opscope.backend.models.base import quiet_native_output

    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, 2, 32, batch_first=True, dropout=0.0)
    model = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).eval()
    with atomic_path(target) as temp, quiet_native_output():
        torch.onnx.export(model, (torch.randn(1, 5, 16),), str(temp), dynamo=False)
    return target


def script(canvas: GraphCanvas, step: int) -> None:
    """Fixed steps: zoom in from the whole graph at places down its length, pan along it,
    zoom back out."""
    vp = canvas.viewport
    phase = step % 50
    if phase == 0:
        vp.fit(canvas.scene.bounds)
    elif phase < 22:
        vp.zoom(1 / 0.72, (WIDTH / 2, HEIGHT * ((step * 0.37) % 1.0)))
    elif phase < 40:
        vp.pan_pixels(((step * 53) % 300) - 150, 400 if step % 100 < 50 else -400)
    else:
        vp.zoom(0.5)


def measure(path: Path) -> dict[str, float | int]:
    app = QApplication.instance() or QApplication([])
    started = time.perf_counter()
    graph = extract_graph(path, lambda fraction, message: None)
    extract_s = time.perf_counter() - started
    started = time.perf_counter()
    expanded = set(all_scopes(graph))
    view = build_view(graph, expanded)
    layout = view.lay_out()
    layout_s = time.perf_counter() - started
    canvas = GraphCanvas()
    canvas.resize(WIDTH, HEIGHT)
    canvas.show()
    app.processEvents()
    started = time.perf_counter()
    canvas.set_scene(GraphScene(graph, view, layout, frozenset(expanded)))
    canvas.viewport.fit(canvas.scene.bounds)
    canvas.repaint()
    first_frame = time.perf_counter() - started
    frames = []
    for step in range(STEPS):
        begin = time.perf_counter()
        script(canvas, step)
        canvas.repaint()
        frames.append(time.perf_counter() - begin)
    app.processEvents()
    ms = np.asarray(frames) * 1e3
    return {
        "nodes": len(graph.nodes),
        "edges": len(graph.edges),
        "layout_s": round(layout_s, 3),
        "first_frame_ms": round(first_frame * 1e3, 1),
        "frame_ms_p50": round(float(np.percentile(ms, 50)), 2),
        "frame_ms_p95": round(float(np.percentile(ms, 95)), 2),
        "extract_s": round(extract_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", help="default: a built-in ~10,000-node transformer")
    parser.add_argument("--layers", type=int, default=125, help="layers of the built-in model")
    args = parser.parse_args()
    path = Path(args.model) if args.model else transformer_onnx(args.layers)
    print(json.dumps(measure(path)))


if __name__ == "__main__":
    main()
