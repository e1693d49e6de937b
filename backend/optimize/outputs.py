"""Writing an optimize run's results: the model and its reports, moved into place together.

Everything is written to temporary paths beside the targets and renamed only when all of
it is complete, so a failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opscope.atomic import atomic_path
from opscope.backend.optimize import report


def write_outputs(
    final: Path,
    target: Path,
    result: dict[str, Any],
    report_path: str | None,
    extra: Sequence[tuple[Path, Path]] = (),
) -> None:
    """The model (a file, or a SavedModel folder) and its JSON and Markdown reports;
    ``extra`` (source, target) files belong to the model (an OpenVINO IR's ``.bin``)."""
    with contextlib.ExitStack() as stack:
        for source, destination in extra:
            shutil.copyfile(source, stack.enter_context(atomic_path(destination)))
        if final.is_dir():  # a SavedModel from the TensorFlow route
            temp = stack.enter_context(atomic_path(target, is_dir=True))
            shutil.copytree(final, temp, dirs_exist_ok=True)
        else:
            shutil.copyfile(final, stack.enter_context(atomic_path(target)))
        if report_path:
            json_path = Path(report_path)
            stack.enter_context(atomic_path(json_path)).write_text(report.to_json(result))
            markdown = stack.enter_context(atomic_path(json_path.with_suffix(".md")))
            markdown.write_text(report.to_markdown(result))
