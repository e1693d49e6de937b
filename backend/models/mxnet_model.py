"""MXNet models: ``NAME-symbol.json`` plus ``NAME-NNNN.params`` from ``HybridBlock.export``.

The symbol file is read as JSON data and checked (structure, known operators) before MXNet
sees it; the params file is MXNet's own binary NDArray format, not a pickle. mxnet 1.9.1
predates two removals in today's stack, so this module, and only this module, restores
numpy's ``np.bool`` alias and onnx's ``onnx.mapping`` module, in the job's process.
"""

from __future__ import annotations

import json
import re
import sys
import types
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from opscope.backend.models.base import ExportOptions, InputSpec, ModelAdapter, user_errors
from opscope.backend.summary import (
    GraphSummary,
    OpKinds,
    OpNode,
    TensorInfo,
    count_nodes,
    path_size,
)
from opscope.errors import OpscopeError

DEFAULT_OPSET = 13  # the newest opset mxnet 1.9.1's exporter has translations for
MXNET_KINDS = OpKinds()


def _import_mxnet() -> Any:
    """Import mxnet 1.9.1 on numpy >= 1.24 (it still uses the removed ``np.bool``)."""
    if "bool" not in np.__dict__:
        np.bool = bool  # type: ignore[attr-defined]
    import mxnet

    return mxnet


def _install_onnx_mapping() -> None:
    """Recreate ``onnx.mapping`` (removed from onnx) from onnx's current helpers."""
    import onnx
    from onnx import helper

    if "onnx.mapping" in sys.modules:
        return
    tensor_to_np: dict[int, np.dtype] = {}
    for code in onnx.TensorProto.DataType.values():
        try:
            tensor_to_np[code] = np.dtype(helper.tensor_dtype_to_np_dtype(code))
        except (KeyError, TypeError, ValueError):
            continue
    np_to_tensor: dict[np.dtype, int] = {}
    for code, dtype in tensor_to_np.items():
        np_to_tensor.setdefault(dtype, code)
    module = types.ModuleType("onnx.mapping")
    module.TENSOR_TYPE_TO_NP_TYPE = tensor_to_np  # type: ignore[attr-defined]
    module.NP_TYPE_TO_TENSOR_TYPE = np_to_tensor  # type: ignore[attr-defined]
    sys.modules["onnx.mapping"] = module
    onnx.mapping = module  # type: ignore[attr-defined]


