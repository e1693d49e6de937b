"""Measurements that mean something: plausible inputs at realistic sizes, a tolerance relative
to the output, INT8 calibration over finite values only, and no calibration chatter."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from opscope.backend.inputs import DEFAULT_SEQUENCE, concrete_shape, random_inputs
from opscope.backend.models import InputSpec
from opscope.backend.models.onnx_model import OnnxAdapter
from opscope.backend.optimize import quantize
from opscope.backend.verify import compare_outputs


def test_dynamic_axes_get_realistic_sizes() -> None:
    ids = InputSpec("input_ids", "int64", ("batch", "sequence"), high=30522)
    assert concrete_shape(ids) == (2, DEFAULT_SEQUENCE)
    short = InputSpec("input_ids", "int64", ("batch", "sequence"), max_length=64)
    assert concrete_shape(short) == (2, 64)
    image = InputSpec("pixels", "float32", ("batch", 3, "height", "width"))
    assert concrete_shape(image, batch=4) == (4, 3, 224, 224)


def test_token_ids_span_the_vocabulary_and_masks_pad() -> None:
    specs = [
        InputSpec("input_ids", "int64", (None, None), high=30522),
        InputSpec("attention_mask", "int64", (None, None)),
        InputSpec("position_ids", "int64", (None, None)),
    ]
    inputs = random_inputs(specs, batch=8)
    ids, mask, positions = inputs["input_ids"], inputs["attention_mask"], inputs["position_ids"]
    assert ids.shape == mask.shape == (8, DEFAULT_SEQUENCE)
    assert ids.max() > 25000 and ids.min() < 3000
    assert set(np.unique(mask)) == {0, 1} and mask[0].all()
    # each row is its tokens then padding: ones, then zeros, never a one after a zero
    assert (np.diff(mask, axis=1) <= 0).all() and mask[:, 0].all()
    assert (positions == np.arange(DEFAULT_SEQUENCE)).all()


def test_default_tolerance_is_relative_to_the_output() -> None:
    rng = np.random.default_rng(0)
    tiny = rng.standard_normal((4, 10)) * 1e-9
    wrong = tiny + 1e-9  # every value off by its own magnitude
    assert not compare_outputs([tiny], [wrong]).passed
    assert compare_outputs([tiny], [wrong], rtol=0.0, atol=0.01).passed  # the absolute one
    logits = rng.standard_normal((4, 1000)) * 1e4
    rounded = logits.astype(np.float32).astype(np.float64) + 1e-3  # float32 rounding
    result = compare_outputs([logits], [rounded])
    assert result.passed and result.relative_atol == 1e-3
    assert result.atol == pytest.approx(1e-3 * np.abs(logits).max())
    assert "max|reference|" in result.tolerance
    assert not compare_outputs([logits], [rounded], rtol=0.0, atol=1e-4).passed


def _masked_attention_model(path: Path) -> Path:
    """Scores where a mask is 0 set to -inf, softmax, then a projection: what a transformer's
    attention computes (the shape of DistilBERT's ``masked_fill(-inf)``)."""
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((8, 4)).astype(np.float32), "w")
    minus_inf = numpy_helper.from_array(np.array(-np.inf, np.float32), "minus_inf")
    nodes = [
        helper.make_node("Cast", ["mask"], ["keep"], to=TensorProto.BOOL),
        helper.make_node("Where", ["keep", "scores", "minus_inf"], ["masked"]),
        helper.make_node("Softmax", ["masked"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["probs", "w"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "masked_attention",
        [
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 8]),
            helper.make_tensor_value_info("mask", TensorProto.INT64, ["batch", 8]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 4])],
        [weight, minus_inf],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("method", quantize.CALIBRATION_METHODS)
def test_static_int8_calibrates_on_finite_values_quietly(
    tmp_path: Path, method: str, capfd: pytest.CaptureFixture[str]
) -> None:
    source = _masked_attention_model(tmp_path / "attention.onnx")
    specs = OnnxAdapter(source).input_specs()
    batches = quantize.generated_batches(specs, count=4, batch=2)
    assert any((b["mask"] == 0).any() for b in batches)  # so -inf scores occur
    target = tmp_path / "int8.onnx"
    options = quantize.QuantOptions(mode="static", method=method)
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        quantize.quantize_static_qdq(source, target, batches, options)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert [str(w.message) for w in escaped] == []  # a warning would reach the CLI's stderr
    quantized = OnnxAdapter(target)
    scales = [
        numpy_helper.to_array(t)
        for t in quantized.model.graph.initializer
        if t.name.endswith("_scale")
    ]
    assert scales and all(np.isfinite(s).all() and (s > 0).all() for s in scales)
    out = quantized.run(batches[0])[0]
    assert np.isfinite(out).all()


def test_finite_values_clip_to_the_finite_range() -> None:
    scores = np.array([[1.0, -np.inf, 3.0], [np.inf, -2.0, np.nan]], np.float32)
    clipped = quantize.finite_values(scores)
    assert clipped.tolist() == [[1.0, -2.0, 3.0], [3.0, -2.0, 0.0]]


def test_dynamic_int8_of_a_model_not_preprocessed_prints_nothing(tmp_path: Path) -> None:
    """onnxruntime's quantizers log "Please consider to run pre-processing" through the root
    logger; in a fresh process (no handlers yet) that reached the CLI's stderr."""
    import subprocess
    import sys

    source = _masked_attention_model(tmp_path / "attention.onnx")
    script = (
        "import sys; from pathlib import Path; from opscope.backend.optimize import quantize; "
        "quantize.quantize_dynamic_int8(Path(sys.argv[1]), Path(sys.argv[2]), "
        "quantize.QuantOptions(mode='dynamic'))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(source), str(tmp_path / "int8.onnx")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (run.stdout, run.stderr) == ("", "")
    assert (tmp_path / "int8.onnx").exists()
