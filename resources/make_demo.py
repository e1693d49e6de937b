"""Regenerate ``resources/demo/``: a small CNN and real profiler traces of it.

Every file is produced by the real framework (torch, onnxruntime, mxnet, tensorflow) so the
demo and the tests see exactly what users open. Run from the repository root::

    .venv/bin/python resources/make_demo.py [--only onnx,ort,torch,mxnet,tf]

Each framework runs in its own child process: importing tensorflow, torch and mxnet into
one interpreter works, but their thread pools and allocators then fight over two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEMO = Path(__file__).resolve().parent / "demo"
STEPS = 3
PARTS = ("onnx", "ort", "torch", "mxnet", "tf")


def _torch_cnn():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    ).eval()


def make_onnx(out: Path) -> None:
    import torch

    model = _torch_cnn()
    example = torch.randn(1, 3, 64, 64)
    torch.onnx.export(
        model,
        (example,),
        str(out / "model.onnx"),
        input_names=["input"],
        output_names=["logits"],
        opset_version=17,
        dynamo=False,
    )


def make_ort(out: Path) -> None:
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.enable_profiling = True
    options.intra_op_num_threads = 1
    with tempfile.TemporaryDirectory() as tmp:
        options.profile_file_prefix = str(Path(tmp) / "ort")
        session = ort.InferenceSession(
            str(out / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        x = np.random.default_rng(0).standard_normal((1, 3, 64, 64), dtype=np.float32)
        for _ in range(STEPS):
            session.run(None, {"input": x})
        shutil.move(session.end_profiling(), out / "onnxruntime_profile.json")


def make_torch(out: Path) -> None:
    import torch
    from torch.profiler import ProfilerActivity, profile

    model = _torch_cnn()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        model(x)
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for _ in range(STEPS):
                model(x)
    prof.export_chrome_trace(str(out / "pytorch_trace.json"))


def make_mxnet(out: Path) -> None:
    import numpy as np

    np.bool = bool  # mxnet 1.9 still uses the alias removed in numpy 1.24
    import mxnet as mx
    from mxnet.gluon import nn

    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(16, 3, padding=1),
        nn.BatchNorm(),
        nn.Activation("relu"),
        nn.MaxPool2D(2),
        nn.Conv2D(32, 3, padding=1),
        nn.Activation("relu"),
        nn.GlobalAvgPool2D(),
        nn.Flatten(),
        nn.Dense(10),
    )
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = mx.nd.random.uniform(shape=(1, 3, 64, 64))
    net(x).wait_to_read()
    profile_file = out / "mxnet_profile.json"
    mx.profiler.set_config(profile_all=True, aggregate_stats=True, filename=str(profile_file))
    mx.profiler.set_state("run")
    for _ in range(STEPS):
        net(x).wait_to_read()
    mx.nd.waitall()
    mx.profiler.set_state("stop")
    if os.environ.get("OPSCOPE_DEMO_REFERENCE"):  # the operator table the tests compare to
        (out / "mxnet_dumps.json").write_text(mx.profiler.dumps(format="json"))
    mx.profiler.dump()


def make_tf(out: Path) -> None:
    import numpy as np
    import tensorflow as tf

    inputs = tf.keras.Input((64, 64, 3), batch_size=1, name="input")
    x = tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = tf.keras.layers.MaxPooling2D()(x)
    x = tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    logits = tf.keras.layers.Dense(10, name="logits")(x)
    model = tf.keras.Model(inputs, logits)
    step = tf.function(lambda t: model(t, training=False))
    batch = tf.constant(np.random.default_rng(0).standard_normal((1, 64, 64, 3), np.float32))
    step(batch)
    logdir = out / "tensorflow_logdir"
    shutil.rmtree(logdir, ignore_errors=True)
    tf.profiler.experimental.start(str(logdir))
    for _ in range(STEPS):
        step(batch).numpy()
    tf.profiler.experimental.stop()


def _run_part(part: str, out: Path) -> None:
    {"onnx": make_onnx, "ort": make_ort, "torch": make_torch, "mxnet": make_mxnet, "tf": make_tf}[
        part
    ](out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--out", type=Path, default=DEMO, help="output folder")
    parser.add_argument("--part", help=argparse.SUPPRESS)  # child-process entry point
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.part:
        _run_part(args.part, args.out)
        return 0
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    for part in args.only.split(","):
        print(f"make_demo: {part}", flush=True)
        cmd = [sys.executable, __file__, "--part", part, "--out", str(args.out)]
        subprocess.run(cmd, check=True, env=env)
    sizes = {
        p.relative_to(args.out).as_posix(): p.stat().st_size
        for p in args.out.rglob("*")
        if p.is_file()
    }
    print(json.dumps({k: v for k, v in sorted(sizes.items()) if v}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
