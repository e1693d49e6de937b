"""Inputs to run a model on: generated within valid ranges, or read from the user's .npz.

Random inputs must be ones the model can take: integer ids below the embedding's vocabulary
size, concrete sizes for dynamic dimensions. A user's file is checked against the model's
inputs before anything runs, so a wrong shape is reported as such, not as a framework crash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from opscope.backend.contracts.models import GeneratedInput
from opscope.backend.summary import TensorInfo
from opscope.errors import OpscopeError

DEFAULT_BATCH = 2
DEFAULT_SEQUENCE = 128  # a typical sentence batch; capped by the model's own maximum
DEFAULT_IMAGE_SIZE = 224
DEFAULT_INT_HIGH = 10
MASK_NAME = re.compile(r"mask", re.IGNORECASE)
POSITION_NAME = re.compile(r"position_ids|pos_ids", re.IGNORECASE)


@dataclass(frozen=True)
class InputSpec:
    """A model input and the range valid values come from.

    ``high`` bounds integer inputs that index something (token ids below an embedding's
    vocabulary size), so generated inputs are ones the model can actually take.
    ``max_length`` is the longest sequence the model takes (its position table's rows),
    which caps the size generated for a dynamic sequence axis.
    """

    name: str
    dtype: str
    shape: tuple[int | str | None, ...] | None
    low: float = 0.0
    high: float | None = None
    max_length: int | None = None

    @property
    def info(self) -> TensorInfo:
        return TensorInfo(self.name, self.dtype, self.shape)


def dynamic_size(spec: InputSpec, axis: int) -> int:
    """The size generated for a dynamic non-batch axis: what the model meets in use.

    Image-like float inputs (rank 4) get 224 pixels; any other axis is a sequence, 128 long
    or the model's maximum (``max_length``) when that is shorter.
    """
    rank = len(spec.shape or ())
    if rank == 4 and np.issubdtype(np.dtype(spec.dtype), np.floating):
        return DEFAULT_IMAGE_SIZE
    return min(spec.max_length or DEFAULT_SEQUENCE, DEFAULT_SEQUENCE)


def _suggestion(spec: InputSpec, batch: int) -> str:
    integer = np.issubdtype(np.dtype(spec.dtype), np.integer)
    shape = f"{batch}x{DEFAULT_SEQUENCE}" if integer else f"{batch}x3x224x224"
    return f"{spec.name}:{shape}:{spec.dtype}"


def concrete_shape(spec: InputSpec, batch: int = DEFAULT_BATCH) -> tuple[int, ...]:
    """The shape to generate: an unknown batch dim gets ``batch``, others :func:`dynamic_size`."""
    if spec.shape is None:
        raise OpscopeError(
            f"the model does not record the shape of input {spec.name!r}; give it with "
            f"--input {spec.name}:SHAPE:DTYPE (e.g. --input {_suggestion(spec, batch)})"
        )
    return tuple(
        dim
        if isinstance(dim, int) and dim > 0
        else (batch if axis == 0 else dynamic_size(spec, axis))
        for axis, dim in enumerate(spec.shape)
    )


def _mask(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """An attention mask as tokenizers make one: 1 up to each row's length, then 0 (padding).

    The first row is full length; the others end at random lengths of at least one token.
    """
    if len(shape) < 2 or shape[-1] < 1:
        return np.ones(shape, np.int64)
    lengths = rng.integers(1, shape[-1] + 1, size=shape[:-1])
    lengths.reshape(-1)[0] = shape[-1]
    return (np.arange(shape[-1]) < lengths[..., None]).astype(np.int64)


def value_kind(spec: InputSpec) -> str:
    """What values are generated for ``spec``: mask, bool, position, integer or float."""
    dtype = np.dtype(spec.dtype)
    if MASK_NAME.search(spec.name) and (dtype.kind in "biuf"):
        return "mask"
    if dtype == np.bool_:
        return "bool"
    if np.issubdtype(dtype, np.integer):
        return "position" if POSITION_NAME.search(spec.name) else "integer"
    if np.issubdtype(dtype, np.floating):
        return "float"
    raise OpscopeError(f"cannot generate values of type {spec.dtype} for input {spec.name!r}")


def integer_range(spec: InputSpec) -> tuple[int, int]:
    """[low, high) of generated integers: the embedding's vocabulary where it is known."""
    high = int(spec.high) if spec.high is not None else DEFAULT_INT_HIGH
    return int(spec.low), max(high, int(spec.low) + 1)


def random_input(spec: InputSpec, rng: np.random.Generator, batch: int = DEFAULT_BATCH):
    """One plausible array for ``spec``.

    Masks (by name) are 0/1 with padding at the end, position ids count up, other integers
    span [low, high) (the whole vocabulary of the embedding they index), floats are normal.
    """
    shape = concrete_shape(spec, batch)
    dtype = np.dtype(spec.dtype)
    kind = value_kind(spec)
    if kind == "mask":
        return _mask(shape, rng).astype(dtype)
    if kind == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if kind == "position" and shape:
        return np.broadcast_to(np.arange(shape[-1], dtype=dtype), shape).copy()
    if kind in ("integer", "position"):
        low, high = integer_range(spec)
        return rng.integers(low, high, size=shape, dtype=dtype)
    return rng.standard_normal(size=shape).astype(dtype)


def generated_values(spec: InputSpec) -> str:
    """The values :func:`random_input` draws for ``spec``, in words."""
    try:
        kind = value_kind(spec)
    except OpscopeError as exc:
        return str(exc)
    if kind == "integer":
        low, high = integer_range(spec)
        known = "" if spec.high is not None else " (the model records no range)"
        return f"integers in [{low}, {high}){known}"
    return {
        "mask": "attention mask: 1s, then 0s for padding",
        "bool": "random booleans",
        "position": "position ids 0, 1, 2, ...",
        "float": "standard normal floats",
    }[kind]


def generated_input(spec: InputSpec, batch: int = DEFAULT_BATCH) -> GeneratedInput:
    """What a run without the user's inputs feeds ``spec``; no shape when the model records
    none (``values`` then says how to give one)."""
    try:
        shape: list[int] | None = list(concrete_shape(spec, batch))
        values = generated_values(spec)
    except OpscopeError as exc:
        shape, values = None, str(exc)
    return GeneratedInput(name=spec.name, dtype=spec.dtype, shape=shape, values=values)


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
