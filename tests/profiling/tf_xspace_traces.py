"""Write TensorFlow profiler logdirs of three small programs (``tf_xspace_traces.py OUT [STEPS]``).

Run in a child process by the test fixture (tensorflow stays out of the test process) and by
``benchmarks/tf_trace_import.py`` (with many steps). Each program runs as a ``tf.function``
(how TF models are served) inside ``tf.profiler.experimental.Trace("step", step_num=i)``:

* ``bilstm``: a Keras Bi-LSTM tagger (embedding, bidirectional LSTM, dense);
* ``cnn``: a Keras CNN (two convolutions, pooling, dense);
* ``while_loop``: a ``tf.while_loop`` of matmuls.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _bilstm(tf, rng):
    inputs = tf.keras.Input((32,), dtype="int32", batch_size=8)
    x = tf.keras.layers.Embedding(1000, 64)(inputs)
    x = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(64, return_sequences=True))(x)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(10)(x))
    batch = tf.constant(rng.integers(0, 1000, (8, 32)), tf.int32)
    return tf.function(lambda t: model(t, training=False)), batch


def _cnn(tf, rng):
    inputs = tf.keras.Input((32, 32, 3), batch_size=2)
    x = tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = tf.keras.layers.MaxPooling2D()(x)
    x = tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(10)(x))
    batch = tf.constant(rng.standard_normal((2, 32, 32, 3)).astype("float32"))
    return tf.function(lambda t: model(t, training=False)), batch


def _while_loop(tf, rng):
    weights = tf.constant(rng.standard_normal((64, 64)).astype("float32") * 0.1)

    @tf.function
    def run(x):
        def body(i, y):
            return i + 1, tf.nn.tanh(tf.matmul(y, weights))

        return tf.while_loop(lambda i, _: i < 20, body, (tf.constant(0), x))[1]

    return run, tf.constant(rng.standard_normal((16, 64)).astype("float32"))


PROGRAMS = {"bilstm": _bilstm, "cnn": _cnn, "while_loop": _while_loop}


def write_logdir(tf, name: str, out: Path, steps: int) -> None:
    import numpy as np

    step, batch = PROGRAMS[name](tf, np.random.default_rng(0))
    step(batch)  # trace and warm up outside the profile
    tf.profiler.experimental.start(str(out / name))
    for i in range(steps):
        with tf.profiler.experimental.Trace("step", step_num=i, _r=1):
            step(batch).numpy()
    tf.profiler.experimental.stop()


def main(argv: list[str]) -> int:
    import tensorflow as tf

    out = Path(argv[1])
    steps = int(argv[2]) if len(argv) > 2 else 3
    names = argv[3].split(",") if len(argv) > 3 else list(PROGRAMS)
    for name in names:
        write_logdir(tf, name, out, steps)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
