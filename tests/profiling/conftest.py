"""Traces made by the real frameworks, once per test session, in a temporary folder.

``resources/make_demo.py`` runs each framework in its own child process (the same code that
makes the bundled demo), with ``OPSCOPE_DEMO_REFERENCE`` set so MXNet also writes its own
aggregate operator table for the fidelity tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def framework_traces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("framework_traces")
    env = dict(os.environ, OPSCOPE_DEMO_REFERENCE="1")
    subprocess.run(
        [sys.executable, str(ROOT / "resources" / "make_demo.py"), "--out", str(out)],
        check=True,
        env=env,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="session")
def ort_trace(framework_traces: Path) -> Path:
    return framework_traces / "onnxruntime_profile.json"


@pytest.fixture(scope="session")
def torch_trace(framework_traces: Path) -> Path:
    return framework_traces / "pytorch_trace.json"


@pytest.fixture(scope="session")
def mxnet_trace(framework_traces: Path) -> Path:
    return framework_traces / "mxnet_profile.json"


@pytest.fixture(scope="session")
def tf_logdir(framework_traces: Path) -> Path:
    return framework_traces / "tensorflow_logdir"


@pytest.fixture(scope="session")
def torch_training_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("torch_training") / "training_trace.json"
    script = Path(__file__).with_name("torch_training_trace.py")
    subprocess.run([sys.executable, str(script), str(target)], check=True, capture_output=True)
    return target


@pytest.fixture(scope="session")
def tf_xspace_logdirs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Logdirs ``bilstm``, ``cnn`` and ``while_loop`` by the real TF profiler (3 steps each)."""
    out = tmp_path_factory.mktemp("tf_xspace")
    script = Path(__file__).with_name("tf_xspace_traces.py")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    subprocess.run(
        [sys.executable, str(script), str(out)], check=True, env=env, capture_output=True
    )
    return out
