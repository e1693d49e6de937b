"""Operator names of every dialect map onto shared kinds of work."""

import pytest

from opscope.profiling.op_kinds import OTHER, op_kind


@pytest.mark.parametrize(
    ("op", "kind"),
    [
        ("aten::conv2d", "convolution"),
        ("Conv", "convolution"),
        ("QLinearConv", "convolution"),
        ("_MklNativeFusedConv2D", "convolution"),
        ("Convolution", "convolution"),
        ("aten::addmm", "matmul / gemm"),
        ("Gemm", "matmul / gemm"),
        ("MatMulInteger", "matmul / gemm"),
        ("FullyConnected", "matmul / gemm"),
        ("aten::batch_norm", "normalization"),
        ("LayerNormalization", "normalization"),
        ("aten::relu", "activation"),
        ("Relu", "activation"),
        ("MaxPool", "pooling"),
        ("aten::max_pool2d", "pooling"),
        ("QuantizeLinear", "quantize / cast"),
        ("aten::add", "elementwise"),
        ("Reshape", "data movement"),
        ("SomethingUnheardOf", OTHER),
    ],
)
def test_op_kind(op, kind):
    assert op_kind(op) == kind
