"""Export an optimized model with its report: the model file, then REPORT.json and .md beside it.

Every file is written atomically, so an interrupted export leaves either the old files or
the new ones, never a half-written model.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from opscope.atomic import atomic_path, write_text_atomic
from opscope.backend.contracts.optimize import ExportParams, SaveReportParams, report_dict
from opscope.errors import OpscopeError
from opscope.progress import Progress, Step


def report_paths(target: Path) -> tuple[Path, Path]:
    stem = target.with_suffix("")
    return stem.with_name(stem.name + ".report.json"), stem.with_name(stem.name + ".report.md")


def save_report(report: dict[str, Any], target: str | Path) -> Path:
    """Write the report as Markdown when ``target`` ends in .md, else as JSON."""
    from opscope.backend.optimize.report import to_json, to_markdown

    target = Path(target)
    text = to_markdown(report) if target.suffix.lower() == ".md" else to_json(report)
    write_text_atomic(target, text)
    return target


def export_model(model: str | Path, report: dict[str, Any], target: str | Path) -> dict[str, Any]:
    model, target = Path(model), Path(target)
    if not model.is_file():
        raise OpscopeError(f"cannot export: the optimized model {model} is gone; run it again")
    if target.resolve() == Path(report.get("model", "")).resolve():
        raise OpscopeError("cannot export over the original model: choose another file name")
    # an OpenVINO IR is its .xml and the .bin beside it, written with the target's stem
    pairs = [(model, target)]
    if model.suffix.lower() == ".xml":
        target = target.with_suffix(".xml")
        pairs = [(model, target), (model.with_suffix(".bin"), target.with_suffix(".bin"))]
    for source, destination in pairs:
        with atomic_path(destination) as temp:
            shutil.copyfile(source, temp)
    json_path, md_path = report_paths(target)
    files = [str(p.resolve()) for p in (*(d for _, d in pairs), json_path, md_path)]
    exported = {**report, "output": str(target), "files": files}
    save_report(exported, json_path)
    save_report(exported, md_path)
    return {"model": str(target), "report_json": str(json_path), "report_md": str(md_path)}


def export_job(params: ExportParams, progress: Progress) -> dict[str, Any]:
    """Job ``export_model``: the optimized model and its report, beside ``target``."""
    progress(Step.EXPORT, 0.1, "writing the model and its report")
    return export_model(params.model, report_dict(params.report), params.target)


def save_report_job(params: SaveReportParams, progress: Progress) -> dict[str, Any]:
    """Job ``save_report``: the report alone, as Markdown or JSON (off the GUI thread)."""
    progress(Step.EXPORT, 0.1, f"writing {Path(params.target).name}")
    return {"target": str(save_report(report_dict(params.report), params.target))}
