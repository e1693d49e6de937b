"""What an optimization did: verification, speed-up, sizes, node deltas, Auto's candidates."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from opscope.backend.contracts.models import Verification
from opscope.backend.contracts.optimize import CandidateRow, Latency, OptimizeReport
from opscope.backend.verify import shortfall
from opscope.gui.count_table import RowsTableModel
from opscope.gui.table_view import read_only_table
from opscope.gui.units import human_bytes

PERCENTILES = ("p50", "p90", "p99")
ORIGINAL_BRUSH = (150, 150, 150)
OPTIMIZED_BRUSH = (46, 139, 87)
PASS_STYLE = "background:#2e8b57;color:white;font-weight:700;padding:4px 10px;border-radius:4px"
FAIL_STYLE = "background:#c0392b;color:white;font-weight:700;padding:4px 10px;border-radius:4px"
NOTE_LINES = 4.5  # notes shown before they scroll


def node_delta_rows(before: dict[str, int], after: dict[str, int]) -> list[list[Any]]:
    """Per op type: change, op, before, after; biggest changes first."""
    ops = set(before) | set(after)
    rows = [
        [after.get(op, 0) - before.get(op, 0), op, before.get(op, 0), after.get(op, 0)]
        for op in ops
    ]
    return sorted(rows, key=lambda r: (-abs(r[0]), r[1]))


def speed_text(factor: float | None, baseline: str = "", batch: int | None = None) -> str:
    """ "2.31× faster", or "1.25× slower" rather than a misleading "0.80× faster"; with
    what it compares against (the original in its runtime, the batch)."""
    if not factor:
        return "speed-up not measured"
    against = f" than the original in {baseline}" if baseline else ""
    context = f" (p50{f', batch {batch}' if batch else ''}, both timed in the same interleaved run)"
    if factor >= 1.0:
        return f"<b>{factor:.2f}× faster</b>{against}{context}"
    return f"<b style='color:#c0392b'>{1.0 / factor:.2f}× slower</b>{against}{context}"


def _table(
    headers: list[str], rows: list[list[Any]], parent: QWidget, stretch: int = 1
) -> QTableView:
    """Column ``stretch`` takes the spare width (and elides, the whole text in its tooltip);
    the others fit their contents."""
    model = RowsTableModel(headers, rows, parent)
    return read_only_table(model, parent, stretch=stretch, sortable=False)


def why_not(candidate: CandidateRow, verify: Verification) -> str:
    """Why a candidate was not chosen: its error, why auto mode did not build, retry or
    fully measure it, or which check it failed and by how much."""
    if candidate.error:
        return candidate.error
    if candidate.screened_out and (candidate.passed or candidate.max_abs_diff is None):
        return candidate.screened_out
    if candidate.passed:
        return ""
    top1 = candidate.top1_agreement
    reason = shortfall(candidate.max_abs_diff, top1, verify.atol, verify.min_top1)
    return f"{reason}; {candidate.screened_out}" if candidate.screened_out else reason


def verify_text(candidate: CandidateRow) -> str:
    """pass / fail, or – for a candidate auto mode did not build (nothing was verified)."""
    if candidate.passed:
        return "pass"
    built = candidate.max_abs_diff is not None or candidate.error
    return "fail" if built else "–"


def interval_text(candidate: CandidateRow) -> str:
    """The p50's interval in the full measurement, or the quick round's p50, labelled."""
    if candidate.latency_ms_interval:
        low, high = candidate.latency_ms_interval
        return f"{low:.3g}–{high:.3g}"
    if candidate.screen_ms_p50 is not None:
        return f"quick round {candidate.screen_ms_p50:.3g}"
    return ""


def decision_text(report: OptimizeReport) -> str:
    """How auto mode's measurement decided; an undecided one in red."""
    decision = report.decision
    if decision is None or not decision.text:
        return ""
    if decision.decided:
        return escape(decision.text)
    return f"<b style='color:#c0392b'>{escape(decision.text)}</b>"


