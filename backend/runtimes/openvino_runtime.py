"""OpenVINO on the CPU: read ONNX or IR, compile with explicit properties, run, save IR.

The same ONNX file can run several times faster in OpenVINO than in onnxruntime on one CPU
and slower on another (bf16 on AMX, INT8 kernels, its own fusions), so auto mode measures it
rather than assuming. What a model was measured with (precision hint, latency hint,
threads) is part of the result: the exported IR records those properties in its runtime
info, and :func:`saved_properties` reads them back to compile it the same way.

Files are read through the ONNX frontend or the IR reader only, never by OpenVINO's
"try every frontend" path, which would hand an unknown file to its TensorFlow and PaddlePaddle
parsers (and print their complaints).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.inputs import InputSpec
from opscope.errors import OpscopeError

RUNTIME = "openvino"
DEVICE = "CPU"
# opscope's precision names -> OpenVINO's INFERENCE_PRECISION_HINT values
PRECISION_HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}
# the OPTIMIZATION_CAPABILITIES entry a CPU must list for a precision to run natively
CAPABILITIES = {"bf16": "BF16", "fp16": "FP16"}
RT_INFO_PATH = ["opscope", "compile_properties"]
RunOnce = Callable[[], list[np.ndarray]]  # as bench.RunOnce: one call, its outputs


def missing_reason() -> str | None:
    """Why OpenVINO cannot run here (the package is missing or broken), or None."""
    try:
        import openvino  # noqa: F401
    except Exception as exc:  # an ImportError, or a broken native library
        return f"OpenVINO is not available ({type(exc).__name__}: {exc}); pip install openvino"
    return None


@functools.cache
def core() -> Any:
    """One ``ov.Core`` per process, with the CPU plugin's own logging off."""
    import openvino as ov

    instance = ov.Core()
    with contextlib.suppress(Exception):
        instance.set_property(DEVICE, {"LOG_LEVEL": "LOG_NONE"})
    return instance


