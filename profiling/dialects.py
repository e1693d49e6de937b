"""What each profiler's Chrome-trace dialect means by an operator, and by its op type.

A trace holds more than operators: PyTorch writes its own profiler span and Python frames,
ONNX Runtime the session and the fences around each kernel, MXNet its C API calls,
TensorFlow the executor's TraceMe scopes. All of them stay on the timeline, but the per-op
table counts operators only (``Trace.is_op``), so its percentages answer "which operator
costs the time" and not "how long was the profiler on":

* PyTorch: ``cpu_op`` events (the aten op is the name), and kernels and copies on devices.
* ONNX Runtime: ``Node`` events named ``<node>_kernel_time``; the type is ``args.op_name``.
* OpenVINO (``backend/runtimes/openvino_profile.py``, its per-layer performance counters laid
  out in ONNX Runtime's shape): the same ``Node`` events, one per executed layer; the trace
  says it is OpenVINO's by a category of its own, ``openvino``, on its first (process name)
  event, since OpenVINO writes no trace of its own to recognise.
* MXNet: ``operator`` events, named by the operator.
* TensorFlow (xprof): op events, which carry ``args.long_name`` = ``op_name:op_type``; the op
  name becomes the slice name and the type its op.
* Any other Chrome trace: every slice (we know nothing better).

Self time follows each profiler's own definition, checked against the framework's numbers
(``tests/profiling/test_trace_fidelity.py``, ``test_xspace_fidelity.py``):

* TensorFlow: an op's self time is its duration minus the time of the nearest *ops* nested
  in it, as xprof's ``framework_op_stats`` computes it; the runtime's non-op slices inside an
  op (``ParallelFor``, ``ThreadpoolListener::Region``, ``ExecutorState::Process``) are the
  op's own work (:data:`SELF_TIME_AMONG_OPERATORS`).
* PyTorch, ONNX Runtime, OpenVINO, MXNet and plain Chrome traces: duration minus the direct
  children on the same lane, whatever they are (PyTorch's ``self_cpu_time_total`` subtracts
  child ``cpu_op`` events, and a ``cpu_op`` holds only ``cpu_op`` children; ONNX Runtime's and
  MXNet's operators hold no children, so self equals total, as in their own tables; OpenVINO's
  layers are laid end to end inside their run's slice, so a layer's self time is its counter's
  ``real_time``, and an op type's the counters' sum).
"""

from __future__ import annotations

import msgspec
import numpy as np

from opscope.profiling import chrome_events as ce

OPERATOR_CATEGORIES = {
    "pytorch": {"cpu_op", "kernel", "gpu_memcpy", "gpu_memset"},
    "mxnet": {"operator"},
}
SELF_TIME_AMONG_OPERATORS = {"tensorflow"}  # formats whose op self time skips non-op slices
_PYTORCH_KEYS = {"baseTimeNanoseconds", "schemaVersion", "deviceProperties", "distributedInfo"}
_PYTORCH_CATEGORIES = {"cpu_op", "python_function", "user_annotation", "kernel", "cuda_runtime"}
OPENVINO_CATEGORY = "openvino"  # the writer's marker (see the module doc)
_NODE_EVENTS = {"onnxruntime", "openvino"}  # dialects whose ops are ``Node`` kernel events


class _OnnxArgs(msgspec.Struct):
    op_name: str = ""


class _TfArgs(msgspec.Struct):
    long_name: str = ""


_onnx_args = msgspec.json.Decoder(_OnnxArgs)
_tf_args = msgspec.json.Decoder(_TfArgs)


SNIFF_BYTES = 1 << 20
EAGER_PREFIX = "EagerLocalExecute: "


def looks_like_xprof(head: bytes) -> bool:
    """xprof's trace viewer JSON (what TensorBoard shows, and TF 2.0-2.2 saved as
    ``<host>.trace.json.gz``): TF devices as process names, graph ops with ``long_name`` =
    "op_name:op_type", eager ops as ``EagerLocalExecute: <op>``."""
    tf_device = b'"name": "/host:' in head or b'"name": "/device:' in head
    return tf_device and (b'"long_name"' in head or EAGER_PREFIX.encode() in head)


def detect(
    categories: set[str], envelope_keys: set[str], has_begin: bool, bare: bool, xprof: bool
) -> str:
    """The dialect of a file, from its first chunk's categories and its top-level keys."""
    if xprof:
        return "tensorflow"
    if _PYTORCH_KEYS & envelope_keys or _PYTORCH_CATEGORIES & categories:
        return "pytorch"
    if "operator" in categories and has_begin:
        return "mxnet"
    if bare and categories & {"Node", "Session"}:
        return "openvino" if OPENVINO_CATEGORY in categories else "onnxruntime"
    return "chrome"


def _onnx_ops(events: list[ce.Event], op: np.ndarray, is_op: np.ndarray, ops: ce.Interner):
    for i, event in enumerate(events):
        if event.cat == "Node" and len(event.args) and event.name.endswith("_kernel_time"):
            try:
                op_name = _onnx_args.decode(event.args).op_name
            except msgspec.DecodeError:
                continue
            if op_name:
                op[i] = ops[op_name]
                is_op[i] = True


def _tensorflow_ops(
    events: list[ce.Event],
    op: np.ndarray,
    is_op: np.ndarray,
    name: np.ndarray,
    interners: tuple[ce.Interner, ce.Interner],
) -> None:
    names, ops = interners
    for i, event in enumerate(events):
        if event.ph == "X" and event.name.startswith(EAGER_PREFIX):
            # an eagerly executed op (no graph, so no long_name): host-side op events;
            # a call of a tf.function ("__inference_f_12") is not an op: its ops are
            op_type = event.name[len(EAGER_PREFIX) :]
            if not op_type.startswith("__"):
                op[i] = ops[op_type]
                is_op[i] = True
        elif event.ph == "X" and len(event.args):
            try:
                long_name = _tf_args.decode(event.args).long_name
            except msgspec.DecodeError:
                continue
            op_name, _, op_type = long_name.rpartition(":")
            if op_name:
                name[i] = names[op_name]
                op[i] = ops[op_type or event.name]
                is_op[i] = True


def op_columns(
    flavor: str,
    events: list[ce.Event],
    cols: ce.EventColumns,
    names: ce.Interner,
    ops: ce.Interner,
    categories: ce.Interner,
) -> tuple[np.ndarray, np.ndarray]:
    """Op-type id and is-operator flag of each event; may rename TensorFlow events."""
    unique_names, inverse = np.unique(cols.name, return_inverse=True)
    names_table = names.table()
    op = np.fromiter((ops[names_table[i]] for i in unique_names.tolist()), np.int32)[inverse]
    if flavor in OPERATOR_CATEGORIES:
        wanted = [categories[c] for c in OPERATOR_CATEGORIES[flavor] if c in categories]
        is_op = np.isin(cols.category, np.asarray(wanted, np.int32))
    else:
        is_op = np.full(cols.name.size, flavor == "chrome")
    if flavor in _NODE_EVENTS:
        _onnx_ops(events, op, is_op, ops)
    elif flavor == "tensorflow":
        _tensorflow_ops(events, op, is_op, cols.name, (names, ops))
    return op, is_op
