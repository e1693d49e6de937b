"""Quantization with onnxruntime: dynamic INT8, static QDQ INT8 with calibration, FP16.

Which of these makes a model faster depends on the model and the CPU (dynamic INT8 made a
small CNN 4x slower here while static QDQ INT8 made it 3.6x faster), so this module only
produces variants; :mod:`opscope.backend.optimize.auto` measures them.
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.models.base import (
    InputSpec,
    captured_logs,
    quiet_native_output,
    user_errors,
)
from opscope.errors import OpscopeError

CALIBRATION_METHODS = ("minmax", "entropy", "percentile")
QUANTIZE_MODES = ("dynamic", "static", "fp16")
GENERATED_CALIBRATION_WARNING = (
    "static quantization was calibrated on generated random inputs; its accuracy on real "
    "data is unknown: calibrate with --calib FILE.npz of real inputs"
)


@dataclass(frozen=True)
class QuantOptions:
    """What the user asked of a quantization step."""

    mode: str = "static"
    per_channel: bool = False
    method: str = "minmax"
    exclude_nodes: tuple[str, ...] = ()
    exclude_op_types: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, options: OptimizeOptions, mode: str, **changes: Any) -> QuantOptions:
        """The quantization part of an ``OptimizeOptions``, with ``changes`` applied."""
        values = {
            "mode": mode,
            "per_channel": options.per_channel,
            "method": options.method,
            "exclude_nodes": options.exclude_nodes,
            "exclude_op_types": options.exclude_op_types,
        }
        return cls(**{**values, **changes})


def pre_process(source: Path, target: Path) -> None:
    """``quant_pre_process``: shape inference and fusions the quantizer relies on.

    Symbolic shape inference fails on some graphs (unknown contrib ops, odd shapes); ONNX's
    own shape inference is then enough for the quantizer, so that is the fallback. When it
    fails it first writes ``sym_shape_infer_temp.onnx`` into the working folder, so it runs
    in the target's (private) folder, never in the folder opscope was started from.
    """
    from onnxruntime.quantization.shape_inference import quant_pre_process

    source, target = source.resolve(), target.resolve()
    with contextlib.chdir(target.parent):
        try:
            quant_pre_process(str(source), str(target))
        except Exception:
            with user_errors("quantization pre-processing failed"):
                quant_pre_process(str(source), str(target), skip_symbolic_shape=True)


def _op_types(registry_keys: Sequence[str], excluded: Sequence[str]) -> list[str] | None:
    if not excluded:
        return None
    return sorted(set(registry_keys) - set(excluded))


def quantize_dynamic_int8(source: Path, target: Path, options: QuantOptions) -> None:
    """Weights to INT8 ahead of time, activations quantized per run."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.registry import IntegerOpsRegistry

    with quiet_calibration() as logged, user_errors("dynamic quantization failed", logged):
        quantize_dynamic(
            str(source),
            str(target),
            op_types_to_quantize=_op_types(list(IntegerOpsRegistry), options.exclude_op_types),
            per_channel=options.per_channel,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(options.exclude_nodes) or None,
            extra_options=dict(options.extra) or None,
        )


class FiniteOutputs:
    """An onnxruntime session whose float outputs have their infinities clipped to the
    array's finite range: a masked attention score (``-inf`` where a mask is 0) must not
    become a calibration range of ``[-inf, …]``, which no INT8 scale can represent."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def run(self, *args: Any, **kwargs: Any) -> list[Any]:
        return [finite_values(value) for value in self._session.run(*args, **kwargs)]


def finite_values(value: Any) -> Any:
    """``value`` with +-inf replaced by its largest / smallest finite value (NaN by 0)."""
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or np.isfinite(value).all():
        return value
    finite = value[np.isfinite(value)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return np.nan_to_num(value, nan=0.0, posinf=high, neginf=low)


@contextlib.contextmanager
def quiet_calibration() -> Iterator[list[logging.LogRecord]]:
    """The calibrators' chatter (prints, root-logger warnings, native session logs) kept off
    the terminal: stdout must stay clean for ``--json`` and stderr holds one error line."""
    with (
        quiet_native_output(),
        contextlib.redirect_stdout(io.StringIO()),
        captured_logs("") as records,
        warnings.catch_warnings(record=True),  # numpy's histogram overflow on huge scores
    ):
        warnings.simplefilter("always")
        yield records


class BatchReader:
    """onnxruntime's ``CalibrationDataReader`` over a list of input batches."""

    def __init__(self, batches: Sequence[dict[str, np.ndarray]]) -> None:
        self._batches = list(batches)
        self._iter: Iterator[dict[str, np.ndarray]] = iter(self._batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._iter, None)

    def rewind(self) -> None:
        self._iter = iter(self._batches)


CALIBRATOR_OPTIONS = {
    "CalibTensorRangeSymmetric": "symmetric",
    "CalibMovingAverage": "moving_average",
    "CalibMovingAverageConstant": "averaging_constant",
    "CalibMaxIntermediateOutputs": "max_intermediate_outputs",
    "CalibPercentile": "percentile",
}


