"""Which page shows which job's result."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from opscope.gui.result_page import ResultPage


def page_for_result(kind: str, result: dict[str, Any], parent: QWidget | None = None) -> QWidget:
    if kind == "import_trace":
        from opscope.gui.trace_page import TracePage

        return TracePage(result, parent)
    if kind == "inspect_model":
        from opscope.gui.model_page import ModelPage

        return ModelPage(result, parent, settings=getattr(parent, "settings", None))
    return ResultPage(result, parent)
