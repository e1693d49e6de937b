"""ONNX models: safe loading, the graph summary, and running in onnxruntime.

Every other framework converts to ONNX, so the functions here are also what the pipeline
uses on converted and optimized models (summarise, run, check external data).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.models.base import (
    ExportOptions,
    InputSpec,
    ModelAdapter,
    first_line,
    position_rows,
    user_errors,
)
from opscope.backend.models.providers import execution_providers
from opscope.backend.summary import (
    GraphSummary,
    OpKinds,
    OpNode,
    TensorInfo,
    consumed_tensors,
    count_nodes,
    path_size,
    used_nodes,
)
from opscope.errors import OpscopeError

ONNX_KINDS = OpKinds(
    const=frozenset({"Constant"}),
    identity=frozenset({"Identity"}),
)


def _all_tensors(graph: Any) -> Iterator[Any]:
    """Initializers and tensor attributes of ``graph`` and of its subgraphs."""
    yield from graph.initializer
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            for sub in [attr.g, *attr.graphs] if attr.HasField("g") else attr.graphs:
                yield from _all_tensors(sub)


def external_data_files(model: Any, folder: Path) -> list[Path]:
    """The external data files ``model`` reads, refusing any outside ``folder``.

    A model file names its external data by relative path; a crafted one could name
    ``../../home/user/.ssh/id_rsa`` or an absolute path, so only files inside the model's
    own folder are accepted.
    """
    from onnx import TensorProto

    root = folder.resolve()
    files: dict[Path, None] = {}
    for tensor in _all_tensors(model.graph):
        if tensor.data_location != TensorProto.EXTERNAL:
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = (root / location).resolve()
        if not location or Path(location).is_absolute() or not target.is_relative_to(root):
            raise OpscopeError(
                f"tensor {tensor.name!r} names external data outside the model's folder "
                f"({location!r}); opscope reads external data only beside the model"
            )
        if not target.is_file():
            raise OpscopeError(
                f"external data file {location!r} of tensor {tensor.name!r} is missing"
            )
        files[target] = None
    return list(files)


def load_onnx(path: Path, *, with_data: bool = False) -> Any:
    """Parse an ONNX file, checking its external data references first."""
    import onnx

    with user_errors("not a readable ONNX model"):
        model = onnx.load(str(path), load_external_data=False)
    if not model.HasField("graph") or model.ir_version <= 0:
        raise OpscopeError("not an ONNX model (no graph or IR version in the file)")
    files = external_data_files(model, path.parent)
    if with_data and files:
        from onnx.external_data_helper import load_external_data_for_model

        with user_errors("cannot read the external data"):
            load_external_data_for_model(model, str(path.parent))
    return model


def _np_dtype(elem_type: int) -> str:
    from onnx import helper

    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)).name
    except (KeyError, TypeError, ValueError):
        return "undefined"


def value_info(value: Any) -> TensorInfo:
    """An ONNX ValueInfoProto as a :class:`TensorInfo` (named dims stay names)."""
    tensor_type = value.type.tensor_type
    if not tensor_type.HasField("shape"):
        return TensorInfo(value.name, _np_dtype(tensor_type.elem_type), None)
    dims: list[int | str | None] = []
    for dim in tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(int(dim.dim_value))
        else:
            dims.append(dim.dim_param or None)
    return TensorInfo(value.name, _np_dtype(tensor_type.elem_type), tuple(dims))


def _subgraph_inputs(node: Any) -> tuple[str, ...]:
    """Outer-scope names a control-flow node's subgraphs read (they are inputs too)."""
    names: list[str] = []
    for attr in node.attribute:
        for graph in [attr.g] if attr.HasField("g") else attr.graphs:
            inner = {o for n in graph.node for o in n.output} | {i.name for i in graph.input}
            inner |= {t.name for t in graph.initializer}
            names.extend(i for n in graph.node for i in n.input if i and i not in inner)
            names.extend(i for n in graph.node for i in _subgraph_inputs(n) if i not in inner)
            names.extend(o.name for o in graph.output if o.name not in inner)
    return tuple(names)


def subgraph_op_counts(graph: Any) -> dict[str, int]:
    """Op counts of every node inside the control-flow subgraphs of ``graph``, nested too."""
    counts: Counter[str] = Counter()
    for node in graph.node:
        for attr in node.attribute:
            for inner in [attr.g] if attr.HasField("g") else attr.graphs:
                counts.update(n.op_type for n in inner.node)
                counts.update(subgraph_op_counts(inner))
    return dict(counts)


