"""Small real models made by their frameworks for the backend tests (seconds each)."""

from __future__ import annotations

from pathlib import Path

VOCAB = 50
TAGS = 4  # B, M, E, O
SEQ = 12


def onnx_tagger(path: Path) -> Path:
    """Embedding (Gather) -> MatMul -> Softmax, plus a dead Relu branch and a stray weight."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    table = numpy_helper.from_array(rng.standard_normal((VOCAB, 8)).astype(np.float32), "table")
    weight = numpy_helper.from_array(rng.standard_normal((8, TAGS)).astype(np.float32), "w")
    stray = numpy_helper.from_array(np.zeros(3, np.float32), "stray")
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["emb"], name="embed"),
        helper.make_node("MatMul", ["emb", "w"], ["logits"], name="project"),
        helper.make_node("Softmax", ["logits"], ["tags"], name="softmax", axis=-1),
        helper.make_node("Relu", ["emb"], ["dead"], name="dead_relu"),
        helper.make_node("Identity", ["dead"], ["dead2"], name="dead_identity"),
    ]
    graph = helper.make_graph(
        nodes,
        "tagger",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", SEQ])],
        [helper.make_tensor_value_info("tags", TensorProto.FLOAT, ["batch", SEQ, TAGS])],
        [table, weight, stray],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="opscope-tests"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _torch_cnn():
    import torch

    class SmallCNN(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.bn1 = torch.nn.BatchNorm2d(8)
            self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
            self.head = torch.nn.Linear(16, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.relu(self.bn1(self.conv1(x)))
            x = torch.relu(self.conv2(x))
            return self.head(x.mean(dim=(2, 3)))

    torch.manual_seed(0)
    model = SmallCNN().eval()
    with torch.no_grad():  # non-trivial batch-norm statistics
        model.bn1.running_mean.uniform_(-0.5, 0.5)
        model.bn1.running_var.uniform_(0.5, 2.0)
    return model, torch.randn(1, 3, 16, 16)


def torchscript_cnn(path: Path) -> Path:
    """A traced CNN saved with ``torch.jit.save`` (conv-BN-ReLU, strided conv, linear head)."""
    import torch

    model, example = _torch_cnn()
    torch.jit.save(torch.jit.trace(model, example), str(path))
    return path


def exported_cnn(path: Path) -> Path:
    """The same CNN as a ``torch.export`` program with a dynamic batch dimension."""
    import torch

    model, example = _torch_cnn()
    batch = torch.export.Dim("batch", min=1, max=64)
    program = torch.export.export(
        model, (example.expand(2, -1, -1, -1),), dynamic_shapes=({0: batch},)
    )
    torch.export.save(program, str(path))
    return path


def keras_bilstm_tagger(path: Path) -> Path:
    """Embedding -> Bidirectional(LSTM) -> Dense softmax over B/M/E/O tags, like an NER model."""
    import keras

    keras.utils.set_random_seed(0)
    ids = keras.Input((SEQ,), dtype="int32", name="ids")
    x = keras.layers.Embedding(VOCAB, 16, name="embed")(ids)
    x = keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True), name="bilstm")(x)
    tags = keras.layers.Dense(TAGS, activation="softmax", name="tags")(x)
    keras.Model(ids, tags, name="bmeo_tagger").save(str(path))
    return path


def multi_output_savedmodel(path: Path) -> Path:
    """A two-input, two-output ranking MLP (click and dwell heads) exported as a SavedModel."""
    import keras

    keras.utils.set_random_seed(0)
    user = keras.Input((6,), name="user")
    item = keras.Input((5,), name="item")
    shared = keras.layers.Dense(16, activation="relu")(keras.layers.Concatenate()([user, item]))
    click = keras.layers.Dense(8, activation="relu")(shared)
    click = keras.layers.Dense(1, activation="sigmoid", name="click")(click)
    dwell = keras.layers.Dense(8, activation="relu")(shared)
    dwell = keras.layers.Dense(1, name="dwell")(dwell)
    keras.Model([user, item], [click, dwell]).export(str(path), verbose=False)
    return path


def mxnet_cnn(folder: Path) -> Path:
    """A hybridized Gluon CNN exported to ``cnn-symbol.json`` + ``cnn-0000.params``."""
    import numpy as np

    if "bool" not in np.__dict__:
        np.bool = bool  # mxnet 1.9.1 on numpy >= 1.24
    import mxnet as mx
    from mxnet.gluon import nn

    mx.random.seed(0)
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(8, 3, padding=1),
        nn.BatchNorm(),
        nn.Activation("relu"),
        nn.MaxPool2D(2),
        nn.Conv2D(16, 3, padding=1),
        nn.Activation("relu"),
        nn.GlobalAvgPool2D(),
        nn.Flatten(),
        nn.Dense(10),
    )
    net.initialize(mx.init.Xavier())
    net.hybridize()
    net(mx.nd.random.normal(shape=(1, 3, 16, 16)))
    folder.mkdir(parents=True, exist_ok=True)
    net.export(str(folder / "cnn"), epoch=0)
    return folder / "cnn-symbol.json"
