"""Ruler ticks and duration text: round steps (1, 2, 5 × 10^k ns) with human units."""

from __future__ import annotations

import math

import numpy as np

UNITS = ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns"))


def format_duration(ns: float, digits: int = 3) -> str:
    """``1234567`` → ``'1.23 ms'``: the largest unit that keeps the number at least 1."""
    magnitude = abs(ns)
    for scale, unit in UNITS:
        if magnitude >= scale or unit == "ns":
            value = ns / scale
            text = f"{value:.{digits}g}"
            return f"{text} {unit}"
    raise AssertionError("unreachable")


def tick_step(span_ns: float, width_px: float, min_spacing_px: float = 90.0) -> float:
    """The smallest round step whose ticks stay at least ``min_spacing_px`` apart."""
    if span_ns <= 0 or width_px <= 0:
        return 1.0
    raw = span_ns * min_spacing_px / width_px
    exponent = math.floor(math.log10(max(raw, 1e-9)))
    for mantissa in (1, 2, 5, 10):
        step = mantissa * 10.0**exponent
        if step >= raw:
            return max(step, 1.0)
    return max(10.0 ** (exponent + 1), 1.0)


def ticks(begin_ns: float, end_ns: float, width_px: float) -> tuple[np.ndarray, float]:
    """Tick positions (ns) covering [begin, end], and the step between them."""
    step = tick_step(end_ns - begin_ns, width_px)
    first = math.ceil(begin_ns / step) * step
    count = max(int((end_ns - first) // step) + 1, 0)
    return first + step * np.arange(count), step


def format_tick(ns: float, step: float) -> str:
    """A tick label in the largest unit the value reaches (``11.5 ms``, not ``11500 µs``),
    precise enough that neighbouring ticks read differently."""
    magnitude = max(abs(ns), step)
    for scale, unit in UNITS:
        if magnitude >= scale or unit == "ns":
            decimals = max(0, -math.floor(math.log10(step / scale) + 1e-9))
            return f"{ns / scale:.{decimals}f} {unit}"
    raise AssertionError("unreachable")
