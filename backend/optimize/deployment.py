"""What an optimize run hands back: the files of the chosen model in its runtime's format.

An onnxruntime result is one ONNX file at the user's ``-o`` path. An OpenVINO result is
the IR that was measured (``OUT.xml`` + ``OUT.bin``, the stem of ``-o``) with the compile
properties it was measured with in its runtime info: handing back the ONNX file instead
would leave the user to rediscover how it ran that fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from opscope.backend.optimize.bench import RunOnce, onnx_session, session_runner
from opscope.backend.optimize.candidate import ONNXRUNTIME, Candidate
from opscope.backend.optimize.reference import Reference
from opscope.backend.summary import path_size


@dataclass(frozen=True)
class Deployment:
    """The chosen model's runtime, precision, compile properties, and its files: pairs of
    (file in the work folder, the user's path), the model file first."""

    runtime: str = ONNXRUNTIME
    precision: str = "fp32"
    compile_properties: dict[str, str] = field(default_factory=dict)
    files: tuple[tuple[Path, Path], ...] = ()

    @property
    def output(self) -> Path:
        return self.files[0][1]

    def size_bytes(self) -> int:
        return sum(path_size(source) for source, _ in self.files)

    def report_fields(self, report_path: str | None) -> dict:
        """The report's ``runtime``, ``precision``, ``files`` (every file written, absolute)
        and ``compile_properties``."""
        written = [target for _, target in self.files]
        if report_path:
            written += [Path(report_path), Path(report_path).with_suffix(".md")]
        return {
            "runtime": self.runtime,
            "precision": self.precision,
            "files": [str(path.resolve()) for path in written],
            "compile_properties": dict(self.compile_properties),
        }


def deployment_of(chosen: Candidate | None, final: Path, target: Path, folder: Path) -> Deployment:
    """The files to write for ``chosen`` (None: the onnxruntime model at ``final``); an
    OpenVINO model is saved as IR into ``folder`` first."""
    if chosen is None or chosen.runtime == ONNXRUNTIME:
        precision = chosen.precision if chosen is not None else "fp32"
        return Deployment(precision=precision, files=((final, target),))
    from opscope.backend.runtimes import openvino_runtime as ovr

    (folder / "deploy").mkdir(exist_ok=True)
    xml, weights = ovr.save_ir(chosen.model, folder / "deploy" / "model.xml", chosen.properties)
    files = ((xml, target.with_suffix(".xml")), (weights, target.with_suffix(".bin")))
    return Deployment(chosen.runtime, chosen.precision, dict(chosen.properties), files)


def optimized_runner(
    chosen: Candidate | None, final: Path, reference: Reference, threads: int | None
) -> RunOnce:
    """One call of the result in its runtime, for the final measurement."""
    if chosen is not None and chosen.runtime != ONNXRUNTIME:
        return chosen.runner(reference.inputs, threads)
    return session_runner(onnx_session(final, threads), reference.inputs)
