"""The laid-out graph as an SVG document (``opscope graph MODEL -o OUT.svg``).

Boxes are filled by op type (a hue from a CRC of the name, stable across runs), collapsed
scopes are grey with their node count, and all edges are one ``<path>``; each tensor's
shape is written under the box that writes it where the view has room (under 2,000 boxes).
"""

from __future__ import annotations

import colorsys
import zlib
from html import escape

import numpy as np

from opscope.backend.graph.layout import Layout
from opscope.backend.graph.model import ModelGraph
from opscope.backend.graph.view import INPUT, OUTPUT, SCOPE, GraphView

MARGIN = 20.0
SHAPE_LABELS_BELOW = 2000


def _fill(kind: int, label: str) -> str:
    if kind == SCOPE:
        return "#d9dde3"
    if kind in (INPUT, OUTPUT):
        return "#ffffff"
    red, green, blue = colorsys.hls_to_rgb((zlib.crc32(label.encode()) % 360) / 360, 0.78, 0.55)
    return f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"


def shape_text(shape: list | None, dtype: str | None) -> str:
    dims = "?" if shape is None else "×".join(str(d) for d in shape) or "scalar"
    return f"{dims} {dtype}" if dtype else dims


def _edges(layout: Layout, dx: float, dy: float) -> str:
    s = layout.segments
    commands = [
        f"M{x0 + dx:.1f} {y0 + dy:.1f}L{x1 + dx:.1f} {y1 + dy:.1f}" for x0, y0, x1, y1 in s.tolist()
    ]
    return f'<path d="{"".join(commands)}" stroke="#7a8494" stroke-width="1" fill="none"/>'


def _shape_labels(graph: ModelGraph, view: GraphView, layout: Layout, dx, dy) -> list[str]:
    """Each tensor's shape once, just below the box that writes it."""
    first = np.full(view.src.size, -1, dtype=np.int64)
    order = np.arange(layout.segment_edge.size)[::-1]
    first[layout.segment_edge[order]] = order
    labels, written = [], set()
    for edge, segment in enumerate(first.tolist()):
        tensor = graph.edges[int(view.edge_of[edge])]
        if segment < 0 or (int(view.src[edge]), tensor.tensor) in written:
            continue
        written.add((int(view.src[edge]), tensor.tensor))
        x0, y0 = layout.segments[segment, :2]
        text = escape(shape_text(tensor.shape, tensor.dtype))
        labels.append(
            f'<text x="{x0 + dx + 4:.1f}" y="{y0 + dy + 10:.1f}" font-size="9" '
            f'fill="#555">{text}</text>'
        )
    return labels


def graph_svg(graph: ModelGraph, view: GraphView, layout: Layout) -> str:
    left, top, right, bottom = layout.bounds
    dx, dy = MARGIN - left, MARGIN - top
    width, height = right - left + 2 * MARGIN, bottom - top + 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif">',
        '<rect width="100%" height="100%" fill="#fafafa"/>',
        _edges(layout, dx, dy),
    ]
    if view.items < SHAPE_LABELS_BELOW:
        parts += _shape_labels(graph, view, layout, dx, dy)
    for i in range(view.items):
        x = layout.x[i] - layout.width[i] / 2 + dx
        y = layout.y[i] - layout.height[i] / 2 + dy
        kind = int(view.kind[i])
        rounded = 12 if kind in (INPUT, OUTPUT) else 3
        parts.append(
            f'<g><title>{escape(view.key[i])}</title><rect x="{x:.1f}" y="{y:.1f}" '
            f'width="{layout.width[i]:.1f}" height="{layout.height[i]:.1f}" rx="{rounded}" '
            f'fill="{_fill(kind, view.label[i])}" stroke="#333" stroke-width="0.8"/>'
            f'<text x="{layout.x[i] + dx:.1f}" y="{layout.y[i] + dy + 4:.1f}" font-size="11" '
            f'text-anchor="middle">{escape(view.label[i])}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