def short_error(exc: BaseException) -> str:
    """OpenVINO's exceptions list the C++ call stack ("Exception from src/...") before the
    cause; the last line is the cause."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


@contextlib.contextmanager
def openvino_errors(what: str) -> Iterator[None]:
    """Any OpenVINO failure as an :class:`OpscopeError` ``"<what> (<cause>)"``."""
    try:
        yield
    except OpscopeError:
        raise
    except Exception as exc:
        raise OpscopeError(f"{what} ({short_error(exc)})") from None


def cpu_precisions() -> tuple[str, ...]:
    """fp32, and bf16 / fp16 where the CPU plugin lists them in OPTIMIZATION_CAPABILITIES
    (bf16 needs AVX-512 BF16 or AMX; asked for elsewhere, OpenVINO quietly runs f32)."""
    with openvino_errors("OpenVINO cannot query the CPU"):
        listed = set(core().get_property(DEVICE, "OPTIMIZATION_CAPABILITIES"))
    return ("fp32", *(p for p, cap in CAPABILITIES.items() if cap in listed))


def read_model(path: Path) -> Any:
    """An ``ov.Model`` from an ONNX file or an IR ``.xml`` (with its ``.bin`` beside it)."""
    suffix = path.suffix.lower()
    if suffix == ".xml":
        weights = path.with_suffix(".bin")
        if not weights.is_file():
            raise OpscopeError(f"OpenVINO IR {path.name} has no weights file {weights.name}")
        with openvino_errors("OpenVINO cannot read the IR"):
            return core().read_model(str(path), str(weights))
    if suffix != ".onnx":
        raise OpscopeError(f"OpenVINO runs .onnx and .xml (IR) files, not {path.name}")
    import openvino as ov

    from opscope.backend.models.onnx_model import load_onnx

    load_onnx(path)  # refuses external data outside the model's folder before OpenVINO reads
    with openvino_errors("OpenVINO cannot read the ONNX model"):
        frontend = ov.frontend.FrontEndManager().load_by_framework("onnx")
        model = frontend.convert(frontend.load(str(path)))
        if share_direction_activations(model):
            model.validate_nodes_and_infer_types()
        return model


RNN_SEQUENCES = ("LSTMSequence", "GRUSequence", "RNNSequence")


def share_direction_activations(model: Any) -> int:
    """Give each bidirectional RNN layer one activation list for both directions where
    its ONNX node spelled out the same list twice; the number of layers changed.

    tf2onnx writes a Keras Bi-LSTM's activations per direction (six names, the defaults
    twice); OpenVINO's CPU plugin runs such an LSTM as a TensorIterator loop of cells
    instead of its RNN kernel, about 3x slower (a 256-wide Bi-LSTM tagger: 22 ms against
    7.5 ms in bf16). The two spellings compute the same thing.
    """
    changed = 0
    for op in model.get_ordered_ops():
        if op.get_type_name() not in RNN_SEQUENCES:
            continue
        shared = _shared_lists(op.get_attributes())
        if shared:
            for key, values in shared.items():
                op.set_attribute(key, values)
            changed += 1
    return changed


def _shared_lists(attributes: Mapping[str, Any]) -> dict[str, list] | None:
    """A bidirectional layer's activation lists (names, alphas, betas) cut to their first
    half, where each is the same list twice; None where any is not, or none is given."""
    if attributes.get("direction") != "bidirectional":
        return None
    halves = {}
    for key in ("activations", "activations_alpha", "activations_beta"):
        values = list(attributes.get(key) or [])
        half = len(values) // 2
        if len(values) % 2 or values[:half] != values[half:]:
            return None
        halves[key] = values[:half]
    return halves if halves["activations"] else None


def compile_properties(
    precision: str, threads: int | None = None, rest: str = "fp32"
) -> dict[str, str]:
    """The CPU plugin properties a candidate is compiled and measured with.

    ``precision`` is fp32 / bf16 / fp16, or int8 (an NNCF model: its quantized layers run in
    INT8 whatever the hint, the rest in ``rest``). LATENCY: one request at a time, as timed.
    """
    hint = PRECISION_HINTS.get(rest if precision == "int8" else precision, "f32")
    properties = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"}
    if threads:
        properties["INFERENCE_NUM_THREADS"] = str(int(threads))
    return properties


def compile_model(model: Any, properties: Mapping[str, str], *, profiling: bool = False) -> Any:
    """``model`` (an ``ov.Model``) compiled for the CPU with ``properties``."""
    config = dict(properties) | ({"PERF_COUNT": "YES"} if profiling else {})
    with openvino_errors("OpenVINO cannot compile the model"):
        return core().compile_model(model, DEVICE, config)


def port_names(ports: Any, known: Collection[str] = ()) -> list[str]:
    """A name for each port: one of ``known`` where the port's tensor carries it, else its
    ``any_name``. A tensor can carry several names once OpenVINO fuses layers (a MatMul
    and its bias Add: both outputs' names), and ``any_name`` is then either of them."""
    return [
        next((name for name in sorted(port.get_names()) if name in known), port.any_name)
        for port in ports
    ]


def input_names(compiled: Any, known: Collection[str] = ()) -> list[str]:
    return port_names(compiled.inputs, known)


def output_names(compiled: Any, known: Collection[str] = ()) -> list[str]:
    return port_names(compiled.outputs, known)


def infer_runner(compiled: Any, inputs: Mapping[str, np.ndarray]) -> RunOnce:
    """One synchronous call of ``compiled`` on the inputs it takes; returns its outputs in
    order, as copies (as onnxruntime's ``run`` does, so timings compare)."""
    names = input_names(compiled, inputs.keys())
    missing = [name for name in names if name not in inputs]
    if missing:
        raise OpscopeError(f"no input data for {', '.join(missing)}")
    feed = {name: inputs[name] for name in names}
    request = compiled.create_infer_request()

    def run() -> list[np.ndarray]:
        with openvino_errors("OpenVINO failed to run the model"):
            return list(request.infer(feed, share_inputs=True).to_tuple())

    return run


def save_ir(model: Any, target: Path, properties: Mapping[str, str]) -> list[Path]:
    """Write ``model`` as IR (``target`` .xml and its .bin) with ``properties`` in its
    runtime info. Weights keep their precision (OpenVINO would compress them to f16 by
    default, which is not the model that was measured)."""
    import openvino as ov

    xml = target.with_suffix(".xml")
    clone = model.clone()
    for key, value in properties.items():
        clone.set_rt_info(str(value), [*RT_INFO_PATH, key])
    with openvino_errors("OpenVINO cannot save the IR"):
        ov.save_model(clone, str(xml), compress_to_fp16=False)
    return [xml, xml.with_suffix(".bin")]


def saved_properties(model: Any) -> dict[str, str]:
    """The compile properties an IR written by :func:`save_ir` was measured with."""
    if not model.has_rt_info(RT_INFO_PATH):
        return {}
    entries = model.get_rt_info(RT_INFO_PATH).astype(dict)
    return {key: value.astype(str) for key, value in entries.items()}


def load_for_run(path: Path, threads: int | None = None, precision: str = "fp32"):
    """(model, compiled model) for ``bench`` and ``profile``: an IR with its recorded
    properties (threads from the caller win), an ONNX file with ``precision``."""
    model = read_model(path)
    properties = saved_properties(model) or compile_properties(precision)
    if threads:
        properties["INFERENCE_NUM_THREADS"] = str(int(threads))
    return model, compile_model(model, properties)


def input_specs(model: Any) -> list[InputSpec]:
    """The inputs of an ``ov.Model`` (an IR records no id ranges: ids are generated small)."""
    specs = []
    for port in model.inputs:
        shape = port.get_partial_shape()
        dims = (
            tuple(d.get_length() if d.is_static else None for d in shape)
            if shape.rank.is_static
            else None
        )
        dtype = np.dtype(port.get_element_type().to_dtype()).name
        specs.append(InputSpec(port.any_name, dtype, dims))
    return specs


def run_precision(model: Any, compiled: Any) -> str:
    """What a compiled model computes in: int8 when NNCF quantized it (FakeQuantize layers),
    else its inference precision (fp32 / bf16 / fp16)."""
    if any(op.get_type_name() == "FakeQuantize" for op in model.get_ops()):
        return "int8"
    hint = compiled.get_property("INFERENCE_PRECISION_HINT")
    name = hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint)
    return {v: k for k, v in PRECISION_HINTS.items()}.get(name, name)


