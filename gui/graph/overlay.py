"""Overlays colour the boxes by something measured: a palette and a level per shown item.

Measured time and quantization error use a log scale (one slow node among thousands of
fast ones must still stand out); the diff uses one colour per kind of change. A collapsed
scope gets the sum of its nodes' times, the worst error among them, and the kind of change
most of its nodes had.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

TIME_LEVELS = 12
NO_DATA = -1
NO_DATA_COLOR = QColor(225, 225, 225)  # boxes without a value
FUSED_COLOR = QColor(150, 190, 215)  # a node that ran inside another, which holds the time
DIFF_COLORS = {
    "kept": QColor(205, 210, 218),
    "added": QColor(60, 170, 90),
    "removed": QColor(215, 70, 60),
    "fused": QColor(150, 90, 200),
    "quantized": QColor(240, 160, 40),
}


@dataclass
class Overlay:
    """``level`` per shown item indexes ``palette`` (``NO_DATA``: drawn grey); ``legend``
    lists (colour, text) pairs for the page's legend."""

    title: str
    level: np.ndarray
    palette: list[QColor]
    legend: list[tuple[QColor, str]]


def _time_palette() -> list[QColor]:
    colors = pg.colormap.get("inferno").getLookupTable(0.15, 0.95, TIME_LEVELS, alpha=False)
    return [QColor(int(r), int(g), int(b)) for r, g, b in colors]


def log_overlay(values: np.ndarray, title: str, text) -> Overlay:
    """Levels on a log scale between the smallest and the largest positive value;
    ``text`` writes a value for the legend."""
    level = np.full(values.size, NO_DATA, dtype=np.int64)
    measured = values > 0
    palette = _time_palette()
    if not measured.any():
        return Overlay(title, level, palette, [])
    logs = np.log10(values[measured].astype(np.float64))
    low, high = float(logs.min()), float(logs.max())
    scaled = (logs - low) / max(high - low, 1e-9)
    level[measured] = np.minimum((scaled * TIME_LEVELS).astype(np.int64), TIME_LEVELS - 1)
    legend = [(palette[0], text(10**low)), (palette[-1], text(10**high))]
    return Overlay(title, level, palette, legend)


def time_overlay(item_ns: np.ndarray, title: str = "self time") -> Overlay:
    return log_overlay(item_ns, title, time_text)


def error_overlay(item_error: np.ndarray) -> Overlay:
    """Quantization error per node (relative L2 of its output); a scope shows its worst."""
    return log_overlay(item_error, "INT8 error (relative L2)", lambda v: f"{v:.2g}")


def time_text(ns: float) -> str:
    return f"{ns / 1e6:.3f} ms" if ns < 1e8 else f"{ns / 1e9:.2f} s"


def diff_overlay(item_kind: list[str | None], counts: dict[str, int]) -> Overlay:
    kinds = list(DIFF_COLORS)
    level = np.asarray([kinds.index(k) if k in kinds else NO_DATA for k in item_kind], np.int64)
    legend = [(DIFF_COLORS[k], f"{k} {counts.get(k, 0):,}") for k in kinds]
    return Overlay("diff", level, [DIFF_COLORS[k] for k in kinds], legend)
