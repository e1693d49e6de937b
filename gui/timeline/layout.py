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
    kind: str  # "process" | "slices" | "counter" | "summary" (a collapsed process's busy time)
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
    """Rows from top to bottom; a process in ``collapsed`` shows its header and one summary row."""

    def __init__(self, trace: Trace, collapsed: set[str] | None = None) -> None:
        self.trace = trace
        self.collapsed = set(collapsed or ())
        self.rows: list[Row] = []
        self._build()
        self._tops = [row.y for row in self.rows]
        self._middles = self._middle_table()

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

    def row_middles(self, indices: np.ndarray) -> np.ndarray:
        """Per slice, the y of the middle of the row showing it (its process's summary row
        when collapsed); NaN where nothing shows it."""
        lanes = self.trace.lane[indices]
        depths = np.minimum(self.trace.depth[indices], self._middles.shape[1] - 1)
        return self._middles[lanes, depths]

    def _middle_table(self) -> np.ndarray:
        """(lane, depth) -> middle y, as a 2-D array for vectorised lookups."""
        depth = max((row.depth for row in self.rows if row.kind == "slices"), default=0)
        table = np.full((len(self.trace.lanes), depth + 2), np.nan)
        summaries = {row.process: row for row in self.rows if row.kind == "summary"}
        for lane, info in enumerate(self.trace.lanes):
            if info.process in summaries:
                table[lane, :] = summaries[info.process].y + ROW_HEIGHT / 2
        for row in self.rows:
            if row.kind == "slices":
                table[row.lane, row.depth] = row.y + row.height / 2
        return table

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
            own = [i for i in lanes if self.trace.lanes[i].process == process]
            if process in self.collapsed:
                y = self._add_summary(process, own, y)
                continue
            for lane in own:
                y = self._add_lane(lane, depths[lane], y)
            for index, series in enumerate(self.trace.counters):
                if series.process == process:
                    self.rows.append(
                        Row("counter", y, COUNTER_HEIGHT, process, series.name, counter=index)
                    )
                    y += COUNTER_HEIGHT + LANE_GAP

    def _add_summary(self, process: str, lanes: list[int], y: int) -> int:
        if not lanes:
            return y
        label = f"{len(lanes)} track{'s' if len(lanes) > 1 else ''} (collapsed)"
        self.rows.append(Row("summary", y, ROW_HEIGHT, process, label))
        return y + ROW_HEIGHT + LANE_GAP

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
