"""A set of highlighted slices (search matches or one op's occurrences) and a cursor in it.

Indices are kept sorted by index, which is (lane, depth, start) order: each row's matches are
one contiguous, start-sorted run, so the painter lays them out like a row of their own.
Stepping goes in time order, which is the order a person reads the timeline in.
"""

from __future__ import annotations

import numpy as np

from opscope.gui.timeline.lod import duration_prefix
from opscope.profiling.trace import Trace


class Highlight:
    def __init__(self, trace: Trace, indices: np.ndarray, label: str = "") -> None:
        self.label = label
        self.indices = np.unique(np.asarray(indices, dtype=np.int64))
        self.starts = trace.start_ns[self.indices]
        self.ends = self.starts + trace.dur_ns[self.indices]
        self.prefix = duration_prefix(self.starts, self.ends)
        self.ops = trace.op[self.indices]
        self._by_time = self.indices[np.argsort(self.starts, kind="stable")]
        self.cursor = -1  # position in time order; -1 before the first step

    def __len__(self) -> int:
        return int(self.indices.size)

    def row_span(self, begin: int, end: int) -> tuple[int, int]:
        """Positions of the highlighted slices among the trace's [begin, end) slices."""
        return (
            int(np.searchsorted(self.indices, begin)),
            int(np.searchsorted(self.indices, end)),
        )

    def step(self, direction: int) -> int:
        """Move the cursor forwards (1) or backwards (-1), wrapping; the slice index, or -1."""
        if not len(self):
            return -1
        if self.cursor < 0:
            self.cursor = 0 if direction > 0 else len(self) - 1
        else:
            self.cursor = (self.cursor + direction) % len(self)
        return int(self._by_time[self.cursor])

    def current(self) -> int:
        return int(self._by_time[self.cursor]) if self.cursor >= 0 else -1