def model_files(path: Path) -> tuple[Path, Path]:
    """The symbol file and the newest params file, from either one of them."""
    match = re.fullmatch(r"(.+)-(symbol\.json|\d{4}\.params)", path.name)
    if match is None:
        raise OpscopeError(
            f"{path.name} is not named NAME-symbol.json or NAME-NNNN.params as MXNet exports"
        )
    stem = match.group(1)
    symbol = path.with_name(f"{stem}-symbol.json")
    if not symbol.is_file():
        raise OpscopeError(f"the symbol file {symbol.name} is missing")
    if path.suffix == ".params":
        return symbol, path
    params = sorted(path.parent.glob(f"{glob_escape(stem)}-[0-9][0-9][0-9][0-9].params"))
    if not params:
        raise OpscopeError(f"the weights file {stem}-NNNN.params is missing")
    return symbol, params[-1]


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def read_symbol(path: Path) -> dict[str, Any]:
    """The symbol JSON, checked for the structure MXNet expects."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OpscopeError(f"{path.name} is not valid JSON ({exc})") from None
    nodes = data.get("nodes") if isinstance(data, dict) else None
    heads = data.get("heads") if isinstance(data, dict) else None
    valid = (
        isinstance(nodes, list)
        and isinstance(heads, list)
        and all(
            isinstance(n, dict)
            and isinstance(n.get("op"), str)
            and isinstance(n.get("inputs"), list)
            for n in nodes
        )
    )
    if not valid or not all(0 <= h[0] < len(nodes) for h in heads):
        raise OpscopeError(f"{path.name} is not an MXNet symbol file (nodes / heads malformed)")
    return data


def _parse_shape(text: str) -> tuple[int | None, ...]:
    """An MXNet ``__shape__`` attribute such as ``(0, 3, 224, 224)``; 0 means unknown."""
    dims = json.loads(text.replace("(", "[").replace(")", "]").replace(",]", "]"))
    return tuple(int(d) or None for d in dims)


def _param_name(key: str) -> str:
    return key.split(":", 1)[1] if key.startswith(("arg:", "aux:")) else key


def _producer(graph: dict[str, Any]) -> str:
    """``MXNet 1.9.1`` from the packed ``mxnet_version`` attribute (10901)."""
    version = graph.get("attrs", {}).get("mxnet_version", [None, None])[1]
    if not isinstance(version, int) or version <= 0:
        return "MXNet"
    return f"MXNet {version // 10000}.{version // 100 % 100}.{version % 100}"


class MXNetAdapter(ModelAdapter):
    """An exported MXNet symbol and its parameters, run as a ``SymbolBlock``."""

    format = "mxnet"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.symbol_path, self.params_path = model_files(path)
        self.graph = read_symbol(self.symbol_path)
        mx = _import_mxnet()
        known = set(mx.operator.get_all_registered_operators()) | {"null"}
        unknown = sorted({n["op"] for n in self.graph["nodes"]} - known)
        if unknown:
            raise OpscopeError(f"unsupported MXNet operator {unknown[0]!r}")
        with user_errors(f"{self.params_path.name} is not a readable MXNet params file"):
            loaded = mx.nd.load(str(self.params_path))
        if not isinstance(loaded, dict):
            raise OpscopeError(f"{self.params_path.name} holds no named parameters")
        self.params = {_param_name(k): v for k, v in loaded.items()}
        self._block: Any = None

    def _null_nodes(self) -> list[dict[str, Any]]:
        return [n for n in self.graph["nodes"] if n["op"] == "null"]

    def _head_names(self) -> list[str]:
        nodes = self.graph["nodes"]
        names = []
        for node_id, index, *_ in self.graph["heads"]:
            suffix = "" if index == 0 else str(index)
            names.append(f"{nodes[node_id]['name']}_output{suffix}")
        return names

    def summary(self) -> GraphSummary:
        nodes = self.graph["nodes"]
        # Weights and inputs are ``null`` nodes in MXNet: counted as variables and
        # placeholders below, like an ONNX graph's initializers and inputs, not as ops.
        op_nodes = [
            OpNode(
                n["name"], n["op"], tuple(nodes[i[0]]["name"] for i in n["inputs"]), (n["name"],)
            )
            for n in nodes
            if n["op"] != "null"
        ]
        summary = GraphSummary(format=self.format)
        heads = [nodes[h[0]]["name"] for h in self.graph["heads"]]
        count_nodes(summary, op_nodes, heads, MXNET_KINDS)
        referenced = {n["name"] for n in self._null_nodes()}
        summary.variable = sum(1 for name in referenced if name in self.params)
        summary.placeholder = len(referenced) - summary.variable
        arrays = list(self.params.values())
        summary.params = sum(int(a.size) for a in arrays)
        summary.param_bytes = sum(int(a.size) * np.dtype(a.dtype).itemsize for a in arrays)
        summary.initializers = len(arrays)
        summary.unused_initializers = sorted(set(self.params) - referenced)
        summary.inputs = [s.info for s in self.input_specs()]
        summary.outputs = [TensorInfo(n, "float32", None) for n in self.output_names()]
        summary.size_bytes = path_size(self.symbol_path, self.params_path)
        summary.producer = _producer(self.graph)
        return summary

    def input_specs(self) -> list[InputSpec]:
        """Null nodes without weights; shapes only where the symbol records ``__shape__``."""
        specs = []
        for node in self._null_nodes():
            if node["name"] in self.params:
                continue
            text = node.get("attrs", {}).get("__shape__")
            shape = _parse_shape(text) if text else None
            specs.append(InputSpec(node["name"], "float32", shape))
        return specs

    def output_names(self) -> list[str]:
        return self._head_names()

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        mx = _import_mxnet()
        names = [s.name for s in self.input_specs()]
        with warnings.catch_warnings(), user_errors("MXNet failed to run the model"):
            warnings.simplefilter("ignore")
            if self._block is None:
                self._block = mx.gluon.SymbolBlock.imports(
                    str(self.symbol_path), names, str(self.params_path), ctx=mx.cpu()
                )
                # hybridized (a cached graph), as a Gluon model is served
                self._block.hybridize(static_alloc=True)
            result = self._block(*[mx.nd.array(inputs[n], dtype=inputs[n].dtype) for n in names])
        return [r.asnumpy() for r in (result if isinstance(result, list | tuple) else [result])]

    def export_onnx(self, target: Path, specs: list[InputSpec], options: ExportOptions) -> None:
        """``mx.onnx.export_model`` at the requested opset (13 unless told otherwise)."""
        import onnx.defs

        from opscope.backend.inputs import concrete_shape

        mx = _import_mxnet()
        _install_onnx_mapping()
        opset = options.opset or DEFAULT_OPSET
        dynamic = [[None, *concrete_shape(s)[1:]] for s in specs] if options.dynamic_batch else None
        with (
            mock.patch.object(onnx.defs, "onnx_opset_version", lambda: opset),
            user_errors("mx.onnx.export_model failed"),
        ):
            mx.onnx.export_model(
                str(self.symbol_path),
                str(self.params_path),
                in_shapes=[concrete_shape(s) for s in specs],
                in_types=[np.dtype(s.dtype) for s in specs],
                onnx_file_path=str(target),
                dynamic=options.dynamic_batch,
                dynamic_input_shapes=dynamic,
            )
