"""What was imported: format, event and lane counts, span, and the importer's warnings."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from opscope.backend.contracts.traces import TraceInfo
from opscope.gui.timeline.ticks import format_duration
from opscope.gui.units import human_count
from opscope.profiling.trace import Trace


class SummaryPanel(QWidget):
    def __init__(self, trace: Trace, info: TraceInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.values = self.summary(trace, info)
        form = QFormLayout(self)
        for key, value in self.values.items():
            label = QLabel(value)
            label.setWordWrap(True)
            if key == "Warnings" and value != "none":
                label.setStyleSheet("color: #a05a00;")
            form.addRow(f"{key}:", label)

    @staticmethod
    def summary(trace: Trace, info: TraceInfo) -> dict[str, str]:
        warnings = list(info.warnings)
        if info.truncated:
            warnings.insert(0, "the trace is truncated: the profiler stopped recording early")
        return {
            "Format": info.format,
            "Events": f"{human_count(trace.events)} slices, {trace.instant_ts_ns.size} instants, "
            f"{len(trace.counters)} counters",
            "Lanes": f"{len(trace.lanes)} in {len({lane.process for lane in trace.lanes})} "
            "processes",
            "Span": format_duration(trace.span_ns),
            "Warnings": "\n".join(f"• {w}" for w in warnings) if warnings else "none",
        }
