"""The ``optimize``, ``bench`` and ``profile`` verbs: parsers and handlers.

:func:`add_parsers` registers the three subcommands on the headless CLI's subparsers.
Nothing here imports onnxruntime or a framework at module level (``opscope --help`` must
stay fast); the handlers import the job code when they run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from opscope.progress import Step, scaled


def _runtime_label(row: dict) -> str:
    """ "onnxruntime", or "onnxruntime/CUDA" when a GPU provider ran the model."""
    provider = row["provider"].removesuffix("ExecutionProvider")
    return row["runtime"] if provider in ("CPU", "eager") else f"{row['runtime']}/{provider}"


def _progress_printer(quiet: bool, kind: str):
    """Progress on stderr: the job's overall fraction (never decreasing), step and message."""
    from opscope.backend.jobs import plan_of

    plan = plan_of(kind)

    def show(step, fraction: float, message: str) -> None:
        if not quiet:
            print(f"[{plan.overall(step, fraction):4.0%}] {step.value}: {message}", file=sys.stderr)

    return show


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(n for n in (text or "").split(",") if n)


def _run_optimize(args: argparse.Namespace) -> int:
    from opscope.backend.contracts.optimize import OptimizeOptions
    from opscope.backend.optimize.pipeline import optimize_model
    from opscope.backend.optimize.report import to_markdown

    options = OptimizeOptions(
        keep_outputs=_names(args.keep_outputs),
        level=args.level,
        slim=args.slim,
        quantize=args.quantize,
        calib=args.calib,
        method=args.method,
        per_channel=args.per_channel,
        exclude_nodes=_names(args.exclude_nodes),
        exclude_op_types=_names(args.exclude_op_types),
        auto=args.auto,
        tolerance=args.tolerance,
        opset=args.opset,
        inputs=tuple(args.input),
        tf_native=args.tf_native,
        inputs_npz=args.inputs_npz,
        runs=args.runs,
        warmup=args.warmup,
        threads=args.threads,
        batch=args.batch,
        report=args.report,
        runtime=args.runtime,
        **({} if args.min_top1 is None else {"min_top1": args.min_top1}),
    )
    progress = _progress_printer(args.quiet, "optimize_model")
    report = optimize_model(args.model, args.output, options, progress)
    print(json.dumps(report, indent=2) if args.json else to_markdown(report))
    return 0 if report["verify"]["passed"] else 1


def _add_timing(parser: argparse.ArgumentParser, runs: int, runs_help: str = "timed runs") -> None:
    parser.add_argument("--runs", type=int, default=runs, metavar="N", help=runs_help)
    parser.add_argument("--warmup", type=int, default=5, metavar="N", help="untimed runs first")
    parser.add_argument("--threads", type=int, metavar="N", help="onnxruntime intra-op threads")
    parser.add_argument("--batch", type=int, metavar="N", help="batch size of generated inputs")


