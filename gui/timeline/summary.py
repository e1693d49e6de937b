"""The one-row summary of a collapsed process: when any of its lanes was busy.

It is the union of the process's top-level slices (children lie inside their parents), kept
as sorted, disjoint intervals so that the painter draws it through the same level-of-detail
path as a row of slices. Built on first collapse of a process and then kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opscope.gui.timeline.lod import duration_prefix
from opscope.profiling.trace import Trace


@dataclass(frozen=True)
class BusyIntervals:
    starts: np.ndarray  # int64, sorted, disjoint
    ends: np.ndarray
    prefix: np.ndarray  # duration_prefix(starts, ends)

    @property
    def busy_ns(self) -> int:
        return int(self.prefix[-1])


def union_intervals(starts: np.ndarray, ends: np.ndarray) -> BusyIntervals:
    """Sorted, disjoint intervals covering exactly the time covered by [starts, ends)."""
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    if starts.size == 0:
        return BusyIntervals(starts, ends, duration_prefix(starts, ends))
    reach = np.maximum.accumulate(ends)  # the latest end so far
    opens = np.concatenate(([True], starts[1:] > reach[:-1]))
    first = np.flatnonzero(opens)
    last = np.concatenate((first[1:], [starts.size])) - 1
    union_starts, union_ends = starts[first], reach[last]
    return BusyIntervals(union_starts, union_ends, duration_prefix(union_starts, union_ends))


class ProcessSummaries:
    """Busy intervals per process name, computed when first asked for."""

    def __init__(self, trace: Trace, ends: np.ndarray) -> None:
        self.trace = trace
        self.ends = ends
        self._cache: dict[str, BusyIntervals] = {}

    def of(self, process: str) -> BusyIntervals:
        if process not in self._cache:
            self._cache[process] = self._build(process)
        return self._cache[process]

    def _build(self, process: str) -> BusyIntervals:
        lanes = [i for i, lane in enumerate(self.trace.lanes) if lane.process == process]
        top = np.flatnonzero(np.isin(self.trace.lane, lanes) & (self.trace.depth == 0))
        return union_intervals(self.trace.start_ns[top], self.ends[top])