def comparable_ops(model: Any) -> list[str]:
    """The names of ``model``'s ops whose first output is an f32 tensor computed from the
    inputs (no constants, parameters or results): what float and quantized models share."""
    import openvino as ov

    skip = {"Constant", "Parameter", "Result"}
    return [
        op.get_friendly_name()
        for op in model.get_ordered_ops()
        if op.get_type_name() not in skip
        and op.get_output_size()
        and op.get_output_element_type(0) == ov.Type.f32
    ]


def intermediate_outputs(
    model: Any, batches: list[Mapping[str, np.ndarray]], names: list[str]
) -> dict[str, np.ndarray]:
    """The first output of each op of ``model`` named in ``names``, over ``batches``
    (flattened and joined), computed with the f32 hint (an NNCF model's quantized layers
    still run in INT8)."""
    clone = model.clone()
    ops = {op.get_friendly_name(): op for op in clone.get_ordered_ops()}
    wanted = [name for name in dict.fromkeys(names) if name in ops]
    with openvino_errors("OpenVINO cannot expose the intermediate outputs"):
        clone.add_outputs([ops[name].output(0) for name in wanted])
    # where each op's output is: an op that already wrote a model output keeps that one
    index = {}
    for position, port in enumerate(clone.outputs):
        source = port.get_node().input(0).get_source_output()
        if source.get_index() == 0:
            index.setdefault(source.get_node().get_friendly_name(), position)
    request = compile_model(clone, compile_properties("fp32")).create_infer_request()
    collected: dict[str, list[np.ndarray]] = {name: [] for name in wanted if name in index}
    for batch in batches:
        feed = {name: batch[name] for name in port_names(clone.inputs, batch.keys())}
        with openvino_errors("OpenVINO failed to run the model"):
            values = request.infer(feed).to_tuple()
        for name, parts in collected.items():
            parts.append(np.ravel(values[index[name]]).copy())
    return {name: np.concatenate(parts) for name, parts in collected.items()}
