"""The headless model verbs: ``opscope inspect``, ``opscope convert`` (and the later ones).

``opscope/cli.py`` hands ``argv`` (verb first) to :func:`main`. Each verb registers its
subparser in :data:`VERBS`; adding one is adding a function and a line. Nothing here
imports a framework: the verbs call job functions, which open models through adapters.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from opscope.backend.graph.cli import register as register_graph
from opscope.backend.optimize.cli import add_parsers as add_optimize_parsers
from opscope.progress import ignore_fraction

Register = Callable[[argparse._SubParsersAction], None]


def _print_progress(fraction: float, message: str) -> None:
    """Progress goes to stderr, and only to a terminal: scripts see one error line or none."""
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr)


def _run_inspect(args: argparse.Namespace) -> int:
    from opscope.backend.inspect import format_summary, inspection

    data = inspection(args.model)
    print(json.dumps(data, indent=2) if args.json else format_summary(data))
    return 0


def _register_inspect(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inspect", help="summarise a model's graph")
    parser.add_argument("model", metavar="MODEL", help="model file or SavedModel folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=_run_inspect)


def _run_convert(args: argparse.Namespace) -> int:
    from opscope.backend.convert import convert_model, format_report, options_from_args

    interactive = sys.stderr.isatty() and not (args.json or args.quiet)
    progress = _print_progress if interactive else ignore_fraction
    report = convert_model(args.model, args.output, options_from_args(args), progress)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0 if report["verify"]["passed"] else 1


def _register_convert(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert", help="convert a model to ONNX and verify it against the original"
    )
    parser.add_argument("model", metavar="MODEL", help="model file or SavedModel folder")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.onnx")
    parser.add_argument("--opset", type=int, help="ONNX opset (default: the exporter's)")
    parser.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME:SHAPE:DTYPE",
        help="input name, shape (1x3x224x224, ? for dynamic) and dtype; repeatable",
    )
    parser.add_argument(
        "--keep-outputs", metavar="A,B", help="keep only these outputs in the ONNX model"
    )
    parser.add_argument("--inputs-npz", metavar="FILE.npz", help="verify on these inputs")
    parser.add_argument("--static-batch", action="store_true", help="no dynamic batch axis")
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument(
        "--atol",
        type=float,
        default=None,
        help="absolute tolerance (default: 1e-3 x max|reference|)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(run=_run_convert)


# verb -> function that adds its subparser
VERBS: dict[str, Register] = {
    "inspect": _register_inspect,
    "convert": _register_convert,
    "graph": register_graph,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opscope", description="Headless model verbs.")
    subparsers = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for register in VERBS.values():
        register(subparsers)
    add_optimize_parsers(subparsers)
    return parser


def main(argv: Sequence[str]) -> int:
    """Run one verb; ``argv[0]`` is the verb."""
    args: Any = build_parser().parse_args(list(argv))
    return args.run(args)
