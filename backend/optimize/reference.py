"""The original model, as every optimized variant is checked and timed against it.

The original runs once, in its own framework, on fixed inputs; every step's output file is
then run in onnxruntime on the same inputs and compared with those outputs (not with the
previous step's), so errors cannot creep in step by step unnoticed.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opscope.atomic import scratch_folder
from opscope.backend.contracts.models import Verification
from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.inputs import apply_overrides, parse_input_option, random_inputs, read_npz
from opscope.backend.models import InputSpec, ModelAdapter
from opscope.backend.models.onnx_model import load_onnx, onnx_input_specs
from opscope.backend.optimize.bench import RunOnce, batch_of, onnx_session, session_runner
from opscope.backend.verify import DEFAULT_ATOL, DEFAULT_RTOL, compare_outputs
from opscope.errors import OpscopeError
from opscope.progress import Progress, Step, scaled


def tolerances(tolerance: float | None) -> tuple[float, float]:
    """(rtol, atol): a user's tolerance is an absolute bound on every output element."""
    return (DEFAULT_RTOL, DEFAULT_ATOL) if tolerance is None else (0.0, float(tolerance))


@dataclass
class Reference:
    """The original model, its ONNX form, fixed inputs and the outputs it computes on them."""

    adapter: ModelAdapter
    onnx_path: Path
    before: dict[str, Any]
    specs: list[InputSpec]
    inputs: dict[str, np.ndarray]
    output_names: list[str]
    expected: list[np.ndarray]
    rtol: float
    atol: float
    min_top1: float | None = None

    def verify(self, path: Path) -> Verification:
        """Run the ONNX file at ``path`` on the reference inputs and compare."""
        session = onnx_session(path)
        run = session_runner(session, self.inputs)
        names = [o.name for o in session.get_outputs()]
        if names != self.output_names:
            raise OpscopeError(
                f"the optimized model returns {', '.join(names)}, "
                f"expected {', '.join(self.output_names)}"
            )
        return compare_outputs(self.expected, run(), self.rtol, self.atol, self.min_top1)

    @property
    def batch(self) -> int:
        return batch_of(self.inputs)

    def original_runner(self) -> RunOnce:
        """One call of the original as it is served: in its framework (a SavedModel's
        signature, a Keras model's tf.function, hybridized MXNet), or onnxruntime for ONNX."""
        if self.adapter.format == "onnx":
            return session_runner(onnx_session(self.adapter.path), self.inputs)
        inputs = self.inputs
        serving = getattr(self.adapter, "serving_runner", None)  # Keras: its tf.function
        return serving(inputs) if serving is not None else lambda: self.adapter.run(inputs)


@dataclass(frozen=True)
class ReferenceSettings:
    """How the original is converted, fed and compared: the options shared by optimize and
    profile (``inputs`` are ``NAME:SHAPE:DTYPE`` strings, as ``opscope convert --input``)."""

    keep: tuple[str, ...] = ()
    inputs_npz: str | None = None
    batch: int | None = None
    tolerance: float | None = None
    min_top1: float | None = None
    opset: int | None = None
    inputs: tuple[str, ...] = ()

    @classmethod
    def of(cls, options: OptimizeOptions) -> ReferenceSettings:
        """The settings from an :class:`OptimizeOptions`."""
        return cls(
            keep=tuple(options.keep_outputs),
            inputs_npz=options.inputs_npz,
            batch=options.batch,
            tolerance=options.tolerance,
            min_top1=options.min_top1,
            opset=options.opset,
            inputs=tuple(options.inputs),
        )

    def input_overrides(self) -> tuple[InputSpec, ...]:
        return tuple(parse_input_option(text) for text in self.inputs)


def _select(names: list[str], outputs: list[np.ndarray], keep: list[str]) -> list[np.ndarray]:
    if len(names) != len(outputs):
        return outputs
    return [outputs[names.index(n)] for n in keep if n in names]


def _convert(adapter: ModelAdapter, folder: Path, settings: ReferenceSettings, progress: Progress):
    """The model as ONNX through the conversion job, which also checks the conversion."""
    from opscope.backend.convert import ConvertOptions, convert_model

    target = folder / "converted.onnx"
    options = ConvertOptions(
        opset=settings.opset, inputs=settings.input_overrides(), keep_outputs=settings.keep
    )
    report = convert_model(adapter.path, target, options, scaled(progress, Step.CONVERT, 0, 0.9))
    if not report["verify"]["passed"]:
        verify = report["verify"]
        raise OpscopeError(
            f"the conversion to ONNX does not match the original "
            f"(max abs diff {verify['max_abs_diff']:.3g})"
        )
    return target, report["before"]


def reference_inputs(specs: list[InputSpec], settings: ReferenceSettings) -> dict[str, np.ndarray]:
    """The user's ``.npz``, or generated inputs shaped as the user's ``--input`` says."""
    specs = apply_overrides(specs, settings.input_overrides())
    if settings.inputs_npz:
        return read_npz(settings.inputs_npz, specs)
    return random_inputs(specs, seed=0, batch=settings.batch or 2)


def build_reference(
    adapter: ModelAdapter,
    folder: Path,
    settings: ReferenceSettings = ReferenceSettings(),
    *,
    progress: Progress,
) -> Reference:
    """Convert (unless ONNX), pick inputs and run the original once."""
    if adapter.format == "onnx":
        onnx_path = adapter.path
        before = adapter.summary().to_dict()
    else:
        onnx_path, before = _convert(adapter, folder, settings, progress)
    specs = onnx_input_specs(load_onnx(onnx_path))
    inputs = reference_inputs(specs, settings)
    keep = settings.keep
    names = adapter.output_names()
    outputs = [o.name for o in load_onnx(onnx_path).graph.output]
    missing = [n for n in keep if n not in outputs]
    if missing:
        raise OpscopeError(
            f"the model has no output {missing[0]!r} (outputs: {', '.join(outputs)})"
        )
    keep_names = [n for n in outputs if n in keep] if keep else outputs
    progress(Step.CONVERT, 0.95, "running the original")
    expected = _select(names, adapter.run(inputs), keep_names)
    rtol, atol = tolerances(settings.tolerance)
    return Reference(
        adapter,
        onnx_path,
        before,
        specs,
        inputs,
        keep_names,
        expected,
        rtol,
        atol,
        settings.min_top1,
    )


def work_folder() -> contextlib.AbstractContextManager[str]:
    """A private folder for intermediate files, in opscope's cache, never beside the model;
    announced to the job runner, so a cancelled job's folder is removed too."""
    return scratch_folder("optimize")
