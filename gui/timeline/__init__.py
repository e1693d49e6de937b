"""The trace timeline: tracks per lane, slices drawn from the columnar arrays per frame."""

from opscope.gui.timeline.colors import op_color
from opscope.gui.timeline.view import TimelineView

__all__ = ["TimelineView", "op_color"]
