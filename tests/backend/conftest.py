"""Models built by the real frameworks, once per test session, in a session temp folder.

Each fixture imports its framework inside the fixture, so a test run that selects only the
ONNX tests never pays for TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import model_builders as builders
import numpy as np
import pytest


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def onnx_tagger(model_dir: Path) -> Path:
    """An ONNX embedding tagger with one dead branch and one unused initializer."""
    return builders.onnx_tagger(model_dir / "tagger.onnx")


@pytest.fixture(scope="session")
def torchscript_cnn(model_dir: Path) -> Path:
    return builders.torchscript_cnn(model_dir / "cnn.torchscript.pt")


@pytest.fixture(scope="session")
def exported_cnn(model_dir: Path) -> Path:
    return builders.exported_cnn(model_dir / "cnn.pt2")


@pytest.fixture(scope="session")
def keras_tagger(model_dir: Path) -> Path:
    return builders.keras_bilstm_tagger(model_dir / "tagger.keras")


@pytest.fixture(scope="session")
def keras_h5_tagger(model_dir: Path) -> Path:
    return builders.keras_bilstm_tagger(model_dir / "tagger.h5")


@pytest.fixture(scope="session")
def savedmodel_ranker(model_dir: Path) -> Path:
    return builders.multi_output_savedmodel(model_dir / "ranker_savedmodel")


@pytest.fixture(scope="session")
def mxnet_cnn(model_dir: Path) -> Path:
    return builders.mxnet_cnn(model_dir / "mxcnn")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
