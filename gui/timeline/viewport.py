"""The visible time window, in ns relative to the trace's first event.

Pure arithmetic, no Qt: zooming keeps the time under the anchor (cursor or centre) fixed,
panning moves by a fraction of the visible span, and the window never leaves the trace
(plus a small margin after its end; never before time zero) or shrinks below a few
nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_SPAN_NS = 10.0
MARGIN = 0.02  # fraction of the trace span allowed beyond its end


@dataclass
class Viewport:
    span_ns: float  # the whole trace
    begin: float = 0.0
    end: float = 0.0

    def __post_init__(self) -> None:
        self.span_ns = max(float(self.span_ns), MIN_SPAN_NS)
        if self.end <= self.begin:
            self.fit_all()

    @property
    def width(self) -> float:
        return self.end - self.begin

    def fit_all(self) -> None:
        self.begin, self.end = 0.0, self.span_ns * (1 + MARGIN)

    def set_range(self, begin: float, end: float) -> None:
        """Show [begin, end], clamped to the trace and the minimum span."""
        if end - begin < MIN_SPAN_NS:
            middle = (begin + end) / 2
            begin, end = middle - MIN_SPAN_NS / 2, middle + MIN_SPAN_NS / 2
        low, high = 0.0, self.span_ns * (1 + MARGIN)
        width = min(end - begin, high - low)
        begin = min(max(begin, low), high - width)
        self.begin, self.end = begin, begin + width

    def zoom(self, factor: float, anchor: float | None = None) -> None:
        """Scale the visible span by ``factor`` (< 1 zooms in) keeping ``anchor`` in place."""
        anchor = (self.begin + self.end) / 2 if anchor is None else anchor
        self.set_range(
            anchor - (anchor - self.begin) * factor, anchor + (self.end - anchor) * factor
        )

    def pan(self, fraction: float) -> None:
        """Move by ``fraction`` of the visible span (positive moves later in time)."""
        shift = self.width * fraction
        self.set_range(self.begin + shift, self.end + shift)

    def x_of(self, t: float, width_px: float) -> float:
        return (t - self.begin) * width_px / self.width

    def t_of(self, x: float, width_px: float) -> float:
        return self.begin + x * self.width / max(width_px, 1.0)