def op_nodes(graph: Any) -> list[OpNode]:
    """The graph's top-level nodes; unnamed nodes are named after their first output."""
    nodes = []
    for index, node in enumerate(graph.node):
        op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
        name = node.name or (node.output[0] if node.output else f"{op}_{index}")
        inputs = tuple(i for i in node.input if i) + _subgraph_inputs(node)
        nodes.append(OpNode(name, op, inputs, tuple(o for o in node.output if o)))
    return nodes


def tensor_elements(tensor: Any) -> int:
    return int(np.prod(tensor.dims, dtype=np.int64)) if tensor.dims else 1


def summarize_onnx(model: Any, size_bytes: int) -> GraphSummary:
    """The graph summary of an ONNX ``ModelProto`` (external data need not be loaded)."""
    from onnx import helper

    graph = model.graph
    summary = GraphSummary(format="onnx", size_bytes=size_bytes)
    nodes = op_nodes(graph)
    outputs = [o.name for o in graph.output]
    count_nodes(summary, nodes, outputs, ONNX_KINDS)
    initializer_names = {t.name for t in graph.initializer}
    summary.initializers = len(graph.initializer)
    summary.params = sum(tensor_elements(t) for t in graph.initializer)
    summary.param_bytes = sum(
        tensor_elements(t) * helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
        for t in graph.initializer
        if t.data_type != 0
    )
    read = consumed_tensors(nodes, used_nodes(nodes, outputs)) | set(outputs)
    summary.unused_initializers = [t.name for t in graph.initializer if t.name not in read]
    summary.inputs = [value_info(v) for v in graph.input if v.name not in initializer_names]
    summary.outputs = [value_info(v) for v in graph.output]
    summary.opset = next(
        (int(o.version) for o in model.opset_import if o.domain in ("", "ai.onnx")), None
    )
    summary.producer = f"{model.producer_name} {model.producer_version}".strip()
    summary.subgraph_op_counts = subgraph_op_counts(graph)
    return summary


def _index_ranges(graph: Any) -> dict[str, int]:
    """Inputs used as Gather indices into an initializer: valid ids are below its rows."""
    rows = {t.name: int(t.dims[0]) for t in graph.initializer if t.dims}
    ranges: dict[str, int] = {}
    for node in graph.node:
        if node.op_type == "Gather" and len(node.input) == 2 and node.input[0] in rows:
            index_input = node.input[1]
            limit = rows[node.input[0]]
            ranges[index_input] = min(limit, ranges.get(index_input, limit))
    return ranges


def onnx_input_specs(model: Any) -> list[InputSpec]:
    """The graph's real inputs (not initializers listed as inputs) with id ranges."""
    graph = model.graph
    initializer_names = {t.name for t in graph.initializer}
    ranges = _index_ranges(graph)
    longest = position_rows({t.name: tuple(t.dims) for t in graph.initializer})
    specs = []
    for value in graph.input:
        if value.name in initializer_names:
            continue
        info = value_info(value)
        specs.append(
            InputSpec(
                info.name, info.dtype, info.shape, high=ranges.get(info.name), max_length=longest
            )
        )
    return specs


