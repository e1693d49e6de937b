"""Post-training INT8 quantization for OpenVINO with NNCF (``nncf.quantize``).

NNCF inserts FakeQuantize layers that OpenVINO's CPU plugin runs as INT8 kernels; on
attention graphs its TRANSFORMER model type keeps the parts that lose accuracy in INT8
(softmax, layer norms) in float. Excluded nodes are given by their ONNX names: OpenVINO's
ONNX frontend names a node's layers after it (``/conv/Conv``, ``/conv/Conv/WithoutBiases``),
so each name excludes the layers under it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from opscope.backend.runtimes.openvino_runtime import openvino_errors


@contextlib.contextmanager
def _quiet_nncf() -> Iterator[None]:
    """NNCF logs INFO lines and draws progress bars on stdout, which ``--json`` needs clean
    and a person does not need at all (opscope reports its own progress)."""
    logger = logging.getLogger("nncf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def ignored_scope(nodes: Sequence[str]) -> Any:
    """The layers of the ONNX nodes ``nodes`` (and only those) as an ``nncf.IgnoredScope``."""
    import nncf

    patterns = [f"^{re.escape(name)}(/.*)?$" for name in nodes if name]
    return nncf.IgnoredScope(patterns=patterns, validate=False)


def nncf_quantize(
    model: Any,
    batches: Sequence[Mapping[str, np.ndarray]],
    *,
    transformer: bool = False,
    exclude_nodes: Sequence[str] = (),
) -> Any:
    """An INT8 copy of ``model`` (an ``ov.Model``), calibrated on ``batches`` (input name ->
    array, as the model takes them)."""
    with _quiet_nncf():
        import nncf

        dataset = nncf.Dataset([dict(batch) for batch in batches])
        model_type = nncf.ModelType.TRANSFORMER if transformer else None
        with openvino_errors("NNCF quantization failed"):
            return nncf.quantize(
                model,
                dataset,
                subset_size=max(len(batches), 1),
                model_type=model_type,
                ignored_scope=ignored_scope(exclude_nodes),
            )
