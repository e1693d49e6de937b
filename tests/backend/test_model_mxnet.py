"""MXNet: a hybridized Gluon CNN exported to symbol + params, inspected and converted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnx
import pytest

from opscope.backend.convert import ConvertOptions, convert_model
from opscope.backend.inputs import parse_input_option
from opscope.backend.inspect import inspect_model
from opscope.cli import main as opscope_main
from opscope.errors import OpscopeError

pytestmark = pytest.mark.slow


def test_mxnet_summary_from_symbol_or_params(mxnet_cnn: Path) -> None:
    data = inspect_model(mxnet_cnn).to_dict()
    assert data["format"] == "mxnet"
    assert data["op_counts"]["Convolution"] == 2 and data["op_counts"]["BatchNorm"] == 1
    assert data["op_counts"]["FullyConnected"] == 1
    assert data["placeholder"] == 1 and data["variable"] == 10
    assert data["inputs"] == [{"name": "data", "dtype": "float32", "shape": None}]
    assert data["params"] == 8 * 27 + 8 + 4 * 8 + 16 * 72 + 16 + 160 + 10
    assert data["unused_nodes"] == [] and data["unused_initializers"] == []
    params_file = mxnet_cnn.with_name("cnn-0000.params")
    assert data["size_bytes"] == mxnet_cnn.stat().st_size + params_file.stat().st_size
    assert inspect_model(params_file).to_dict() == data


def test_mxnet_converts_and_verifies(mxnet_cnn: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "mx.onnx"
    argv = ["convert", str(mxnet_cnn), "-o", str(out), "--input", "data:?x3x16x16", "--json"]
    assert opscope_main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verify"]["passed"] and report["verify"]["top1_agreement"] == 1.0
    assert report["after"]["opset"] == 13
    model = onnx.load(str(out))
    assert [i.name for i in model.graph.input] == ["data"]
    assert not model.graph.input[0].type.tensor_type.shape.dim[0].HasField("dim_value")


def test_mxnet_missing_params_file(mxnet_cnn: Path, tmp_path: Path) -> None:
    shutil.copy(mxnet_cnn, tmp_path / "cnn-symbol.json")
    with pytest.raises(OpscopeError, match=r"cannot open .*cnn-NNNN\.params is missing"):
        inspect_model(tmp_path / "cnn-symbol.json")


def test_mxnet_unknown_operator(mxnet_cnn: Path, tmp_path: Path) -> None:
    graph = json.loads(mxnet_cnn.read_text())
    graph["nodes"][-1]["op"] = "NotAnOperator"
    (tmp_path / "bad-symbol.json").write_text(json.dumps(graph))
    shutil.copy(mxnet_cnn.with_name("cnn-0000.params"), tmp_path / "bad-0000.params")
    with pytest.raises(OpscopeError, match="unsupported MXNet operator 'NotAnOperator'"):
        inspect_model(tmp_path / "bad-symbol.json")


def test_mxnet_mismatched_input_shape(mxnet_cnn: Path, tmp_path: Path) -> None:
    out = tmp_path / "bad.onnx"
    options = ConvertOptions(inputs=(parse_input_option("data:1x5x16x16"),))
    with pytest.raises(OpscopeError, match="cannot convert"):
        convert_model(mxnet_cnn, out, options)
    assert not out.exists() and list(tmp_path.iterdir()) == []
