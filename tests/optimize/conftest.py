"""Small real models for the optimization tests, built once per session by the frameworks."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest


def _export(module, example, target: Path, outputs: list[str]) -> Path:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example,),
            str(target),
            input_names=["x"],
            output_names=outputs,
            dynamic_axes={"x": {0: "batch"}},
            dynamo=False,
        )
    return target


def _cnn():
    import torch
    from torch import nn

    torch.manual_seed(0)

    def block(cin: int, cout: int) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()
        )

    model = nn.Sequential(
        block(3, 16), block(16, 32), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)
    ).eval()
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model


@pytest.fixture(scope="session")
def opt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("optimize-models")


@pytest.fixture(scope="session")
def cnn_onnx(opt_dir: Path) -> Path:
    """A conv-BN-ReLU classifier exported by torch.onnx with a dynamic batch axis."""
    import torch

    return _export(_cnn(), torch.randn(2, 3, 32, 32), opt_dir / "cnn.onnx", ["logits"])


@pytest.fixture(scope="session")
def cnn_pt2(opt_dir: Path) -> Path:
    """The CNN as a ``torch.export`` program (it records its input shapes)."""
    import torch

    target = opt_dir / "cnn.pt2"
    torch.export.save(torch.export.export(_cnn(), (torch.randn(2, 3, 32, 32),)), str(target))
    return target


@pytest.fixture(scope="session")
def cnn_torchscript(opt_dir: Path) -> Path:
    """The CNN traced and saved with torch.jit.save: the file records no input shapes."""
    import torch

    target = opt_dir / "cnn_ts.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(_cnn(), torch.randn(2, 3, 32, 32)), str(target))
    return target


@pytest.fixture(scope="session")
def two_head_onnx(opt_dir: Path) -> Path:
    """A ranking-like model with two output heads, each with its own layers."""
    import torch
    from torch import nn

    class TwoHeads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.trunk = nn.Sequential(nn.Linear(16, 32), nn.ReLU())
            self.score = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
            self.aux = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 8))

        def forward(self, x):
            h = self.trunk(x)
            return self.score(h), self.aux(h)

    torch.manual_seed(1)
    return _export(
        TwoHeads().eval(), torch.randn(2, 16), opt_dir / "two_heads.onnx", ["score", "aux"]
    )


@pytest.fixture(scope="session")
def calib_npz(opt_dir: Path) -> Path:
    target = opt_dir / "calib.npz"
    rng = np.random.default_rng(5)
    np.savez(target, x=rng.standard_normal((16, 3, 32, 32)).astype(np.float32))
    return target


@pytest.fixture(scope="session")
def keras_ranker(opt_dir: Path) -> Path:
    """A multi-output Keras ranking MLP saved as a SavedModel."""
    import tensorflow as tf

    inputs = tf.keras.Input(shape=(32,), name="features")
    trunk = tf.keras.layers.Dense(64, activation="relu")(inputs)
    score = tf.keras.layers.Dense(1, name="score")(
        tf.keras.layers.Dense(32, activation="relu")(trunk)
    )
    aux = tf.keras.layers.Dense(8, name="aux")(tf.keras.layers.Dense(64, activation="relu")(trunk))
    model = tf.keras.Model(inputs, {"score": score, "aux": aux})
    target = opt_dir / "ranker_savedmodel"
    model.export(str(target), verbose=False)
    return target


@pytest.fixture(scope="session")
def keras_bilstm_onnx(opt_dir: Path) -> Path:
    """A small Keras Bi-LSTM tagger converted by tf2onnx (its LSTM lists its activations
    once per direction)."""
    import tensorflow as tf
    import tf2onnx

    tf.keras.utils.set_random_seed(0)
    ids = tf.keras.Input(shape=(12,), dtype="int32", name="ids")
    hidden = tf.keras.layers.Embedding(50, 16)(ids)
    hidden = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(8, return_sequences=True))(hidden)
    model = tf.keras.Model(ids, tf.keras.layers.Dense(4)(hidden))
    target = opt_dir / "keras_bilstm.onnx"
    spec = (tf.TensorSpec((None, 12), tf.int32, name="ids"),)
    tf2onnx.convert.from_keras(model, input_signature=spec, output_path=str(target))
    return target


@pytest.fixture(scope="session")
def inverse_onnx(opt_dir: Path) -> Path:
    """A model onnxruntime runs and OpenVINO cannot read: MatMul, onnxruntime's contrib
    ``com.microsoft.Inverse`` (no OpenVINO conversion rule), MatMul."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(7)
    w1 = rng.standard_normal((4, 4)).astype(np.float32) * 0.3
    w2 = rng.standard_normal((4, 4)).astype(np.float32)
    eye = (np.eye(4, dtype=np.float32) * 4.0)[None]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="mm1"),
        helper.make_node("Add", ["h", "eye"], ["a"], name="shift"),
        helper.make_node("Inverse", ["a"], ["inv"], name="inverse", domain="com.microsoft"),
        helper.make_node("MatMul", ["inv", "w2"], ["y"], name="mm2"),
    ]
    graph = helper.make_graph(
        nodes,
        "inverse",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 4])],
        [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (w2, "w2"), (eye, "eye"))],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    target = opt_dir / "inverse.onnx"
    onnx.save(helper.make_model(graph, opset_imports=opsets, ir_version=8), str(target))
    return target


@pytest.fixture(scope="session")
def encoder_onnx(opt_dir: Path) -> Path:
    """A tiny BERT-like encoder (embedding, 2 attention layers, a head): onnxruntime's
    transformer fusions apply to it, so auto mode builds its fused INT8 variants."""
    import torch
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(100, 32)
            layer = nn.TransformerEncoderLayer(32, 2, 64, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(32, 5)

        def forward(self, ids):
            return self.head(self.encoder(self.embed(ids)))

    torch.manual_seed(2)
    target = opt_dir / "encoder.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder().eval(),
            (torch.randint(0, 100, (2, 16)),),
            str(target),
            input_names=["ids"],
            output_names=["logits"],
            dynamic_axes={"ids": {0: "batch"}},
            dynamo=False,
        )
    return target
