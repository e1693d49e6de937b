"""``opscope graph MODEL --json`` and ``opscope graph MODEL -o OUT.svg|OUT.png``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from opscope.errors import OpscopeError
from opscope.progress import ignore_fraction

IMAGE_SUFFIXES = (".svg", ".png")
PNG_TIMEOUT_S = 300


def _write_png(svg: str, target: Path) -> None:
    """PNG through the GUI's renderer in a child process: this verb itself never loads Qt."""
    from opscope.atomic import atomic_path, scratch_folder

    with scratch_folder("graph") as folder, atomic_path(target) as temp:
        source = Path(folder) / "graph.svg"
        source.write_text(svg, encoding="utf-8")
        command = [sys.executable, "-m", "opscope.gui.graph.render", str(source), str(temp)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=PNG_TIMEOUT_S)
        if done.returncode != 0:
            lines = (done.stderr or "the renderer failed").strip().splitlines()
            raise OpscopeError(f"cannot write {target.name}: {lines[-1]}")


def run_graph(args: argparse.Namespace) -> int:
    from opscope.atomic import check_output_path, write_text_atomic
    from opscope.backend.graph.extract import extract_graph
    from opscope.backend.graph.model import headless_json
    from opscope.backend.graph.svg import graph_svg
    from opscope.backend.graph.view import all_scopes, build_view, initial_expanded

    if args.output is None and not args.json:
        raise OpscopeError("say what to write: --json, or -o OUT.svg / OUT.png")
    target = None if args.output is None else Path(args.output)
    if target is not None:
        if target.suffix.lower() not in IMAGE_SUFFIXES:
            raise OpscopeError(f"-o {target.name}: the picture must be .svg or .png")
        check_output_path(args.model, target)
    graph = extract_graph(args.model, ignore_fraction, args.converted)
    if target is not None:
        expanded = initial_expanded(graph) if args.collapsed else set(all_scopes(graph))
        view = build_view(graph, expanded)
        svg = graph_svg(graph, view, view.lay_out())
        if target.suffix.lower() == ".svg":
            write_text_atomic(target, svg)
        else:
            _write_png(svg, target)
    if args.json:
        print(json.dumps(headless_json(graph)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("graph", help="print or draw a model's graph")
    parser.add_argument("model", metavar="MODEL", help="model file or SavedModel folder")
    parser.add_argument("--json", action="store_true", help="print nodes and edges as JSON")
    parser.add_argument("-o", "--output", metavar="OUT.svg|OUT.png", help="draw the graph")
    parser.add_argument(
        "--collapsed",
        action="store_true",
        help="draw scopes collapsed as the window opens them (default: every node)",
    )
    parser.add_argument(
        "--converted",
        action="store_true",
        help="the graph of the model converted to ONNX (what onnxruntime runs), not the native one",
    )
    parser.set_defaults(run=run_graph)
