"""PyTorch: TorchScript and torch.export programs, inspected, converted and verified."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from opscope.backend.convert import ConvertOptions, convert_model
from opscope.backend.inputs import parse_input_option
from opscope.backend.inspect import inspect_model
from opscope.backend.jobs import JobSpec, run_job
from opscope.cli import main as opscope_main
from opscope.errors import OpscopeError

pytestmark = pytest.mark.slow


def test_torchscript_summary(torchscript_cnn: Path) -> None:
    data = inspect_model(torchscript_cnn).to_dict()
    assert data["format"] == "torchscript"
    ops = data["op_counts"]
    assert ops["aten::_convolution"] == 2 and ops["aten::batch_norm"] == 1
    assert ops["aten::linear"] == 1
    assert data["const"] == ops["prim::Constant"] and data["variable"] == ops["prim::GetAttr"]
    assert data["inputs"] == [{"name": "x", "dtype": "float32", "shape": None}]
    # conv1 w+b, bn w+b+mean+var+count, conv2 w+b, head w+b
    assert data["initializers"] == 11
    assert data["params"] == 8 * 27 + 8 + 4 * 8 + 1 + 16 * 72 + 16 + 160 + 10
    assert data["unused_nodes"] == []


def test_torchscript_convert_needs_a_shape(torchscript_cnn: Path, tmp_path: Path) -> None:
    out = tmp_path / "cnn.onnx"
    with pytest.raises(OpscopeError, match=r"cannot convert .*--input x:SHAPE"):
        convert_model(torchscript_cnn, out, ConvertOptions())
    assert not out.exists()


def test_torchscript_convert_verifies(torchscript_cnn: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cnn.onnx"
    argv = ["convert", str(torchscript_cnn), "-o", str(out), "--input", "x:?x3x16x16", "--json"]
    assert opscope_main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    verify = report["verify"]
    assert verify["passed"] and verify["allclose"] and verify["max_abs_diff"] < 1e-4
    assert verify["top1_agreement"] == 1.0
    assert report["before"]["format"] == "torchscript" and report["after"]["format"] == "onnx"
    model = onnx.load(str(out))
    assert [i.name for i in model.graph.input] == ["x"]
    assert [o.name for o in model.graph.output] == ["output_0"]
    assert report["after"]["op_counts"].get("Conv", 0) >= 1
    batch = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert not batch.HasField("dim_value")  # dynamic batch axis
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn.onnx"]


def test_exported_program_summary(exported_cnn: Path) -> None:
    data = inspect_model(exported_cnn).to_dict()
    assert data["format"] == "torch-export"
    assert data["op_counts"]["aten.conv2d.default"] == 2
    assert data["placeholder"] == 1 and data["variable"] == 11
    [x] = data["inputs"]
    assert x["name"] == "x" and x["dtype"] == "float32" and x["shape"][1:] == [3, 16, 16]
    assert isinstance(x["shape"][0], str)  # the program's dynamic batch
    assert data["outputs"][0]["shape"][1] == 10


def test_exported_program_convert_job(exported_cnn: Path, tmp_path: Path) -> None:
    messages: list[tuple[float, str]] = []
    params = {"path": str(exported_cnn), "output": str(tmp_path / "ep.onnx"), "opset": 18}
    report = run_job(JobSpec("convert_model", params), lambda s, f, m: messages.append((f, m)))
    assert report.verify.passed
    assert report.after.opset == 18
    assert messages[0][0] == 0.0 and messages[-1][0] == 1.0


def test_input_option_parsing() -> None:
    spec = parse_input_option("ids:?x12:int64")
    assert (spec.name, spec.shape, spec.dtype) == ("ids", (None, 12), "int64")
    with pytest.raises(OpscopeError):
        parse_input_option("x:1xbig")


def test_mismatched_input_shape_names_the_cause(torchscript_cnn: Path, tmp_path: Path) -> None:
    out = tmp_path / "bad.onnx"
    options = ConvertOptions(inputs=(parse_input_option("x:1x5x16x16"),))
    with pytest.raises(OpscopeError, match=r"cannot convert .*expected input\[1, 5, 16, 16\]"):
        convert_model(torchscript_cnn, out, options)
    assert list(tmp_path.iterdir()) == []
