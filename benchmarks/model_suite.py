"""Auto mode on the models that motivate opscope, against each framework's serving path.

Builds, in-process: a Bi-LSTM NER tagger, a small BERT-like encoder and a small CNN
(PyTorch, measured under ``inference_mode``), a multi-output TensorFlow ranking MLP served
for one output and a Keras Bi-LSTM NER tagger (both measured through their compiled
``tf.function`` serving signature; eager Keras is reported beside it, labelled), and an
MXNet hybridized CNN. Each is exported to ONNX, optimized with ``--auto`` across runtimes
(timed), and then the original's serving path and the chosen model, in the runtime it was
chosen for, are measured interleaved in one run. The tolerance is 5% of the output's
largest magnitude. Each model's line gives the fastest passing onnxruntime and OpenVINO
candidates of the auto run (``ort_best_ms``, ``ov_best_ms``) and how close the choice came
to the fastest passing candidate of any runtime (``chosen_vs_fastest``); a runtime whose
candidates auto mode's quick round all left out (clearly slower) gives their quick-round
best; ``decided`` / ``remeasured`` say whether auto's measurement could tell its contenders
apart, and after how many re-measurements. The last line
printed is one JSON object; ``geomean_speedup_compute`` leaves out the TF ranking MLP,
whose baseline is dominated by per-call overhead.

    python benchmarks/model_suite.py [--only cnn,bert_like] [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.machine import cpu_flags
from opscope.backend.optimize.bench import (
    RunOnce,
    measure_interleaved,
    onnx_session,
    session_runner,
)
from opscope.backend.optimize.pipeline import optimize_model
from opscope.progress import ignore_progress

OVERHEAD_BOUND = {"tf_ranker"}  # baselines dominated by per-call overhead


@dataclass(frozen=True)
class Built:
    """A suite model: its ONNX export, inputs, its framework's serving call, the outputs
    it is served for, and (TensorFlow) its eager call, reported beside, labelled."""

    path: Path
    inputs: dict[str, np.ndarray]
    serve: Callable[[], Any]
    framework: str
    keep: tuple[str, ...] = ()
    eager: Callable[[], Any] | None = None


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

    def serve() -> Any:
        with torch.inference_mode():
            return module(example)

    return Built(target, {input_name: example.numpy()}, serve, "pytorch")


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
    serve = tf.function(lambda t: model(t, training=False)[0], input_signature=spec)
    concrete = serve.get_concrete_function()
    return Built(
        target,
        {"features": features},
        lambda: concrete(tensor),
        "tensorflow",
        (outputs[0],),
        lambda: model(tensor, training=False)[0],
    )


def keras_bilstm_tagger(folder: Path) -> Built:
    """The seed's own model: embedding 256, one Bi-LSTM of 256, 9 BMEO tags, batch 32 x 64."""
    import tensorflow as tf
    import tf2onnx

    tf.keras.utils.set_random_seed(0)
    ids = tf.keras.Input(shape=(64,), dtype="int32", name="ids")
    hidden = tf.keras.layers.Embedding(5000, 256)(ids)
    hidden = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(256, return_sequences=True))(hidden)
    model = tf.keras.Model(ids, tf.keras.layers.Dense(9)(hidden))
    target = folder / "keras_bilstm.onnx"
    spec = (tf.TensorSpec((None, 64), tf.int32, name="ids"),)
    tf2onnx.convert.from_keras(model, input_signature=spec, output_path=str(target))
    values = np.random.default_rng(0).integers(0, 5000, (32, 64)).astype(np.int32)
    tensor = tf.constant(values)
    concrete = tf.function(
        lambda t: model(t, training=False), input_signature=spec
    ).get_concrete_function()
    return Built(
        target,
        {"ids": values},
        lambda: concrete(tensor),
        "keras",
        eager=lambda: model(tensor, training=False),
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

    def serve() -> Any:  # the hybridized network: its cached graph
        out = net(x)
        out.wait_to_read()
        return out

    return Built(target, {name: x.asnumpy()}, serve, "mxnet")


SUITE = {
    "bilstm": bilstm_tagger,
    "bert_like": bert_like,
    "cnn": small_cnn,
    "tf_ranker": tf_ranker,
    "keras_bilstm": keras_bilstm_tagger,
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


def _best(
    candidates: list[dict[str, Any]], runtime: str | None = None, key: str = "latency_ms_p50"
) -> float | None:
    """The fastest passing candidate's p50 (of ``runtime``, or any), from the auto run's
    full measurement (``key``: or its quick round)."""
    times = [
        c[key]
        for c in candidates[1:]
        if c["passed"] and c.get(key) and runtime in (None, c.get("runtime"))
    ]
    return round(min(times), 3) if times else None


def _runtime_best(candidates: list[dict[str, Any]], runtime: str) -> float | None:
    """``runtime``'s fastest passing candidate in the full measurement; where the quick
    round left all of them out of it (clearly slower), their quick-round best."""
    full = _best(candidates, runtime)
    return full if full is not None else _best(candidates, runtime, "screen_ms_p50")


def chosen_runner(report: dict[str, Any], inputs: dict[str, np.ndarray]) -> RunOnce:
    """The exported model in the runtime it was chosen for, as a user would load it."""
    if report["runtime"] == "openvino":
        from opscope.backend.runtimes import openvino_runtime as ovr

        _, compiled = ovr.load_for_run(Path(report["output"]))
        return ovr.infer_runner(compiled, inputs)
    return session_runner(onnx_session(Path(report["output"])), inputs)


def run_model(
    name: str, folder: Path, runs: int, suite: dict[str, Callable[[Path], Built]] | None = None
) -> dict[str, Any]:
    """Build ``name`` (from ``suite``, by default this suite), auto-optimize it, and measure
    its framework's serving path against the chosen model; the model's JSON row."""
    built = (suite or SUITE)[name](folder)
    npz = folder / f"{name}_inputs.npz"
    np.savez(npz, **built.inputs)
    reference = first_output(built.serve())
    tolerance = 0.05 * float(np.abs(np.asarray(reference, dtype=np.float64)).max())
    options = OptimizeOptions(
        auto=True, tolerance=tolerance, inputs_npz=str(npz), keep_outputs=built.keep, runs=runs
    )
    start = time.perf_counter()
    report = optimize_model(built.path, folder / f"{name}.opt.onnx", options, ignore_progress)
    auto_seconds = time.perf_counter() - start
    variants = {"serve": built.serve, "optimized": chosen_runner(report, built.inputs)}
    if built.eager is not None:
        variants["eager"] = built.eager
    stats = measure_interleaved(variants, runs, 5)
    candidates = report["candidates"]
    chosen = next(c for c in candidates if c["chosen"])
    fastest = _best(candidates)
    row = {
        "model": name,
        "framework": framework_label(built),
        "eager_ms": round(stats["serve"].p50, 3),
        "optimized_ms": round(stats["optimized"].p50, 3),
        "speedup": round(stats["serve"].p50 / stats["optimized"].p50, 3),
        "runtime": report["runtime"],
        "precision": report["precision"],
        "ort_best_ms": _runtime_best(candidates, "onnxruntime"),
        "ov_best_ms": _runtime_best(candidates, "openvino"),
        "chosen_vs_fastest": (
            round(chosen["latency_ms_p50"] / fastest, 3)
            if fastest and chosen["latency_ms_p50"]
            else None
        ),
        "max_abs_diff": report["verify"]["max_abs_diff"],
        "top1_agreement": report["verify"]["top1_agreement"],
        "tolerance": tolerance,
        "passed": report["verify"]["passed"],
        "chosen": chosen["name"],
        "auto_seconds": round(auto_seconds, 1),
        "decided": (report.get("decision") or {}).get("decided", True),
        "remeasured": (report.get("decision") or {}).get("remeasured", 0),
    }
    if "eager" in stats:
        row["framework_eager_ms"] = round(stats["eager"].p50, 3)
    return row


def framework_label(built: Built) -> str:
    """The framework and the path its baseline (``eager_ms``) is measured through."""
    path = {"pytorch": "inference_mode", "mxnet": "hybridized"}.get(built.framework, "tf.function")
    return f"{built.framework} ({path})"


def _geomean(values: list[float]) -> float | None:
    return round(math.exp(sum(math.log(v) for v in values) / len(values)), 3) if values else None


def run_suite(
    names: list[str], runs: int, suite: dict[str, Callable[[Path], Built]]
) -> dict[str, Any]:
    """Each model's row, printed as it is measured, and the summary of them all."""
    load_start = [round(v, 2) for v in os.getloadavg()]  # other work shares the machine
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            row = run_model(name, Path(folder), runs, suite)
            print(json.dumps(row), flush=True)
            rows.append(row)
    return {
        "models": rows,
        "geomean_speedup": _geomean([r["speedup"] for r in rows]),
        "cpu_flags": cpu_flags(),
        "auto_seconds_max": max((r["auto_seconds"] for r in rows), default=None),
        "load_average_start": load_start,
        "load_average_end": [round(v, 2) for v in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated subset of " + ",".join(SUITE))
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(SUITE)
    summary = run_suite(names, args.runs, SUITE)
    compute = [r["speedup"] for r in summary["models"] if r["model"] not in OVERHEAD_BOUND]
    summary["geomean_speedup_compute"] = _geomean(compute)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
