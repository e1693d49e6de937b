"""Flow arrows (``s``/``t``/``f`` events): which slice leads to which.

PyTorch links a forward op to its backward op (``fwdbwd``) and a CUDA launch to its kernel
(``ac2g``) this way; a timeline draws them as arrows. A flow event is not a slice: it names a
point (lane, time) and binds to the slice enclosing it there (the deepest one, as Perfetto
does). Events with the same (category, name, id) form a chain s → t … → f in time order;
each consecutive pair is one arrow, stored as (source slice, destination slice).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from opscope.profiling import chrome_events as ce


@dataclass
class FlowEvents:
    """Flow events as read; ``ts`` in microseconds, ``lane_key`` as in the slice pieces."""

    group: list[int] = field(default_factory=list)
    phase: list[int] = field(default_factory=list)
    ts: list[float] = field(default_factory=list)
    lane_key: list[int] = field(default_factory=list)
    category: list[int] = field(default_factory=list)

    def add(self, group: int, phase: int, ts: float, lane_key: int, category: int) -> None:
        for column, value in zip(
            (self.group, self.phase, self.ts, self.lane_key, self.category),
            (group, phase, ts, lane_key, category),
            strict=True,
        ):
            column.append(value)

    def arrows(self) -> tuple[np.ndarray, np.ndarray]:
        """(source, destination) positions into these events, one pair per arrow."""
        group = np.asarray(self.group, np.int64)
        phase = np.asarray(self.phase, np.int8)
        ts = np.asarray(self.ts, np.float64)
        order = np.lexsort((phase, ts, group))
        g, p = group[order], phase[order]
        starts_arrow = (p[:-1] == ce.FLOW_START) | (p[:-1] == ce.FLOW_STEP)
        ends_arrow = (p[1:] == ce.FLOW_STEP) | (p[1:] == ce.FLOW_END)
        pair = (g[:-1] == g[1:]) & starts_arrow & ends_arrow & np.isfinite(ts[order][1:])
        return order[:-1][pair], order[1:][pair]


def enclosing_slices(
    start: np.ndarray,
    end: np.ndarray,
    rows: dict[tuple[int, int], tuple[int, int]],
    lane: np.ndarray,
    t: np.ndarray,
) -> np.ndarray:
    """Index of the deepest slice on ``lane[k]`` that encloses time ``t[k]`` (-1: none).

    ``rows`` is :meth:`Trace.row_bounds`: each (lane, depth) row is sorted by start and its
    slices do not overlap, so one ``searchsorted`` per row finds the candidate.
    """
    found = np.full(t.size, -1, np.int64)
    by_lane: dict[int, np.ndarray] = {}
    for key in np.unique(lane).tolist():
        by_lane[key] = np.flatnonzero(lane == key)
    for (row_lane, _depth), (begin, stop) in sorted(rows.items(), key=lambda kv: kv[0][1]):
        points = by_lane.get(row_lane)
        if points is None:
            continue
        at = t[points]
        k = begin + np.searchsorted(start[begin:stop], at, side="right") - 1
        safe = np.maximum(k, begin)
        inside = (k >= begin) & ((end[safe] > at) | (start[safe] == at))
        found[points[inside]] = k[inside]
    return found
