"""Vertical layout of the timeline: process groups, their lanes' depth rows and counters.

Pure Python over the trace's small tables (lanes, row bounds, counters); rebuilt only when
a process group is collapsed or expanded, never per frame.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from opscope.profiling.trace import Trace

HEADER_HEIGHT = 22
ROW_HEIGHT = 18
COUNTER_HEIGHT = 40
LANE_GAP = 4


@dataclass(frozen=True)
class Row:
    kind: str  # "process" | "slices" | "counter"
    y: int
    height: int
    process: str
    label: str = ""  # shown beside the first row of a lane, or the counter's name
    lane: int = -1
    depth: int = 0
    begin: int = 0  # [begin, end) slice indices of this (lane, depth), sorted by start
    end: int = 0
    counter: int = -1  # index into trace.counters


class TrackLayout:
    """Rows from top to bottom; ``collapsed`` holds the process names shown as headers only."""

    def __init__(self, trace: Trace, collapsed: set[str] | None = None) -> None:
        self.trace = trace
        self.collapsed = set(collapsed or ())
        self.rows: list[Row] = []
        self._build()
        self._tops = [row.y for row in self.rows]

    @property
    def height(self) -> int:
        return self.rows[-1].y + self.rows[-1].height if self.rows else 0

    def row_at(self, y: float) -> Row | None:
        position = bisect.bisect_right(self._tops, y) - 1
        if position < 0:
            return None
        row = self.rows[position]
        return row if y < row.y + row.height else None

    def slice_row_of(self, index: int) -> Row | None:
        """The row that draws slice ``index`` (``None`` when its process is collapsed)."""
        lane, depth = int(self.trace.lane[index]), int(self.trace.depth[index])
        for row in self.rows:
            if row.kind == "slices" and row.lane == lane and row.depth == depth:
                return row
        return None

    def lane_top_row(self, lane: int) -> Row | None:
        for row in self.rows:
            if row.kind == "slices" and row.lane == lane and row.depth == 0:
                return row
        return None

    def _processes(self) -> list[str]:
        """Process names ordered by their lanes' sort index, then first appearance."""
        order: dict[str, tuple[int, int]] = {}
        for position, lane in enumerate(self.trace.lanes):
            key = (lane.sort_index, position)
            order[lane.process] = min(order.get(lane.process, key), key)
        for series in self.trace.counters:
            order.setdefault(series.process, (1 << 30, len(order)))
        return sorted(order, key=order.__getitem__)

    def _lane_depths(self) -> dict[int, list[tuple[int, int, int]]]:
        """lane -> [(depth, begin, end)] for every row that holds slices or instants."""
        depths: dict[int, list[tuple[int, int, int]]] = {}
        for (lane, depth), (begin, end) in sorted(self.trace.row_bounds().items()):
            depths.setdefault(lane, []).append((depth, begin, end))
        for lane in np.unique(self.trace.instant_lane).tolist():
            depths.setdefault(int(lane), [(0, 0, 0)])
        return depths

    def _build(self) -> None:
        depths = self._lane_depths()
        lanes = sorted(
            depths,
            key=lambda i: (self.trace.lanes[i].sort_index, self.trace.lanes[i].label, i),
        )
        y = 0
        for process in self._processes():
            self.rows.append(Row("process", y, HEADER_HEIGHT, process, process))
            y += HEADER_HEIGHT
            if process in self.collapsed:
                continue
            for lane in (i for i in lanes if self.trace.lanes[i].process == process):
                y = self._add_lane(lane, depths[lane], y)
            for index, series in enumerate(self.trace.counters):
                if series.process == process:
                    self.rows.append(
                        Row("counter", y, COUNTER_HEIGHT, process, series.name, counter=index)
                    )
                    y += COUNTER_HEIGHT + LANE_GAP

    def _add_lane(self, lane: int, rows: list[tuple[int, int, int]], y: int) -> int:
        label = self.trace.lanes[lane].label
        max_depth = max(depth for depth, _, _ in rows)
        by_depth = {depth: (begin, end) for depth, begin, end in rows}
        for depth in range(max_depth + 1):
            begin, end = by_depth.get(depth, (0, 0))
            text = label if depth == 0 else ""
            self.rows.append(
                Row(
                    "slices",
                    y,
                    ROW_HEIGHT,
                    self.trace.lanes[lane].process,
                    text,
                    lane,
                    depth,
                    begin,
                    end,
                )
            )
            y += ROW_HEIGHT
        return y + LANE_GAP
