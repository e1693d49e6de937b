"""Auto mode on the models that motivate opscope, against each framework's eager latency.

Builds, in-process: a Bi-LSTM NER tagger, a small BERT-like encoder and a small CNN
(PyTorch), a multi-output TensorFlow ranking MLP served for one output, and an MXNet
hybridized CNN. Each is exported to ONNX, optimized with ``--auto`` (timed), and then the
eager original and the chosen model are measured interleaved in one run. The tolerance is
5% of the output's largest magnitude. The last line printed is one JSON object.

    python benchmarks/model_suite.py [--only cnn,bert] [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.optimize.bench import measure_interleaved, onnx_session, session_runner
from opscope.backend.optimize.pipeline import OptimizeOptions, optimize_model

Built = tuple[Path, dict[str, np.ndarray], Callable[[], Any], str, tuple[str, ...]]


def _torch_export(module: Any, example: Any, target: Path, input_name: str) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example,),
            str(target),
            input_names=[input_name],
            output_names=["y"],
            dynamic_axes={input_name: {0: "batch"}},
            dynamo=False,
        )


def _torch_built(module: Any, example: Any, folder: Path, name: str, input_name: str) -> Built:
    import torch

    module.eval()
    target = folder / f"{name}.onnx"
    _torch_export(module, example, target, input_name)

    def eager() -> Any:
        with torch.inference_mode():
            return module(example)

    return target, {input_name: example.numpy()}, eager, "pytorch", ()


def bilstm_tagger(folder: Path) -> Built:
    import torch
    from torch import nn

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(5000, 256)
            self.lstm = nn.LSTM(256, 256, batch_first=True, bidirectional=True)
            self.out = nn.Linear(512, 9)

        def forward(self, ids):
            return self.out(self.lstm(self.embed(ids))[0])

    torch.manual_seed(0)
    ids = torch.randint(0, 5000, (32, 64))
    return _torch_built(Tagger(), ids, folder, "bilstm", "ids")


def bert_like(folder: Path) -> Built:
    import torch
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(1000, 256)
            layer = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)
            self.head = nn.Linear(256, 10)

        def forward(self, ids):
            return self.head(self.encoder(self.embed(ids)))

    torch.manual_seed(0)
    ids = torch.randint(0, 1000, (8, 128))
    return _torch_built(Encoder(), ids, folder, "bert_like", "ids")


def small_cnn(folder: Path) -> Built:
    import torch
    from torch import nn

    torch.manual_seed(0)
    layers: list[nn.Module] = []
    channels = [3, 32, 64, 128, 128]
    for cin, cout in zip(channels, channels[1:], strict=False):
        layers += [nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return _torch_built(model, torch.randn(8, 3, 128, 128), folder, "cnn", "x")


def tf_ranker(folder: Path) -> Built:
    import tensorflow as tf
    import tf2onnx

    tf.keras.utils.set_random_seed(0)
    x = tf.keras.Input(shape=(256,), name="features")
    trunk = tf.keras.layers.Dense(512, activation="relu")(x)
    trunk = tf.keras.layers.Dense(256, activation="relu")(trunk)
    score = tf.keras.layers.Dense(1, name="score")(
        tf.keras.layers.Dense(128, activation="relu")(trunk)
    )
    aux = tf.keras.layers.Dense(64, name="aux")(
        tf.keras.layers.Dense(512, activation="relu")(trunk)
    )
    model = tf.keras.Model(x, [score, aux])
    target = folder / "ranker.onnx"
    spec = (tf.TensorSpec((None, 256), tf.float32, name="features"),)
    tf2onnx.convert.from_keras(model, input_signature=spec, output_path=str(target))
    import onnx

    outputs = [o.name for o in onnx.load(str(target)).graph.output]
    features = np.random.default_rng(0).standard_normal((64, 256)).astype(np.float32)
    tensor = tf.constant(features)
    return (
        target,
        {"features": features},
        lambda: model(tensor, training=False)[0],
        "tensorflow",
        (outputs[0],),
    )


def mxnet_cnn(folder: Path) -> Built:
    from opscope.backend.convert import ConvertOptions, convert_model
    from opscope.backend.models import InputSpec
    from opscope.backend.models.mxnet_model import _import_mxnet

    mx = _import_mxnet()
    from mxnet.gluon import nn

    net = nn.HybridSequential()
    for channels in (32, 64, 128):
        net.add(nn.Conv2D(channels, 3, strides=2, padding=1), nn.BatchNorm(), nn.Activation("relu"))
    net.add(nn.GlobalAvgPool2D(), nn.Dense(10))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = mx.nd.random.normal(shape=(8, 3, 64, 64))
    net(x)
    net.export(str(folder / "mxcnn"))
    target = folder / "mxcnn.onnx"
    spec = InputSpec("data", "float32", (8, 3, 64, 64))
    convert_model(folder / "mxcnn-symbol.json", target, ConvertOptions(inputs=(spec,)))
    import onnx

    name = onnx.load(str(target)).graph.input[0].name

    def eager() -> Any:
        out = net(x)
        out.wait_to_read()
        return out

    return target, {name: x.asnumpy()}, eager, "mxnet", ()


SUITE = {
    "bilstm": bilstm_tagger,
    "bert_like": bert_like,
    "cnn": small_cnn,
    "tf_ranker": tf_ranker,
    "mxnet_cnn": mxnet_cnn,
}


def first_output(value: Any) -> np.ndarray:
    """The first output of an eager call as numpy (PyTorch, TensorFlow or MXNet arrays)."""
    if isinstance(value, list | tuple):
        value = value[0]
    for method in ("asnumpy", "numpy"):
        if hasattr(value, method):
            return np.asarray(getattr(value, method)())
    return np.asarray(value)


def run_model(name: str, folder: Path, runs: int) -> dict[str, Any]:
    path, inputs, eager, framework, keep = SUITE[name](folder)
    npz = folder / f"{name}_inputs.npz"
    np.savez(npz, **inputs)
    reference = first_output(eager())
    tolerance = 0.05 * float(np.abs(np.asarray(reference, dtype=np.float64)).max())
    options = OptimizeOptions(
        auto=True, tolerance=tolerance, inputs_npz=str(npz), keep_outputs=keep, runs=runs
    )
    start = time.perf_counter()
    report = optimize_model(path, folder / f"{name}.opt.onnx", options, lambda f, m: None)
    auto_seconds = time.perf_counter() - start
    optimized = session_runner(onnx_session(folder / f"{name}.opt.onnx"), inputs)
    stats = measure_interleaved({"eager": eager, "optimized": optimized}, runs, 5)
    chosen = next(c for c in report["candidates"] if c["chosen"])
    return {
        "model": name,
        "framework": framework,
        "eager_ms": round(stats["eager"].p50, 3),
        "optimized_ms": round(stats["optimized"].p50, 3),
        "speedup": round(stats["eager"].p50 / stats["optimized"].p50, 3),
        "max_abs_diff": report["verify"]["max_abs_diff"],
        "top1_agreement": report["verify"]["top1_agreement"],
        "tolerance": tolerance,
        "passed": report["verify"]["passed"],
        "chosen": chosen["name"],
        "auto_seconds": round(auto_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated subset of " + ",".join(SUITE))
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(SUITE)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            row = run_model(name, Path(folder), args.runs)
            print(json.dumps(row), flush=True)
            rows.append(row)
    speedups = [r["speedup"] for r in rows]
    geomean = math.exp(sum(math.log(s) for s in speedups) / len(speedups))
    print(json.dumps({"models": rows, "geomean_speedup": round(geomean, 3)}))


if __name__ == "__main__":
    main()