def deploy_text(report: OptimizeReport) -> str:
    """Which runtime and precision the handed-back model was measured in, and its files."""
    names = ", ".join(Path(f).name for f in report.files) or Path(report.output).name
    text = f"<b>{escape(report.runtime)}</b> ({escape(report.precision)}): {escape(names)}"
    chosen = next((c for c in report.candidates or [] if c.chosen), None)
    if chosen is not None and chosen.worst_nodes:
        worst = ", ".join(
            f"{escape(n.node)} ({n.contribution:.2g})" for n in chosen.worst_nodes[:3]
        )
        text += f"<br>largest INT8 error added by: {worst}"
    return text


class LatencyChart(pg.PlotWidget):
    """p50 / p90 / p99 of the original beside the optimized model."""

    def __init__(self, latency: dict[str, Latency], parent=None) -> None:
        super().__init__(parent, background="w")
        x = list(range(len(PERCENTILES)))
        for offset, key, brush in (
            (-0.2, "original", ORIGINAL_BRUSH),
            (0.2, "optimized", OPTIMIZED_BRUSH),
        ):
            heights = [getattr(latency[key], p) if key in latency else 0.0 for p in PERCENTILES]
            self.addItem(
                pg.BarGraphItem(x=[i + offset for i in x], height=heights, width=0.38, brush=brush)
            )
        self.getAxis("bottom").setTicks([list(zip(x, PERCENTILES, strict=True))])
        self.setXRange(-0.6, len(PERCENTILES) - 0.4, padding=0)
        self.getAxis("left").enableAutoSIPrefix(False)
        self.setTitle("Latency (ms): original grey, optimized green")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()


RUNTIME_SYMBOLS = {"onnxruntime": "o", "openvino": "t1"}


class CandidatePlot(pg.PlotWidget):
    """Auto mode's candidates: latency against error, the chosen one ringed; the runtime
    as the marker (circle onnxruntime, triangle OpenVINO), the precision in the tooltip."""

    def __init__(self, candidates: list[CandidateRow], parent=None) -> None:
        super().__init__(parent, background="w")
        timed = [
            c for c in candidates if c.latency_ms_p50 is not None and c.max_abs_diff is not None
        ]
        for passed, brush in ((True, (46, 139, 87)), (False, (192, 57, 43))):
            points = [c for c in timed if c.passed == passed]
            self.addItem(
                pg.ScatterPlotItem(
                    spots=[
                        {
                            "pos": (c.latency_ms_p50, c.max_abs_diff),
                            "symbol": RUNTIME_SYMBOLS.get(c.runtime, "s"),
                            "data": f"{c.name}: {c.runtime}, {c.precision}",
                        }
                        for c in points
                    ],
                    size=11,
                    brush=pg.mkBrush(*brush),
                    pen=None,
                    hoverable=True,
                    tip=lambda x, y, data: f"{data}\n{x:.3g} ms, max abs diff {y:.3g}",
                )
            )
        chosen = [c for c in timed if c.chosen]
        if chosen:
            self.addItem(
                pg.ScatterPlotItem(
                    x=[chosen[0].latency_ms_p50],
                    y=[chosen[0].max_abs_diff],
                    size=20,
                    brush=None,
                    pen=pg.mkPen("k", width=2),
                )
            )
        self.setLabel("bottom", "latency p50 (ms)")
        self.setLabel("left", "max abs diff")
        for side in ("bottom", "left"):
            self.getAxis(side).enableAutoSIPrefix(False)
        # two short lines: one long line is clipped when the pane is narrow
        self.setTitle("● ORT  ▲ OpenVINO<br>green pass · red fail · ringed: chosen")


