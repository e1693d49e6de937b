"""Hostile and broken inputs: refused with one line, no traceback, nothing written or run."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from opscope.backend.convert import ConvertOptions, convert_model
from opscope.backend.inspect import inspect_model
from opscope.cli import main as opscope_main
from opscope.errors import OpscopeError


class CreatesFile:
    """Unpickling this calls ``open(path, "w")``: proof that the pickle was executed."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_plain_pickle_is_refused_and_never_run(tmp_path: Path, capsys) -> None:
    marker = tmp_path / "pwned.txt"
    model = tmp_path / "model.pt"
    model.write_bytes(pickle.dumps(CreatesFile(marker)))
    assert opscope_main(["inspect", str(model)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"opscope: cannot open {model}: ") and "pickle" in err
    assert err.count("\n") == 1
    assert not marker.exists()


@pytest.mark.slow
def test_torch_save_pickle_is_refused_and_never_run(tmp_path: Path) -> None:
    import torch

    marker = tmp_path / "pwned.txt"
    model = tmp_path / "model.pth"
    torch.save({"weights": torch.zeros(2), "payload": CreatesFile(marker)}, model)
    with pytest.raises(OpscopeError, match="unpickling them can run arbitrary code"):
        inspect_model(model)
    assert not marker.exists()


@pytest.mark.slow
def test_torch_state_dict_is_explained(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "weights.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(OpscopeError, match="state_dict .*not a model graph"):
        inspect_model(path)


@pytest.mark.slow
def test_keras_lambda_layer_is_refused(tmp_path: Path) -> None:
    import keras

    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda x: x * 2.0)(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(str(path))
    with pytest.raises(OpscopeError, match=r"cannot open .*(safe_mode|Lambda)"):
        inspect_model(path)


def _truncated(source: Path, target: Path) -> Path:
    data = source.read_bytes() if source.is_file() else b""
    target.write_bytes(data[: len(data) // 2])
    return target


@pytest.mark.parametrize(
    "name, content",
    [
        ("empty.onnx", b""),
        ("garbage.onnx", bytes(range(256)) * 8),
        ("text.onnx", b"\x08 this is not a protobuf at all"),
        ("fake.keras", b"PK\x03\x04 not really a zip"),
        ("notes.json", b'{"hello": "world"}'),
    ],
)
def test_garbage_files(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(OpscopeError, match=f"cannot open {path}"):
        inspect_model(path)


def test_truncated_onnx(onnx_tagger: Path, tmp_path: Path) -> None:
    path = _truncated(onnx_tagger, tmp_path / "half.onnx")
    with pytest.raises(OpscopeError, match="cannot open"):
        inspect_model(path)


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["torchscript_cnn", "exported_cnn", "keras_tagger"])
def test_truncated_framework_files(request, tmp_path: Path, fixture: str) -> None:
    source: Path = request.getfixturevalue(fixture)
    path = _truncated(source, tmp_path / source.name)
    with pytest.raises(OpscopeError, match="cannot open"):
        inspect_model(path)


def test_content_wins_over_extension(onnx_tagger: Path, tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    path.write_bytes(onnx_tagger.read_bytes())
    assert inspect_model(path).format == "onnx"


def test_savedmodel_folder_without_variables(tmp_path: Path) -> None:
    folder = tmp_path / "broken_savedmodel"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"\x00garbage")
    with pytest.raises(OpscopeError, match="cannot open"):
        inspect_model(folder)


def test_unsupported_onnx_operator_cannot_convert(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("NoSuchOp", ["x"], ["y"], domain="example.custom")],
        "custom",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("example.custom", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    source = tmp_path / "custom.onnx"
    onnx.save(model, str(source))
    assert inspect_model(source).op_counts == {"example.custom.NoSuchOp": 1}
    out = tmp_path / "out" / "converted.onnx"
    with pytest.raises(OpscopeError, match="cannot convert .*onnxruntime cannot load"):
        convert_model(source, out, ConvertOptions())
    assert not out.parent.exists()


def test_npz_with_wrong_shape(onnx_tagger: Path, tmp_path: Path) -> None:
    npz = tmp_path / "inputs.npz"
    np.savez(npz, ids=np.zeros((2, 7), np.int64))
    out = tmp_path / "x.onnx"
    with pytest.raises(OpscopeError, match=r"input 'ids' has shape 2x7, the model takes \?x12"):
        convert_model(onnx_tagger, out, ConvertOptions(inputs_npz=str(npz)))
    assert not out.exists()


def test_output_onto_the_source_is_refused(onnx_tagger: Path) -> None:
    before = onnx_tagger.read_bytes()
    with pytest.raises(OpscopeError, match="would overwrite the model"):
        convert_model(onnx_tagger, onnx_tagger, ConvertOptions())
    assert onnx_tagger.read_bytes() == before


def test_onnx_convert_leaves_source_folder_alone(onnx_tagger: Path, tmp_path: Path) -> None:
    listing = sorted(os.listdir(onnx_tagger.parent))
    stamp = onnx_tagger.stat().st_mtime_ns
    report = convert_model(onnx_tagger, tmp_path / "copy.onnx", ConvertOptions(opset=18))
    assert report["verify"]["passed"] and report["verify"]["max_abs_diff"] == 0.0
    assert report["after"]["opset"] == 18
    assert sorted(os.listdir(onnx_tagger.parent)) == listing
    assert onnx_tagger.stat().st_mtime_ns == stamp


def _opscope(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opscope", *args], capture_output=True, text=True, cwd=cwd
    )


def test_cli_bad_file_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    out = tmp_path / "out.onnx"
    result = _opscope("convert", str(bad), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"opscope: cannot open {bad}: ")
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == "" and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_cli_imports_no_framework(tmp_path: Path) -> None:
    code = (
        "import sys, opscope.backend.cli, opscope.backend.inspect, opscope.backend.convert;"
        "import opscope.backend.models;"
        "print(sorted(m for m in ('torch','tensorflow','mxnet','tf2onnx','keras')"
        " if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_zip_that_is_no_model(tmp_path: Path) -> None:
    path = tmp_path / "archive.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(OpscopeError, match="not a Keras or PyTorch model"):
        inspect_model(path)
