"""Colours of ops, derived from the op's name so they never depend on the order of appearance.

The same op type gets the same colour in every trace and every session, which is what makes
a before/after pair of timelines comparable at a glance.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

from PySide6.QtGui import QColor

DENSITY_RGB = (62, 74, 94)  # slate: density says "busy", not which op
DENSITY_MIN_ALPHA = 70  # a column holding one tiny slice must still show


@lru_cache(maxsize=4096)
def op_color(name: str) -> QColor:
    """A mid-saturation colour from a CRC of ``name``: stable across runs and machines."""
    digest = zlib.crc32(name.encode("utf-8"))
    hue = digest % 360
    saturation = 110 + (digest >> 9) % 80
    lightness = 120 + (digest >> 17) % 50
    return QColor.fromHsl(hue, saturation, lightness)


@lru_cache(maxsize=64)
def density_color(level: int, levels: int) -> QColor:
    """The neutral density colour, more opaque the busier the column (``level`` of ``levels``)."""
    alpha = DENSITY_MIN_ALPHA + (255 - DENSITY_MIN_ALPHA) * level // levels
    return QColor(*DENSITY_RGB, alpha)


def text_color(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background``."""
    luminance = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor(0, 0, 0) if luminance > 140 else QColor(255, 255, 255)