def finite_ranges(
    source: Path,
    batches: Sequence[dict[str, np.ndarray]],
    method: Any,
    op_types: Sequence[str],
    extra: dict[str, Any],
    folder: Path,
) -> Path:
    """Calibrate ``source`` on finite values only; the ranges go to a calibration cache file
    (onnxruntime's own ``save_tensors_data`` format) that ``quantize_static`` then reads.

    onnxruntime's ``create_calibrator`` is the calibrator quantize_static would build itself;
    its inference session is wrapped so the collected outputs are finite: a masked attention
    score (``-inf`` where a mask is 0) must not become a range of ``[-inf, ...]``.
    """
    from onnxruntime.quantization.calibrate import create_calibrator, save_tensors_data

    calibrator = create_calibrator(
        source,
        list(op_types),
        augmented_model_path=str(folder / "augmented.onnx"),
        calibrate_method=method,
        extra_options={
            key: extra[name] for name, key in CALIBRATOR_OPTIONS.items() if name in extra
        },
    )
    calibrator.infer_session = FiniteOutputs(calibrator.infer_session)
    calibrator.collect_data(BatchReader(batches))
    cache = folder / "ranges.json"
    save_tensors_data(calibrator.compute_data(), cache)
    return cache


def quantize_static_qdq(
    source: Path, target: Path, batches: Sequence[dict[str, np.ndarray]], options: QuantOptions
) -> None:
    """INT8 weights and activations in QDQ format, activation ranges from calibration."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as ort_quantize_static
    from onnxruntime.quantization.registry import QDQRegistry, QLinearOpsRegistry

    if options.method not in CALIBRATION_METHODS:
        raise OpscopeError(
            f"unknown calibration method {options.method!r}; use one of {CALIBRATION_METHODS}"
        )
    method = {
        "minmax": CalibrationMethod.MinMax,
        "entropy": CalibrationMethod.Entropy,
        "percentile": CalibrationMethod.Percentile,
    }[options.method]
    registry = sorted({*QDQRegistry, *QLinearOpsRegistry})
    ops = _op_types(registry, options.exclude_op_types)
    with (
        quiet_calibration() as logged,
        user_errors("static quantization failed", logged),
        tempfile.TemporaryDirectory(prefix="calibration-", dir=target.parent) as folder,
    ):
        ranges = finite_ranges(
            source, batches, method, ops or registry, dict(options.extra), Path(folder)
        )
        ort_quantize_static(
            str(source),
            str(target),
            BatchReader(batches),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=ops,
            per_channel=options.per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(options.exclude_nodes) or None,
            calibrate_method=method,
            calibration_cache_path=str(ranges),
            extra_options=dict(options.extra) or None,
        )


def convert_fp16(model: Any) -> Any:
    """Weights and compute in FP16, inputs and outputs kept in their original types."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    with user_errors("FP16 conversion failed"):
        return convert_float_to_float16(model, keep_io_types=True)


def _load_arrays(path: Path, specs: Sequence[InputSpec]) -> dict[str, np.ndarray]:
    """Arrays of a ``.npz`` (by input name or ``arr_N``) or a ``.npy`` (one-input models)."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise OpscopeError(f"cannot read calibration data from {path.name}: {exc}") from None
    if isinstance(data, np.ndarray):
        arrays = {"arr_0": data}
    else:
        with data:
            arrays = {key: data[key] for key in data.files}
    result = {}
    for index, spec in enumerate(specs):
        key = spec.name if spec.name in arrays else f"arr_{index}"
        if key not in arrays:
            raise OpscopeError(f"{path.name} has no calibration array for input {spec.name!r}")
        result[spec.name] = arrays[key]
    return result


def _check_calibration(spec: InputSpec, array: np.ndarray, source: str) -> np.ndarray:
    """The array as the input's dtype, or an error naming what does not fit."""
    want = np.dtype(spec.dtype)
    # Integers for a float input are a wrong file, not data to cast: refuse kind changes.
    if array.dtype.kind != want.kind and {array.dtype.kind, want.kind} != {"i", "u"}:
        raise OpscopeError(
            f"calibration input {spec.name!r} in {source} holds {array.dtype}, "
            f"the model takes {spec.dtype}"
        )
    if spec.shape is not None:
        fixed = [(a, d) for a, d in enumerate(spec.shape) if isinstance(d, int) and d > 0]
        wrong = array.ndim != len(spec.shape) or any(array.shape[a] != d for a, d in fixed if a > 0)
        if wrong:
            dims = "x".join(str(d) if isinstance(d, int) and d > 0 else "?" for d in spec.shape)
            raise OpscopeError(
                f"calibration input {spec.name!r} in {source} has shape "
                f"{'x'.join(map(str, array.shape))}, the model takes {dims}"
            )
    return array.astype(want, copy=False)


def _fixed_batch(specs: Sequence[InputSpec]) -> int | None:
    for spec in specs:
        if spec.shape and isinstance(spec.shape[0], int) and spec.shape[0] > 0:
            return int(spec.shape[0])
    return None


def calibration_batches(
    path: Path, specs: Sequence[InputSpec], batch: int = 8
) -> list[dict[str, np.ndarray]]:
    """The user's calibration samples split into batches the model takes."""
    arrays = {
        spec.name: _check_calibration(spec, array, path.name)
        for spec, array in zip(specs, _load_arrays(path, specs).values(), strict=True)
    }
    samples = {a.shape[0] for a in arrays.values()} if arrays else {0}
    if len(samples) != 1 or 0 in samples:
        raise OpscopeError(
            f"calibration arrays in {path.name} must hold the same number (>0) of samples"
        )
    count = samples.pop()
    step = _fixed_batch(specs) or min(batch, count)
    if count % step:
        raise OpscopeError(f"{path.name} holds {count} samples; the model takes batches of {step}")
    return [{n: a[i : i + step] for n, a in arrays.items()} for i in range(0, count, step)]


def generated_batches(
    specs: Sequence[InputSpec], count: int = 8, batch: int = 2, seed: int = 1000
) -> list[dict[str, np.ndarray]]:
    """Random calibration batches (the caller warns that real data would be better)."""
    from opscope.backend.inputs import random_inputs

    return [random_inputs(specs, seed=seed + i, batch=batch) for i in range(count)]