def _add_optimize(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "optimize", help="prune, quantize, verify and benchmark a model; export it as ONNX"
    )
    parser.add_argument("model", metavar="MODEL", help="model file or SavedModel folder")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.onnx")
    parser.add_argument("--keep-outputs", metavar="A,B", help="serve only these outputs")
    parser.add_argument("--level", choices=("basic", "extended", "layout", "all"))
    parser.add_argument("--slim", action="store_true", help="simplify with onnxslim")
    parser.add_argument("--quantize", choices=("dynamic", "static", "fp16"))
    parser.add_argument("--calib", metavar="FILE.npz", help="calibration inputs (.npz or .npy)")
    parser.add_argument("--method", choices=("minmax", "entropy", "percentile"), default="minmax")
    parser.add_argument("--per-channel", action="store_true", help="per-channel INT8 weights")
    parser.add_argument("--exclude-nodes", metavar="A,B", help="nodes not to quantize")
    parser.add_argument("--exclude-op-types", metavar="A,B", help="op types not to quantize")
    parser.add_argument("--auto", action="store_true", help="try candidates, keep the fastest")
    parser.add_argument(
        "--runtime",
        choices=("onnxruntime", "openvino", "any"),
        default="any",
        help="where the result will be deployed: auto mode tries only that runtime's "
        "candidates (default any); an OpenVINO result is written as IR (OUT.xml + OUT.bin)",
    )
    parser.add_argument(
        "--tolerance", type=float, metavar="ATOL", help="max abs diff allowed per output value"
    )
    parser.add_argument(
        "--min-top1",
        type=float,
        metavar="SHARE",
        help="classifier-like outputs must keep this top-1 agreement (default 0.99)",
    )
    parser.add_argument("--inputs-npz", metavar="FILE.npz", help="verify and time on these")
    parser.add_argument("--opset", type=int, metavar="N", help="ONNX opset of the conversion")
    parser.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME:SHAPE:DTYPE",
        help="an input's shape for files that record none (TorchScript, MXNet); repeatable",
    )
    parser.add_argument(
        "--tf-native",
        action="store_true",
        help="SavedModel: freeze, keep outputs, optimize_for_inference + grappler in "
        "TensorFlow; -o DIR writes a SavedModel, -o FILE.pb a frozen GraphDef",
    )
    parser.add_argument("--report", metavar="REPORT.json", help="also write REPORT.md beside it")
    _add_timing(parser, runs=30, runs_help="timed runs, at least (more for sub-ms models)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(run=_run_optimize)


def _run_bench(args: argparse.Namespace) -> int:
    from opscope.backend.optimize.bench_models import bench_models

    rows = bench_models(
        args.models,
        runs=args.runs,
        warmup=args.warmup,
        threads=args.threads,
        batch=args.batch,
        runtime=args.runtime,
        progress=scaled(_progress_printer(args.json or args.quiet, "bench_model"), Step.BENCHMARK),
    )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'model':<40} {'runtime':<22} {'p50 ms':>9} {'p90 ms':>9} {'p99 ms':>9} {'/s':>9}")
    for row in rows:
        print(
            f"{row['model'][-40:]:<40} {_runtime_label(row):<22} {row['p50_ms']:>9.3f} "
            f"{row['p90_ms']:>9.3f} {row['p99_ms']:>9.3f} {row['throughput']:>9.1f}"
        )
    return 0


def _add_bench(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time models (ONNX in onnxruntime or OpenVINO, OpenVINO IR .xml in OpenVINO, "
        "others eager), interleaved",
    )
    parser.add_argument("models", nargs="+", metavar="MODEL")
    _add_timing(parser, runs=50)
    parser.add_argument(
        "--runtime",
        choices=("onnxruntime", "openvino"),
        default="onnxruntime",
        help="where ONNX files run (an .xml IR always runs in OpenVINO)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(run=_run_bench)


def _run_profile(args: argparse.Namespace) -> int:
    from opscope.backend.optimize.profile import profile_model

    result = profile_model(
        args.model,
        args.output,
        runs=args.runs,
        runtime=args.runtime,
        progress=scaled(_progress_printer(args.quiet, "profile_model"), Step.PROFILE),
    )
    print(json.dumps(result))
    return 0


def _add_profile(subparsers: Any) -> None:
    parser = subparsers.add_parser("profile", help="write a profiler trace of N runs")
    parser.add_argument("model", metavar="MODEL")
    parser.add_argument("-o", "--output", required=True, metavar="TRACE.json")
    parser.add_argument("--runs", type=int, default=10, metavar="N")
    parser.add_argument(
        "--runtime",
        choices=("onnxruntime", "native", "openvino"),
        default="onnxruntime",
        help="onnxruntime's profiler, the model's own framework's, or OpenVINO's per-layer "
        "counters (ONNX or .xml IR)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(run=_run_profile)


REGISTER = {"optimize": _add_optimize, "bench": _add_bench, "profile": _add_profile}


def add_parsers(subparsers: Any) -> None:
    """Register ``optimize``, ``bench`` and ``profile`` (each sets ``run`` to its handler)."""
    for register in REGISTER.values():
        register(subparsers)
