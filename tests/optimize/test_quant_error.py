"""Per-node quantization error: a deliberately broken layer of a real QDQ model ranks first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quantized(cnn_onnx: Path, tmp_path_factory: pytest.TempPathFactory):
    """The test CNN pre-processed (float) and quantized by onnxruntime (static QDQ), with the
    batches it was calibrated on."""
    from opscope.backend.optimize import quantize

    folder = tmp_path_factory.mktemp("quant-error")
    rng = np.random.default_rng(3)
    batches = [{"x": rng.standard_normal((2, 3, 32, 32)).astype(np.float32)} for _ in range(4)]
    float_model = folder / "float.onnx"
    quantize.pre_process(cnn_onnx, float_model)
    qdq = folder / "qdq.onnx"
    quantize.quantize_static_qdq(float_model, qdq, batches, quantize.QuantOptions(per_channel=True))
    return folder, float_model, qdq, batches


def _perturb_weight_scale(qdq: Path, conv_index: int, target: Path) -> str:
    """Scale the dequantized weights of the ``conv_index``-th Conv by 1.3; its name."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(qdq))
    conv = [n for n in model.graph.node if n.op_type == "Conv"][conv_index]
    dequantize = next(n for n in model.graph.node if n.output[0] == conv.input[1])
    for tensor in model.graph.initializer:
        if tensor.name == dequantize.input[1]:
            scale = numpy_helper.to_array(tensor) * np.float32(1.3)
            tensor.CopyFrom(numpy_helper.from_array(scale.astype(np.float32), tensor.name))
    onnx.save(model, str(target))
    return conv.name


def test_a_perturbed_node_ranks_first(quantized) -> None:
    from opscope.backend.optimize.quant_error import node_errors, worst_nodes

    folder, float_model, qdq, batches = quantized
    broken = folder / "broken.onnx"
    name = _perturb_weight_scale(qdq, 1, broken)  # the second conv: neither first nor last
    errors = node_errors(float_model, broken, batches, folder)
    assert errors[0].node == name
    assert errors[0].op_type == "Conv"
    assert errors[0].contribution > 5 * errors[1].contribution
    assert name in worst_nodes(errors, 1)


def test_intact_model_errors_are_small_and_cover_every_layer(quantized) -> None:
    import onnx

    from opscope.backend.optimize.quant_error import node_errors

    folder, float_model, qdq, batches = quantized
    errors = node_errors(float_model, qdq, batches, folder)
    convs = {n.name for n in onnx.load(str(float_model)).graph.node if n.op_type == "Conv"}
    assert convs <= {e.node for e in errors}
    assert all(0.0 <= e.contribution <= e.relative_error for e in errors)
    assert max(e.relative_error for e in errors) < 0.1
    assert [e.contribution for e in errors] == sorted(
        (e.contribution for e in errors), reverse=True
    )


def test_relative_error_of_identical_and_zero_tensors() -> None:
    from opscope.backend.optimize.quant_error import relative_error

    a = np.arange(6, dtype=np.float32)
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.full(3, 2.0)) == pytest.approx(np.sqrt(12))
    assert relative_error(a, a[:3]) == float("inf")


@pytest.fixture(scope="module")
def nncf_models(cnn_onnx: Path):
    """The test CNN read by OpenVINO (float) and quantized by NNCF, with its calibration."""
    pytest.importorskip("nncf")
    from opscope.backend.runtimes import openvino_runtime as ovr
    from opscope.backend.runtimes.nncf_quantize import nncf_quantize

    rng = np.random.default_rng(3)
    batches = [{"x": rng.standard_normal((2, 3, 32, 32)).astype(np.float32)} for _ in range(4)]
    float_model = ovr.read_model(cnn_onnx)
    return float_model, nncf_quantize(float_model, batches), batches


def _perturb_openvino_weights(model, conv_index: int) -> str:
    """Scale the ``conv_index``-th Convolution's (dequantized) weights of an NNCF model by
    1.3, in place; the layer's name."""
    import openvino as ov

    conv = [op for op in model.get_ordered_ops() if op.get_type_name() == "Convolution"]
    layer = conv[conv_index]
    weights = layer.input(1).get_source_output()
    scaled = ov.opset13.multiply(weights, ov.opset13.constant(np.float32(1.3)))
    layer.input(1).replace_source_output(scaled.output(0))
    return layer.get_friendly_name()


def test_a_perturbed_openvino_layer_ranks_first(nncf_models, cnn_onnx: Path) -> None:
    import onnx

    from opscope.backend.optimize.quant_error import onnx_name, openvino_node_errors

    float_model, quantized, batches = nncf_models
    broken = quantized.clone()
    layer = _perturb_openvino_weights(broken, 1)  # the second conv: neither first nor last
    names = [n.name for n in onnx.load(str(cnn_onnx)).graph.node]
    errors = openvino_node_errors(float_model, broken, batches[:2], names)
    assert errors[0].output == layer and errors[0].op_type == "Convolution"
    assert errors[0].node == onnx_name(layer, names) and errors[0].node in names
    assert errors[0].contribution > 5 * errors[1].contribution
    intact = openvino_node_errors(float_model, quantized, batches[:2], names)
    assert all(0.0 <= e.contribution <= e.relative_error for e in intact)
    assert max(e.relative_error for e in intact) < 0.1