def make_session(path: Path, *, threads: int | None = None, **config: str) -> Any:
    """An onnxruntime session (see :func:`execution_providers`); ``config`` entries become
    session config options."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    for key, value in config.items():
        options.add_session_config_entry(key, value)
    with user_errors("onnxruntime cannot load the model"):
        return ort.InferenceSession(str(path), options, providers=execution_providers())


def run_session(session: Any, inputs: dict[str, np.ndarray], outputs: list[str] | None = None):
    """Run an onnxruntime session; a failure is the model's or the inputs' fault."""
    try:
        return [np.asarray(v) for v in session.run(outputs, inputs)]
    except Exception as exc:
        raise OpscopeError(f"onnxruntime failed to run the model ({first_line(exc)})") from exc


class OnnxAdapter(ModelAdapter):
    """An ``.onnx`` file, run in onnxruntime."""

    format = "onnx"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.model = load_onnx(path)
        self._files = external_data_files(self.model, path.parent)
        self._session: Any = None

    def summary(self) -> GraphSummary:
        return summarize_onnx(self.model, path_size(self.path, *self._files))

    def input_specs(self) -> list[InputSpec]:
        return onnx_input_specs(self.model)

    def output_names(self) -> list[str]:
        return [o.name for o in self.model.graph.output]

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        if self._session is None:
            self._session = make_session(self.path)
        return run_session(self._session, inputs, self.output_names())

    def export_onnx(self, target: Path, specs: list[InputSpec], options: ExportOptions) -> None:
        """Copy the model, converted to ``options.opset`` when one is asked for."""
        import onnx

        model = load_onnx(self.path, with_data=True)
        if options.opset is not None:
            from onnx import version_converter

            with user_errors(f"cannot convert the model to opset {options.opset}"):
                model = version_converter.convert_version(model, options.opset)
        onnx.save(model, str(target))


def fit_ir_version(model: Any) -> None:
    """Lower the IR version to the least the model's opsets need.

    Exporters stamp the installed onnx package's newest IR version, which can be newer than
    onnxruntime reads, though nothing in the model needs it.
    """
    from onnx import helper

    needed = helper.find_min_ir_version_for(list(model.opset_import), ignore_unknown=True)
    if model.ir_version > needed:
        model.ir_version = needed


def drop_initializer_inputs(model: Any) -> None:
    """Remove weights listed as graph inputs (old exporters do this, e.g. MXNet's).

    onnxruntime treats such weights as overridable and will not constant-fold them.
    """
    graph = model.graph
    weights = {t.name for t in graph.initializer}
    if model.ir_version >= 4 and any(v.name in weights for v in graph.input):
        inputs = [v for v in graph.input if v.name not in weights]
        del graph.input[:]
        graph.input.extend(inputs)


def name_batch_axis(model: Any, name: str = "batch") -> None:
    """Call an unnamed or exporter-named (``unk__6``) leading dynamic axis ``batch``."""
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if not dims or dims[0].HasField("dim_value"):
            continue
        if not dims[0].dim_param or dims[0].dim_param.startswith("unk__"):
            dims[0].dim_param = name


def _rename_in_graph(graph: Any, mapping: dict[str, str]) -> None:
    for value in [*graph.input, *graph.output, *graph.value_info]:
        value.name = mapping.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [mapping.get(n, n) for n in node.input]
        node.output[:] = [mapping.get(n, n) for n in node.output]
        for attr in node.attribute:
            for sub in [attr.g] if attr.HasField("g") else attr.graphs:
                _rename_in_graph(sub, mapping)


def rename_io(model: Any, inputs: list[str], outputs: list[str]) -> None:
    """Name the graph's inputs and outputs as the original model named them.

    Exporters invent names (``Identity:0``, ``output_0``); keeping the original's names lets
    the user ask for outputs and pass ``.npz`` inputs by the names they know. A name that
    is already taken inside the graph is left alone.
    """
    graph = model.graph
    initializer_names = {t.name for t in graph.initializer}
    old_inputs = [v.name for v in graph.input if v.name not in initializer_names]
    old_outputs = [v.name for v in graph.output]
    taken = {n for node in graph.node for n in [*node.input, *node.output]} | initializer_names
    mapping: dict[str, str] = {}
    pairs = [*zip(old_inputs, inputs, strict=False), *zip(old_outputs, outputs, strict=False)]
    for old, new in pairs:
        if old != new and new not in taken and new not in mapping.values():
            mapping[old] = new
    if len(old_inputs) == len(inputs) and len(old_outputs) == len(outputs):
        _rename_in_graph(graph, mapping)


def keep_outputs(model: Any, names: list[str]) -> None:
    """Drop every graph output not in ``names``, then the nodes and weights only they used."""
    graph = model.graph
    available = [o.name for o in graph.output]
    missing = [n for n in names if n not in available]
    if missing:
        listed = ", ".join(available)
        raise OpscopeError(f"the model has no output {missing[0]!r} (outputs: {listed})")
    kept = [o for o in graph.output if o.name in names]
    del graph.output[:]
    graph.output.extend(kept)
    nodes = op_nodes(graph)
    used = used_nodes(nodes, names)
    live = [node for index, node in enumerate(graph.node) if index in used]
    del graph.node[:]
    graph.node.extend(live)
    read = consumed_tensors(op_nodes(graph), set(range(len(graph.node)))) | set(names)
    weights = [t for t in graph.initializer if t.name in read]
    del graph.initializer[:]
    graph.initializer.extend(weights)
