"""Inputs to run a model on: generated within valid ranges, or read from the user's .npz.

Random inputs must be ones the model can take: integer ids below the embedding's vocabulary
size, concrete sizes for dynamic dimensions. A user's file is checked against the model's
inputs before anything runs, so a wrong shape is reported as such, not as a framework crash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from opscope.backend.models.base import InputSpec
from opscope.errors import OpscopeError

DEFAULT_BATCH = 2
DEFAULT_DYNAMIC_SIZE = 16
DEFAULT_INT_HIGH = 10


def concrete_shape(
    spec: InputSpec, batch: int = DEFAULT_BATCH, dynamic: int = DEFAULT_DYNAMIC_SIZE
) -> tuple[int, ...]:
    """The shape to generate: an unknown batch dim gets ``batch``, other unknowns ``dynamic``."""
    if spec.shape is None:
        raise OpscopeError(
            f"the model does not record the shape of input {spec.name!r}; "
            f"give it with --input {spec.name}:SHAPE:DTYPE (e.g. 1x3x224x224)"
        )
    return tuple(
        dim if isinstance(dim, int) and dim > 0 else (batch if axis == 0 else dynamic)
        for axis, dim in enumerate(spec.shape)
    )


def random_input(spec: InputSpec, rng: np.random.Generator, batch: int = DEFAULT_BATCH):
    """One random array for ``spec``: normal floats, integers in [low, high), random bools."""
    shape = concrete_shape(spec, batch)
    dtype = np.dtype(spec.dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if np.issubdtype(dtype, np.integer):
        high = int(spec.high) if spec.high is not None else DEFAULT_INT_HIGH
        return rng.integers(int(spec.low), max(high, int(spec.low) + 1), size=shape, dtype=dtype)
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(size=shape).astype(dtype)
    raise OpscopeError(f"cannot generate values of type {spec.dtype} for input {spec.name!r}")


def random_inputs(
    specs: Sequence[InputSpec], seed: int = 0, batch: int = DEFAULT_BATCH
) -> dict[str, np.ndarray]:
    """Reproducible random inputs for all of ``specs``."""
    rng = np.random.default_rng(seed)
    return {spec.name: random_input(spec, rng, batch) for spec in specs}


def _check_array(spec: InputSpec, array: np.ndarray) -> np.ndarray:
    if spec.shape is not None:
        fits = len(spec.shape) == array.ndim and all(
            not isinstance(d, int) or d <= 0 or d == n
            for d, n in zip(spec.shape, array.shape, strict=True)
        )
        if not fits:
            want = "x".join("?" if not isinstance(d, int) or d <= 0 else str(d) for d in spec.shape)
            raise OpscopeError(
                f"input {spec.name!r} has shape {'x'.join(map(str, array.shape))}, "
                f"the model takes {want}"
            )
    if not np.can_cast(array.dtype, np.dtype(spec.dtype), casting="same_kind"):
        raise OpscopeError(f"input {spec.name!r} holds {array.dtype}, the model takes {spec.dtype}")
    return array.astype(spec.dtype, copy=False)


def read_npz(path: str | Path, specs: Sequence[InputSpec]) -> dict[str, np.ndarray]:
    """The user's inputs from an ``.npz`` (by input name, or ``arr_0``, ``arr_1``… in order)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as exc:
        raise OpscopeError(f"cannot read inputs from {Path(path).name}: {exc}") from None
    positional = all(re.fullmatch(r"arr_\d+", key) for key in arrays)
    result = {}
    for index, spec in enumerate(specs):
        key = f"arr_{index}" if positional else spec.name
        if key not in arrays:
            raise OpscopeError(f"{Path(path).name} has no array for input {spec.name!r}")
        result[spec.name] = _check_array(spec, arrays[key])
    return result


def parse_input_option(text: str) -> InputSpec:
    """``NAME:SHAPE:DTYPE`` (shape like ``1x3x224x224``, ``?`` or ``-1`` for dynamic)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise OpscopeError(
            f"--input {text!r}: expected NAME:SHAPE[:DTYPE], e.g. x:1x3x224x224:float32"
        )
    dims: list[int | str | None] = []
    for item in parts[1].lower().split("x") if parts[1] else []:
        if item in ("?", "-1", "n", "none"):
            dims.append(None)
        elif item.isdigit():
            dims.append(int(item))
        else:
            raise OpscopeError(f"--input {text!r}: {item!r} is not a dimension")
    dtype = parts[2] if len(parts) == 3 else "float32"
    try:
        dtype = np.dtype(dtype).name
    except TypeError:
        raise OpscopeError(f"--input {text!r}: {dtype!r} is not a data type") from None
    return InputSpec(parts[0], dtype, tuple(dims))


def apply_overrides(specs: list[InputSpec], overrides: Sequence[InputSpec]) -> list[InputSpec]:
    """The model's inputs with the shapes and dtypes the user gave replacing the recorded ones.

    An override may name an input the model does not record (TorchScript and MXNet files
    keep no input list the way ONNX does); when the model records none, the overrides are
    the inputs.
    """
    if not specs:
        return list(overrides)
    by_name = {spec.name: spec for spec in overrides}
    unknown = set(by_name) - {spec.name for spec in specs}
    if unknown:
        names = ", ".join(spec.name for spec in specs)
        raise OpscopeError(f"the model has no input {sorted(unknown)[0]!r} (inputs: {names})")
    return [
        replace(spec, shape=by_name[spec.name].shape, dtype=by_name[spec.name].dtype)
        if spec.name in by_name
        else spec
        for spec in specs
    ]
