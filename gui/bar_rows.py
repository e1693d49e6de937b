"""Where the bars of a horizontal bar chart lie: one row per name, the first at the top.

The trace page's self-time chart and the model page's op-count chart both draw their bars
at rows n-1 (first name) down to 0, ``BAR_HEIGHT`` tall; these map between rows and names.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QPointF

BAR_HEIGHT = 0.7  # in rows


def name_at(names: Sequence[str], y: float) -> str | None:
    """The name whose bar lies at plot coordinate ``y``, None between bars."""
    row = round(y)
    if not names or not 0 <= row < len(names) or abs(y - row) > BAR_HEIGHT / 2:
        return None
    return names[len(names) - 1 - row]


def name_under(plot: pg.PlotWidget, names: Sequence[str], scene_pos: QPointF) -> str | None:
    """The name whose bar is under ``scene_pos``, None outside the plot area."""
    view_box = plot.getPlotItem().getViewBox()
    if not view_box.sceneBoundingRect().contains(scene_pos):
        return None
    return name_at(names, view_box.mapSceneToView(scene_pos).y())


def bar_start(plot: pg.PlotWidget, names: Sequence[str], name: str) -> QPointF:
    """A point on the bar of ``name`` near its start, in ``plot``'s coordinates (for tests
    and for clicks scripted like a user's)."""
    row = len(names) - 1 - list(names).index(name)
    view_box = plot.getPlotItem().getViewBox()
    scene = view_box.mapViewToScene(QPointF(view_box.viewRange()[0][1] * 0.01, row))
    return QPointF(plot.mapFromScene(scene))
