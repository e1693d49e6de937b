"""Kinds of work (convolution, matmul / gemm, normalization, …) shared by every dialect's
operator names, so an original profiled natively (``aten::conv2d``, ``Conv2D``,
``Convolution``) and its ONNX version profiled in onnxruntime (``Conv``, ``QLinearConv``)
compare per kind of work even though they never share an operator name."""

from __future__ import annotations

import re

import numpy as np

from opscope.profiling.stats import OpStats

# first match wins; patterns are matched against the lower-cased op name without its
# namespace (``aten::``, ``_Mkl``, ``Fused``, ``QLinear`` prefixes are stripped first)
KIND_PATTERNS: tuple[tuple[str, str], ...] = (
    ("quantize / cast", r"quantize|dequantize|^cast$|^to$|_to_copy|convert"),
    ("convolution", r"conv|depthwise"),
    (
        "matmul / gemm",
        r"matmul|gemm|^mm$|^bmm$|addmm|linear|dense|einsum|fullyconnected|batch_dot|^dot$|attention",
    ),
    ("normalization", r"norm|^lrn$|moments"),
    (
        "activation",
        r"relu|gelu|sigmoid|tanh|softmax|softplus|swish|silu|elu|erf|clip|hardtanh|leaky|prelu|activation",
    ),
    ("pooling", r"pool|^mean$|reduce|^sum$|^max$|^min$|argmax|argmin"),
    ("recurrent", r"lstm|gru|rnn|while|tensorlist|scan|loop"),
    (
        "elementwise",
        r"^add|^sub|^mul|^div|^pow|^sqrt|^exp|^log|^neg|^abs|biasadd|^where|^max(imum)?$|^min(imum)?$|broadcast|elemwise|^_plus|^_minus|^_mul|^_div|^rsqrt",
    ),
    (
        "data movement",
        r"reshape|transpose|permute|concat|split|slice|gather|scatter|squeeze|unsqueeze|flatten|view|copy|pad|tile|expand|stack|shape|identity|contiguous|select|index|embedding|reverse|strided|space|depth|resize|upsample",
    ),
)
_PREFIX = re.compile(r"^(aten::|onnx::|_mkl(native)?|_fused|fused|qlinear|_|mkldnn_?)+")
_COMPILED = tuple((kind, re.compile(pattern)) for kind, pattern in KIND_PATTERNS)
OTHER = "other"


def op_kind(op: str) -> str:
    """The kind of work an operator name does (``other`` when none fits)."""
    name = _PREFIX.sub("", op.lower().split("/")[-1])
    for kind, pattern in _COMPILED:
        if pattern.search(name):
            return kind
    return OTHER


def by_kind(stats: OpStats) -> OpStats:
    """The same table with one row per kind of work: counts and times added up."""
    kinds = [op_kind(op) for op in stats.ops]
    names = sorted(set(kinds))
    ids = np.array([names.index(k) for k in kinds], dtype=np.int64)
    size = len(names)

    def add(values: np.ndarray) -> np.ndarray:
        return np.bincount(ids, weights=values, minlength=size).astype(np.int64)

    minimum = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    maximum = np.zeros(size, dtype=np.int64)
    np.minimum.at(minimum, ids, stats.min_ns.astype(np.int64))
    np.maximum.at(maximum, ids, stats.max_ns.astype(np.int64))
    self_ns = add(stats.self_ns)
    order = np.argsort(-self_ns, kind="stable")
    return OpStats(
        ops=[names[i] for i in order],
        count=add(stats.count)[order],
        total_ns=add(stats.total_ns)[order],
        self_ns=self_ns[order],
        min_ns=minimum[order],
        max_ns=maximum[order],
        by="kind",
    )
