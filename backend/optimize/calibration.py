"""The calibration batches of static quantization: the user's, or generated with a warning."""

from __future__ import annotations

from pathlib import Path

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.models.onnx_model import load_onnx, onnx_input_specs
from opscope.backend.optimize import quantize
from opscope.backend.optimize.chain import Chain


def calibration_data(chain: Chain, options: OptimizeOptions, batch: int) -> list[dict]:
    """The user's calibration batches, or generated ones with a warning in the report."""
    specs = onnx_input_specs(load_onnx(chain.current))
    if options.calib:
        return quantize.calibration_batches(Path(options.calib), specs, batch)
    chain.warnings.append(quantize.GENERATED_CALIBRATION_WARNING)
    return quantize.generated_batches(specs, count=8, batch=batch)
