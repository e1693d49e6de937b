"""Instant events sorted by time once, so a frame or a hover finds them by binary search."""

from __future__ import annotations

import numpy as np

from opscope.profiling.trace import Trace

MARKER_HEIGHT = 7  # px, drawn at the top of the lane's first row
MARKER_HALF_WIDTH = 1.0


class InstantIndex:
    def __init__(self, trace: Trace) -> None:
        self.order = np.argsort(trace.instant_ts_ns, kind="stable")  # -> trace instant index
        self.ts = trace.instant_ts_ns[self.order]
        self.lane = trace.instant_lane[self.order]

    def between(self, begin_ns: int, end_ns: int) -> slice:
        """Positions (in time order) of the instants in [begin_ns, end_ns]."""
        first, last = np.searchsorted(self.ts, (begin_ns, end_ns + 1))
        return slice(int(first), int(last))

    def near(self, lane: int, t_ns: float, tolerance_ns: float) -> int:
        """The trace's index of the instant on ``lane`` closest to ``t_ns`` within tolerance."""
        window = self.between(int(t_ns - tolerance_ns), int(t_ns + tolerance_ns) + 1)
        positions = np.arange(window.start, window.stop)[self.lane[window] == lane]
        if positions.size == 0:
            return -1
        nearest = positions[np.argmin(np.abs(self.ts[positions] - t_ns))]
        return int(self.order[nearest])
