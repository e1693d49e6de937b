"""TensorFlow: a Keras Bi-LSTM tagger (.keras and .h5) and a multi-output SavedModel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from opscope.backend.convert import ConvertOptions, convert_model
from opscope.backend.inspect import inspect_model
from opscope.backend.models import open_model
from opscope.cli import main as opscope_main

pytestmark = pytest.mark.slow


def test_keras_tagger_summary_saved_and_frozen(keras_tagger: Path) -> None:
    data = inspect_model(keras_tagger).to_dict()
    assert data["format"] == "keras"
    assert data["inputs"] == [{"name": "ids", "dtype": "int32", "shape": [None, 12]}]
    assert data["outputs"][0]["shape"] == [None, 12, 4]
    # embedding 50x16; two LSTMs of 4*8*(16+8+1); dense (16+1)*4
    assert data["params"] == 50 * 16 + 2 * 4 * 8 * (16 + 8 + 1) + 17 * 4
    assert data["variable"] > 0 and data["op_counts"].get("ReadVariableOp", 0) > 0
    frozen = data["frozen"]
    assert frozen["variable"] == 0 and frozen["params"] >= data["params"]
    assert "ReadVariableOp" not in frozen["op_counts"]
    assert data["op_counts"].get("While", 0) == 2  # the two LSTM directions


def test_keras_ids_stay_below_vocabulary(keras_tagger: Path) -> None:
    [spec] = open_model(keras_tagger).input_specs()
    assert spec.high == 50 and spec.dtype == "int32"


def test_keras_tagger_converts_and_verifies(keras_tagger: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "tagger.onnx"
    assert opscope_main(["convert", str(keras_tagger), "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verify"]["passed"] and report["verify"]["top1_agreement"] == 1.0
    assert report["after"]["inputs"][0] == {"name": "ids", "dtype": "int32", "shape": ["batch", 12]}
    assert [o["name"] for o in report["after"]["outputs"]] == ["tags"]
    assert report["after"]["op_counts"].get("LSTM", 0) >= 1


def test_keras_h5_opens_and_converts(keras_h5_tagger: Path, tmp_path: Path) -> None:
    data = inspect_model(keras_h5_tagger).to_dict()
    assert data["format"] == "keras-h5" and data["params"] > 0
    report = convert_model(keras_h5_tagger, tmp_path / "h5.onnx", ConvertOptions(opset=17))
    assert report["verify"]["passed"] and report["after"]["opset"] == 17


def test_savedmodel_summary(savedmodel_ranker: Path) -> None:
    data = inspect_model(savedmodel_ranker).to_dict()
    assert data["format"] == "tensorflow-savedmodel"
    assert {i["name"] for i in data["inputs"]} == {"user", "item"}
    assert [o["name"] for o in data["outputs"]] == ["output_0", "output_1"]
    assert data["params"] == (11 * 16 + 16) + 2 * (16 * 8 + 8) + 2 * (8 + 1)
    assert data["variable"] == 10 and data["placeholder"] == 2
    assert data["producer"].startswith("TensorFlow 2.")
    frozen = data["frozen"]
    assert frozen["variable"] == 0 and frozen["const"] >= 10
    assert frozen["params"] >= data["params"]  # weights are constants now
    assert data["size_bytes"] > 0


def test_savedmodel_converts_keeping_one_output(savedmodel_ranker: Path, tmp_path: Path) -> None:
    out = tmp_path / "ranker.onnx"
    options = ConvertOptions(keep_outputs=("output_0",))
    report = convert_model(savedmodel_ranker, out, options)
    assert report["verify"]["passed"] and report["verify"]["outputs"] == 1
    model = onnx.load(str(out))
    assert [o.name for o in model.graph.output] == ["output_0"]
    assert sorted(i.name for i in model.graph.input) == ["item", "user"]
    assert report["after"]["params"] < report["before"]["params"]  # the dwell head is gone


def test_savedmodel_verifies_on_user_inputs(savedmodel_ranker: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    npz = tmp_path / "inputs.npz"
    np.savez(npz, user=rng.random((4, 6), np.float32), item=rng.random((4, 5), np.float32))
    report = convert_model(
        savedmodel_ranker, tmp_path / "r.onnx", ConvertOptions(inputs_npz=str(npz))
    )
    assert report["verify"]["passed"] and report["verify"]["outputs"] == 2


def test_failed_verification_still_writes_and_exits_1(
    keras_tagger: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "strict.onnx"
    argv = ["convert", str(keras_tagger), "-o", str(out), "--rtol", "0", "--atol", "0"]
    assert opscope_main(argv) == 1
    text = capsys.readouterr().out
    assert "verification FAILED" in text and out.is_file()


def test_ops_inside_while_bodies_are_counted(keras_tagger: Path) -> None:
    """The LSTM cell runs inside the While loops' body functions, not at the top level."""
    data = inspect_model(keras_tagger).to_dict()
    assert data["op_counts"]["While"] == 2  # forward and backward directions
    inner = data["subgraph_op_counts"]
    assert inner["MatMul"] >= 4 and inner["Sigmoid"] >= 6 and inner["Tanh"] >= 4
    assert data["frozen"]["subgraph_op_counts"]["MatMul"] == inner["MatMul"]
