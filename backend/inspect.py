"""``opscope inspect``: open a model and summarise its graph, as a job and as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opscope.backend.contracts.base import to_builtins
from opscope.backend.contracts.models import InspectParams
from opscope.backend.inputs import generated_input
from opscope.backend.models import ModelAdapter, open_for
from opscope.backend.summary import GraphSummary
from opscope.errors import OpscopeError
from opscope.progress import FractionProgress, ignore_fraction


def _opened(path: str | Path, progress: FractionProgress) -> tuple[ModelAdapter, GraphSummary]:
    progress(0.0, f"opening {Path(path).name}")
    adapter = open_for(path)
    progress(0.5, "summarising the graph")
    try:
        summary = adapter.summary()
    except OpscopeError as exc:
        raise OpscopeError(f"cannot open {path}: {exc}") from exc
    progress(1.0, "done")
    return adapter, summary


def inspect_model(path: str | Path, progress: FractionProgress = ignore_fraction) -> GraphSummary:
    """The graph summary of the model at ``path``."""
    return _opened(path, progress)[1]


def inspection(path: str | Path, progress: FractionProgress = ignore_fraction) -> dict[str, Any]:
    """The ``inspect --json`` object: the summary and the inputs a run would generate."""
    adapter, summary = _opened(path, progress)
    try:
        specs = adapter.input_specs()
    except OpscopeError as exc:
        raise OpscopeError(f"cannot open {path}: {exc}") from exc
    generated = [to_builtins(generated_input(spec)) for spec in specs]
    return {**summary.to_dict(), "generated_inputs": generated}


def inspect_job(params: InspectParams, progress: FractionProgress) -> dict[str, Any]:
    """Job ``inspect_model``: the ``inspect --json`` object plus ``path``."""
    return {**inspection(params.path, progress), "path": params.path}


def _shape_text(shape: list[Any] | None) -> str:
    if shape is None:
        return "?"
    return "x".join("?" if d is None else str(d) for d in shape) or "scalar"


def _counts_text(data: dict[str, Any], indent: str = "") -> list[str]:
    return [
        f"{indent}nodes        {data['nodes']}",
        f"{indent}const        {data['const']}   variable {data['variable']}   "
        f"identity {data['identity']}   placeholder {data['placeholder']}",
        f"{indent}parameters   {data['params']:,} ({data['param_bytes']:,} bytes, "
        f"{data['initializers']} initializers)",
        f"{indent}unused       {len(data['unused_nodes'])} nodes, "
        f"{len(data['unused_initializers'])} initializers",
        f"{indent}quantization {data['quant_nodes']} nodes",
    ]


def format_summary(data: dict[str, Any], top: int = 15) -> str:
    """The ``inspect`` object as the text a person reads in a terminal."""
    lines = [
        f"format       {data['format']}   opset {data['opset']}   "
        f"producer {data['producer'] or '?'}",
        f"size         {data['size_bytes']:,} bytes",
    ]
    for label in ("inputs", "outputs"):
        for tensor in data[label]:
            shape = _shape_text(tensor["shape"])
            lines.append(f"{label[:-1]:<12} {tensor['name']}: {tensor['dtype']} {shape}")
    for generated in data.get("generated_inputs", []):
        shape = _shape_text(generated["shape"])
        lines.append(f"{'generated':<12} {generated['name']}: {shape}, {generated['values']}")
    lines += _counts_text(data)
    ops = list(data["op_counts"].items())
    lines.append("ops          " + ", ".join(f"{op} {n}" for op, n in ops[:top]))
    if len(ops) > top:
        lines[-1] += f", … {len(ops) - top} more"
    if data.get("frozen"):
        lines.append("frozen (variables folded into constants):")
        lines += _counts_text(data["frozen"], indent="  ")
    return "\n".join(lines)
