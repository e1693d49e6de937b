"""The TensorFlow-native route: freeze, keep one output, optimize_for_inference + grappler."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from opscope.backend.optimize.pipeline import OptimizeOptions, optimize_model
from opscope.errors import OpscopeError
from opscope.progress import ignore_progress as _quiet  # noqa: E402


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize("output", ["pruned_savedmodel", "frozen.pb"])
def test_tf_prune_shrinks_the_graph_and_keeps_the_output(keras_ranker, tmp_path, output):
    import tensorflow as tf

    before = _tree_digest(keras_ranker)
    target = tmp_path / output
    options = OptimizeOptions(
        tf_native=True, keep_outputs=("score",), runs=3, report=str(tmp_path / "r.json")
    )
    report = optimize_model(keras_ranker, target, options, _quiet)
    counts = report["tf_node_counts"]
    assert counts["after"]["total"] < counts["before"]["total"]
    assert counts["before"]["variable"] > 0 and counts["after"]["variable"] == 0
    assert counts["after"]["identity"] < counts["before"]["identity"]
    assert [s["name"] for s in report["steps"]] == ["tf-freeze", "tf-optimize"]
    assert all(s["verify"]["passed"] for s in report["steps"]) and report["verify"]["passed"]
    assert "| variable |" in (tmp_path / "r.md").read_text()
    assert _tree_digest(keras_ranker) == before
    features = np.random.default_rng(3).standard_normal((4, 32)).astype(np.float32)
    want = tf.saved_model.load(str(keras_ranker)).signatures["serving_default"](features=features)[
        "score"
    ]
    if target.is_dir():
        served = tf.saved_model.load(str(target)).signatures["serving_default"]
        assert list(served.structured_outputs) == ["score"]
        got = served(features=tf.constant(features))["score"]
    else:
        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(target.read_bytes())
        ops = {n.op for n in graph_def.node}
        assert not ops & {"VarHandleOp", "ReadVariableOp", "StatefulPartitionedCall"}
        got = _run_graph_def(graph_def, features)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)


def _run_graph_def(graph_def, features):
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        tf.compat.v1.import_graph_def(graph_def, name="")
        placeholder = next(n.name for n in graph_def.node if n.op == "Placeholder")
        consumed = {i.lstrip("^").split(":")[0] for n in graph_def.node for i in n.input}
        (fetched,) = [n.name for n in graph_def.node if n.name not in consumed]
        with tf.compat.v1.Session(graph=graph) as session:
            return session.run(f"{fetched}:0", {f"{placeholder}:0": features})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (OptimizeOptions(tf_native=True, keep_outputs=("nope",)), "no output 'nope'"),
        (OptimizeOptions(tf_native=True, quantize="dynamic"), "does not combine with --quantize"),
    ],
    ids=["missing-output", "onnx-only-option"],
)
def test_tf_prune_bad_requests_leave_nothing(keras_ranker, tmp_path, options, message):
    with pytest.raises(OpscopeError, match=message) as info:
        optimize_model(keras_ranker, tmp_path / "out", options, _quiet)
    assert str(info.value).startswith(f"cannot optimize {keras_ranker}: ")
    assert not list(tmp_path.iterdir())


def test_tf_prune_refuses_onnx(cnn_onnx, tmp_path):
    with pytest.raises(OpscopeError, match="takes a TensorFlow SavedModel"):
        optimize_model(cnn_onnx, tmp_path / "o", OptimizeOptions(tf_native=True), _quiet)
