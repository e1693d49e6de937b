"""``opscope convert``: a model of any framework to ONNX, verified against the original.

The exporter writes into a private temporary folder; the result is renamed to the
original's input and output names, checked by running both models on the same inputs, and
only then copied to the user's path atomically. A conversion that fails leaves nothing
behind; one that converts but does not match is written and reported as failed.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opscope.atomic import atomic_path, check_output_path, scratch_folder
from opscope.backend.contracts.models import ConvertParams
from opscope.backend.inputs import apply_overrides, parse_input_option, random_inputs, read_npz
from opscope.backend.models import ExportOptions, InputSpec, ModelAdapter, open_for
from opscope.backend.models.base import quiet_native_output
from opscope.backend.models.onnx_model import (
    OnnxAdapter,
    drop_initializer_inputs,
    fit_ir_version,
    keep_outputs,
    load_onnx,
    name_batch_axis,
    rename_io,
)
from opscope.backend.verify import DEFAULT_ATOL, DEFAULT_RTOL, compare_outputs
from opscope.errors import OpscopeError
from opscope.progress import FractionProgress, ignore_fraction


@dataclass(frozen=True)
class ConvertOptions:
    """What ``opscope convert`` and the ``convert_model`` job take besides the paths."""

    opset: int | None = None
    inputs: tuple[InputSpec, ...] = ()
    keep_outputs: tuple[str, ...] = ()
    inputs_npz: str | None = None
    dynamic_batch: bool = True
    rtol: float = DEFAULT_RTOL
    atol: float | None = DEFAULT_ATOL  # None: relative to each output's magnitude


def options_from_args(args: argparse.Namespace) -> ConvertOptions:
    return ConvertOptions(
        opset=args.opset,
        inputs=tuple(parse_input_option(text) for text in args.input),
        keep_outputs=tuple(n for n in (args.keep_outputs or "").split(",") if n),
        inputs_npz=args.inputs_npz,
        dynamic_batch=not args.static_batch,
        rtol=args.rtol,
        atol=args.atol,
    )


def options_from_params(params: ConvertParams) -> ConvertOptions:
    """The job's parameters as options; ``inputs`` are ``NAME:SHAPE:DTYPE`` strings."""
    return ConvertOptions(
        opset=params.opset,
        inputs=tuple(parse_input_option(text) for text in params.inputs),
        keep_outputs=params.keep_outputs,
        inputs_npz=params.inputs_npz,
        dynamic_batch=params.dynamic_batch,
        rtol=DEFAULT_RTOL if params.rtol is None else params.rtol,
        atol=params.atol,
    )


def _export(adapter: ModelAdapter, folder: Path, specs: list[InputSpec], options: ConvertOptions):
    """Export, name inputs and outputs as the original does, and keep the chosen outputs."""
    import onnx

    raw = folder / "exported.onnx"
    with quiet_native_output(), contextlib.redirect_stdout(sys.stderr):
        adapter.export_onnx(raw, specs, ExportOptions(options.opset, options.dynamic_batch))
    if not raw.is_file():
        raise OpscopeError("the exporter wrote no model")
    model = load_onnx(raw, with_data=True)
    fit_ir_version(model)
    drop_initializer_inputs(model)
    if options.dynamic_batch:
        name_batch_axis(model)
    rename_io(model, [s.name for s in specs], adapter.output_names())
    if options.keep_outputs:
        keep_outputs(model, list(options.keep_outputs))
    final = folder / "model.onnx"
    onnx.save(model, str(final))
    return final


def _verify(
    adapter: ModelAdapter,
    expected: list,
    converted: OnnxAdapter,
    inputs: dict,
    options: ConvertOptions,
):
    names = adapter.output_names()
    if options.keep_outputs and len(names) == len(expected):
        expected = [expected[names.index(n)] for n in options.keep_outputs if n in names]
    onnx_names = [s.name for s in converted.input_specs()]
    onnx_inputs = dict(zip(onnx_names, inputs.values(), strict=False))
    actual = converted.run(onnx_inputs)
    return compare_outputs(expected, actual, options.rtol, options.atol)


def convert_model(
    path: str | Path,
    output: str | Path,
    options: ConvertOptions,
    progress: FractionProgress = ignore_fraction,
) -> dict[str, Any]:
    """Convert, verify and write; returns the ``convert --json`` object."""
    source, target = Path(path), Path(output)
    progress(0.0, f"opening {source.name}")
    adapter = open_for(source)
    try:
        check_output_path(source, target)
        before = adapter.summary()
        specs = apply_overrides(adapter.input_specs(), options.inputs)
        npz = options.inputs_npz
        inputs = read_npz(npz, specs) if npz else random_inputs(specs)
        progress(0.1, "running the original model")
        expected = adapter.run(inputs)  # a wrong input shape fails here, plainly
        progress(0.2, "exporting to ONNX")
        with scratch_folder("convert") as folder:
            final = _export(adapter, Path(folder), specs, options)
            progress(0.6, "running the ONNX model on the same inputs")
            converted = OnnxAdapter(final)
            verify = _verify(adapter, expected, converted, inputs, options)
            after = converted.summary()
            progress(0.9, f"writing {target.name}")
            with atomic_path(target) as temp:
                shutil.copyfile(final, temp)
    except OpscopeError as exc:
        raise OpscopeError(f"cannot convert {source}: {exc}") from exc
    progress(1.0, "verified" if verify.passed else "verification FAILED")
    return {
        "output": str(target),
        "verify": verify.to_dict(),
        "tolerance": verify.tolerance,
        "inputs": inputs_used(inputs),
        "before": before.to_dict(),
        "after": after.to_dict(),
    }


def inputs_used(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The arrays the models ran on, by name: what every number in a report was measured at."""
    return [
        {"name": name, "dtype": str(array.dtype), "shape": list(array.shape)}
        for name, array in inputs.items()
    ]


def convert_job(params: ConvertParams, progress: FractionProgress) -> dict[str, Any]:
    """Job ``convert_model`` -> the ``convert --json`` object."""
    return convert_model(params.path, params.output, options_from_params(params), progress)


def inputs_text(inputs: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{i['name']} {'x'.join(map(str, i['shape'])) or 'scalar'} {i['dtype']}" for i in inputs
    )


def format_report(report: dict[str, Any]) -> str:
    """The conversion report as the lines a person reads in a terminal."""
    verify, before, after = report["verify"], report["before"], report["after"]
    top1 = verify["top1_agreement"]
    return "\n".join(
        [
            f"wrote        {report['output']} "
            f"({after['size_bytes']:,} bytes, opset {after['opset']})",
            f"nodes        {before['nodes']} ({before['format']}) -> {after['nodes']} (onnx)",
            f"max abs diff {verify['max_abs_diff']:.3g}   mean {verify['mean_abs_diff']:.3g}   "
            f"top-1 agreement {'n/a' if top1 is None else f'{top1:.1%}'}",
            f"inputs       {inputs_text(report['inputs'])}",
            f"verification {'passed' if verify['passed'] else 'FAILED'} ({report['tolerance']})",
        ]
    )
