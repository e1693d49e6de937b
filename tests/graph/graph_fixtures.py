"""Real models for the graph tests (and the graph GUI tests), built by their frameworks
once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

import model_builders as builders  # noqa: E402


@pytest.fixture(scope="session")
def graph_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graph-models")


@pytest.fixture(scope="session")
def onnx_tagger(graph_models: Path) -> Path:
    return builders.onnx_tagger(graph_models / "tagger.onnx")


def _encoder():
    import torch

    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, 2, 32, batch_first=True, dropout=0.0)
    return torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).eval()


@pytest.fixture(scope="session")
def scoped_onnx(graph_models: Path) -> Path:
    """A transformer encoder from torch's TorchScript-based exporter: scopes in node names."""
    import torch

    from opscope.backend.models.base import quiet_native_output

    path = graph_models / "encoder-names.onnx"
    with quiet_native_output():
        torch.onnx.export(_encoder(), (torch.randn(1, 5, 16),), str(path), dynamo=False)
    return path


@pytest.fixture(scope="session")
def dynamo_onnx(graph_models: Path) -> Path:
    """The same encoder from the dynamo exporter: flat names, scopes in ``namespace``."""
    import torch

    from opscope.backend.models.base import quiet_native_output

    path = graph_models / "encoder-dynamo.onnx"
    with quiet_native_output():
        torch.onnx.export(_encoder(), (torch.randn(1, 5, 16),), str(path), dynamo=True)
    return path


def legacy_onnx(model, example, path: Path, **options) -> Path:
    """``model`` exported by torch's TorchScript-based exporter, input ``input``, output
    ``logits`` (node names as users of that exporter see them)."""
    import torch

    from opscope.backend.models.base import quiet_native_output

    with quiet_native_output():
        torch.onnx.export(
            model,
            (example,),
            str(path),
            dynamo=False,
            input_names=["input"],
            output_names=["logits"],
            **options,
        )
    return path


@pytest.fixture(scope="session")
def cnn_onnx(graph_models: Path) -> Path:
    """A small CNN as ONNX, for quantization and profiling."""
    model, example = builders._torch_cnn()
    return legacy_onnx(model, example, graph_models / "cnn.onnx")


@pytest.fixture(scope="session")
def torchscript_cnn(graph_models: Path) -> Path:
    return builders.torchscript_cnn(graph_models / "cnn.pt")


@pytest.fixture(scope="session")
def exported_cnn(graph_models: Path) -> Path:
    return builders.exported_cnn(graph_models / "cnn.pt2")


@pytest.fixture(scope="session")
def keras_tagger(graph_models: Path) -> Path:
    return builders.keras_bilstm_tagger(graph_models / "tagger.keras")


@pytest.fixture(scope="session")
def savedmodel_ranker(graph_models: Path) -> Path:
    return builders.multi_output_savedmodel(graph_models / "ranker")


@pytest.fixture(scope="session")
def mxnet_cnn(graph_models: Path) -> Path:
    return builders.mxnet_cnn(graph_models / "mxnet")


@pytest.fixture(scope="session")
def wide_onnx(graph_models: Path) -> Path:
    """3,000 nodes in 30 named blocks of 10 layers: large enough to open collapsed."""
    import onnx
    from onnx import TensorProto, helper

    nodes, previous = [], "x"
    for i in range(3000):
        block, layer = divmod(i, 100)
        name = f"/blocks.{block}/layer.{layer // 10}/Relu_{i}"
        nodes.append(helper.make_node("Relu", [previous], [f"t{i}"], name=name))
        previous = f"t{i}"
    graph = helper.make_graph(
        nodes,
        "wide",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT, ["n", 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = graph_models / "wide.onnx"
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="session")
def keras_cnn(graph_models: Path) -> Path:
    """A small Keras CNN (Conv-BN-ReLU, depthwise conv, dense head): its serving graph
    reads every weight through a resource Placeholder and a ReadVariableOp."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(8, 3, padding="same", use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(6.0),
            keras.layers.DepthwiseConv2D(3, padding="same"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10),
        ]
    )
    path = graph_models / "cnn.keras"
    model.save(str(path))
    return path