class OptimizeResults(QWidget):
    def __init__(self, report: OptimizeReport, parent=None) -> None:
        super().__init__(parent)
        self.report = report
        layout = QVBoxLayout(self)
        layout.addLayout(self._headline())
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        top = QSplitter(Qt.Orientation.Horizontal, splitter)
        before, after = report.before.op_counts, report.after.op_counts
        self.delta_view = _table(
            ["Change", "Op type", "Before", "After"], node_delta_rows(before, after), top
        )
        self.latency_chart = LatencyChart(report.latency_ms, top)
        candidates = report.candidates or []
        if candidates:
            bottom = QSplitter(Qt.Orientation.Horizontal, splitter)
            rows = [
                [
                    "✔" if c.chosen else "",
                    c.name,
                    c.runtime,
                    c.precision,
                    "–" if c.latency_ms_p50 is None else round(c.latency_ms_p50, 3),
                    interval_text(c),
                    c.max_abs_diff,
                    verify_text(c),
                    why_not(c, report.verify),
                ]
                for c in candidates
            ]
            headers = [
                "Chosen",
                "Candidate",
                "Runtime",
                "Precision",
                "p50 in auto's run (ms)",
                "p50 interval (ms)",
                "Max abs diff",
                "Verify",
                "Why not",
            ]
            # names and numbers fit; the long "Why not" text takes what is left
            self.candidate_view = _table(headers, rows, bottom, stretch=len(headers) - 1)
            self.candidate_plot = CandidatePlot(candidates, bottom)
        for pane in splitter.findChildren(QSplitter):
            pane.setSizes([640, 460])
        if candidates:  # the candidate table's columns, "Why not" last, want the width
            bottom.setSizes([880, 420])
        layout.addWidget(splitter, 1)

    def _headline(self) -> QGridLayout:
        verify = self.report.verify
        self.badge = QLabel("PASS" if verify.passed else "FAIL", self)
        self.badge.setStyleSheet(PASS_STYLE if verify.passed else FAIL_STYLE)
        top1 = "—" if verify.top1_agreement is None else f"{verify.top1_agreement:.1%}"
        numbers = (
            f"max abs diff {verify.max_abs_diff:.3g} · "
            f"mean abs diff {verify.mean_abs_diff:.3g} · top-1 agreement {top1}"
        )
        report = self.report
        self.speedup_label = QLabel(
            speed_text(report.speedup, report.original_runtime, report.batch), self
        )
        self.speedup_label.setWordWrap(True)
        sizes = self.report.size_bytes
        size_text = (
            f"{human_bytes(sizes['original'])} → {human_bytes(sizes['optimized'])}"
            if {"original", "optimized"} <= set(sizes)
            else ""
        )
        grid = QGridLayout()
        grid.addWidget(QLabel("Verification", self), 0, 0)
        grid.addWidget(self.badge, 0, 1)
        grid.addWidget(QLabel(numbers, self), 0, 2)
        grid.addWidget(QLabel("Speed", self), 1, 0)
        grid.addWidget(self.speedup_label, 1, 1, 1, 2)
        grid.addWidget(QLabel("Size", self), 4, 0)
        grid.addWidget(QLabel(size_text, self), 4, 1, 1, 2)
        self.decision_label = QLabel(decision_text(report), self)
        self.decision_label.setWordWrap(True)
        measured = QLabel("Measurement", self)
        for label in (measured, self.decision_label):
            label.setVisible(bool(self.decision_label.text()))
        grid.addWidget(measured, 5, 0)
        grid.addWidget(self.decision_label, 5, 1, 1, 2)
        self.deploy_label = QLabel(deploy_text(report), self)
        self.deploy_label.setWordWrap(True)
        grid.addWidget(QLabel("Deploy with", self), 3, 0)
        grid.addWidget(self.deploy_label, 3, 1, 1, 2)
        self.notes_area = self._notes_area(report.notes)
        grid.addWidget(self.notes_area, 2, 0, 1, 3)
        grid.setColumnStretch(2, 1)
        return grid

    def _notes_area(self, notes: list[str]) -> QScrollArea:
        """The report's notes, scrolling past :data:`NOTE_LINES` lines: a model with many
        INT8 retries must not push the candidate table off the page."""
        self.notes = QLabel("<br>".join(f"⚠ {escape(n)}" for n in notes), self)
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #a05a00;")
        area = QScrollArea(self)
        area.setWidget(self.notes)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setMaximumHeight(int(self.fontMetrics().lineSpacing() * NOTE_LINES) + 4)
        area.setVisible(bool(notes))
        return area
