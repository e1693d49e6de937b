"""A chain of optimization steps, each a new file in a private folder, each verified.

Every step writes a new file rather than changing the previous one, so a failed step leaves
the last good model in place, and the report can give node counts before and after each.
A file is first loaded in a separate process: onnxruntime can crash (not raise) on some
quantized or FP16 graphs, and that must fail the step, not the whole job.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opscope.backend.models.onnx_model import load_onnx
from opscope.backend.models.providers import execution_providers
from opscope.backend.optimize.reference import Reference
from opscope.errors import OpscopeError

Produce = Callable[[Path, Path], None]

_PROBE = (
    "import sys, onnxruntime as ort\n"
    "o = ort.SessionOptions(); o.log_severity_level = 3\n"
    "ort.InferenceSession(sys.argv[1], o, providers=sys.argv[2].split(','))\n"
)


def probe_loads(path: Path, timeout: float = 300.0) -> None:
    """Create an onnxruntime session for ``path`` in a child process, with the providers
    the model will be verified and timed with; a crash is an error."""
    providers = ",".join(execution_providers())
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path), providers],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise OpscopeError("onnxruntime took too long to load the model") from None
    if done.returncode < 0:
        raise OpscopeError(f"onnxruntime crashed loading the model (signal {-done.returncode})")
    if done.returncode:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise OpscopeError(f"onnxruntime cannot load the model ({lines[-1] if lines else '?'})")


def node_count(path: Path) -> int:
    return len(load_onnx(path).graph.node)


def proto_step(transform: Callable[[Any], Any]) -> Produce:
    """A step written as ``ModelProto -> ModelProto`` as one that maps files to files."""

    def produce(source: Path, target: Path) -> None:
        import onnx

        onnx.save(transform(load_onnx(source, with_data=True)), str(target))

    return produce


@dataclass
class Step:
    """One step taken: what it did, node counts, and its verification against the original."""

    name: str
    detail: str
    nodes_before: int
    nodes_after: int
    seconds: float
    verify: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Chain:
    """Files produced one step after another from ``current``, verified against ``reference``."""

    reference: Reference
    folder: Path
    current: Path
    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def apply(self, name: str, detail: str, produce: Produce) -> Path:
        """Run ``produce(current, new)``; the new file becomes current once verified."""
        target = self.folder / f"{len(self.steps) + 1:02d}-{name}.onnx"
        start = time.perf_counter()
        try:
            produce(self.current, target)
            probe_loads(target)
        except OpscopeError as exc:
            raise OpscopeError(f"step {name} failed: {exc}") from exc
        verify = self.reference.verify(target)
        step = Step(
            name,
            detail,
            node_count(self.current),
            node_count(target),
            round(time.perf_counter() - start, 3),
            verify.to_dict(),
        )
        self.steps.append(step)
        self.current = target
        return target

    def step_dicts(self) -> list[dict[str, Any]]:
        return [step.to_dict() for step in self.steps]
