"""Layered (top-to-bottom) layout of a directed graph, in numpy: fast at 10,000+ nodes.

Sugiyama's four steps, each chosen for speed at the sizes netron chokes on:

1. cycles: edges against a topological order (Kahn's, ties by node order) are reversed;
2. layers: longest path from the sources, then every vertex with readers moved down to
   just above its first reader, so constants and shape arithmetic sit where they are used;
3. order within layers: edges across a few layers become chains of dummy vertices (longer
   ones stay straight lines); barycentre sweeps,
   down and up, update every layer at once (a vectorized Jacobi step, not layer by layer);
4. x: each vertex moves towards the mean x of its neighbours, then overlaps are resolved in
   one segmented ``maximum.accumulate`` (left push) and ``minimum.accumulate`` (right push),
   averaged; dummies make long edges run straight.

The result carries every edge as line segments (through its dummies) for batched drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LAYER_GAP = 36.0  # vertical space between a layer's boxes and the next layer's
NODE_GAP = 18.0  # horizontal space between neighbouring boxes
DUMMY_WIDTH = 6.0
LONG_SPAN = 8  # an edge across more layers is drawn straight, without dummies (see _chains)
ORDER_SWEEPS = 6
X_SWEEPS = 4


@dataclass
class Layout:
    """Box centres and sizes per vertex; ``segments`` rows are (x0, y0, x1, y1) with
    ``segment_edge`` naming the input edge each belongs to."""

    x: np.ndarray
    y: np.ndarray
    width: np.ndarray
    height: np.ndarray
    layer: np.ndarray
    segments: np.ndarray
    segment_edge: np.ndarray

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) around every box and edge."""
        if self.x.size == 0:
            return 0.0, 0.0, 1.0, 1.0
        s = self.segments
        xs = np.concatenate((self.x - self.width / 2, self.x + self.width / 2, s[:, 0], s[:, 2]))
        ys = np.concatenate((self.y - self.height / 2, self.y + self.height / 2, s[:, 1], s[:, 3]))
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _topological_rank(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Rank of each vertex in a topological order; a cycle is broken at its lowest vertex."""
    order = np.argsort(src, kind="stable")
    heads = np.searchsorted(src[order], np.arange(n + 1))
    targets = dst[order].tolist()
    indegree = np.bincount(dst, minlength=n).tolist()
    rank = [-1] * n
    ready = [v for v in range(n) if indegree[v] == 0]
    ready.reverse()
    next_rank, cursor = 0, 0
    bounds = heads.tolist()
    while next_rank < n:
        if not ready:  # a cycle: release the lowest vertex not yet placed
            while rank[cursor] >= 0:
                cursor += 1
            ready.append(cursor)
            indegree[cursor] = 0
        vertex = ready.pop()
        if rank[vertex] >= 0:
            continue
        rank[vertex] = next_rank
        next_rank += 1
        released = []
        for target in targets[bounds[vertex] : bounds[vertex + 1]]:
            indegree[target] -= 1
            if indegree[target] == 0 and rank[target] < 0:
                released.append(target)
        ready.extend(reversed(released))
    return np.asarray(rank, dtype=np.int64)


def _layers(n: int, src: np.ndarray, dst: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Longest-path layers over the DAG (``rank[src] < rank[dst]``), then every vertex that
    has readers moved down to just above its first reader.

    The second pass matters for exported models: shape arithmetic on the input (Shape,
    Gather, Mod …) depends only on the input, so longest-path puts all of it in the top
    layers, hundreds of boxes wide, with edges to readers thousands of layers below.
    """
    layer = [0] * n
    by_rank = np.argsort(rank[src], kind="stable")
    for s, d in zip(src[by_rank].tolist(), dst[by_rank].tolist(), strict=True):
        if layer[d] <= layer[s]:
            layer[d] = layer[s] + 1
    order = np.argsort(src, kind="stable")
    heads = np.searchsorted(src[order], np.arange(n + 1)).tolist()
    readers = dst[order].tolist()
    for vertex in np.argsort(-rank, kind="stable").tolist():
        first, last = heads[vertex], heads[vertex + 1]
        if first < last:
            layer[vertex] = min(layer[r] for r in readers[first:last]) - 1
    layers = np.asarray(layer, dtype=np.int64)
    return layers - (layers.min() if n else 0)


def _chains(
    src: np.ndarray, dst: np.ndarray, layers: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split edges spanning several layers with dummy vertices numbered after the real ones.

    An edge across more than ``LONG_SPAN`` layers stays one straight segment: a value read
    by every block of a deep model (a shared mask, a shape constant) would otherwise add
    a dummy per layer per reader, millions in a 125-layer transformer.
    Returns the segments (upper vertex, lower vertex, edge index) and each dummy's layer."""
    n = layers.size
    span = layers[dst] - layers[src]
    dummies = np.where(span <= LONG_SPAN, np.maximum(span - 1, 0), 0)
    edge_of_dummy = np.repeat(np.arange(src.size), dummies)
    starts = np.concatenate(([0], np.cumsum(dummies)))
    step = np.arange(edge_of_dummy.size) - starts[edge_of_dummy] + 1  # 1 … span-1
    dummy_layer = layers[src][edge_of_dummy] + step
    dummy_id = n + np.arange(edge_of_dummy.size)
    # chain of each edge: src, its dummies…, dst; segments join consecutive members
    points_per_edge = dummies + 2
    member = np.empty(points_per_edge.sum(), dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(points_per_edge)))
    member[offsets[:-1]] = src
    member[offsets[1:] - 1] = dst
    inner = np.ones(member.size, dtype=bool)
    inner[offsets[:-1]] = False
    inner[offsets[1:] - 1] = False
    member[inner] = dummy_id
    edge_of_point = np.repeat(np.arange(src.size), points_per_edge)
    last = np.zeros(member.size, dtype=bool)
    last[offsets[1:] - 1] = True
    upper = member[~last]
    lower = np.roll(member, -1)[~last]
    return upper, lower, edge_of_point[~last], dummy_layer


def _rank_within_layers(layers: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Position of each vertex in its layer when each layer is sorted by ``key``."""
    order = np.lexsort((key, layers))
    first = np.searchsorted(layers[order], layers[order], side="left")
    position = np.empty(layers.size, dtype=np.float64)
    position[order] = np.arange(layers.size) - first
    return position


def _barycentres(
    position: np.ndarray, upper: np.ndarray, lower: np.ndarray, downward: bool
) -> np.ndarray:
    """Mean position of each vertex's neighbours above (down sweep) or below; own if none."""
    this, other = (lower, upper) if downward else (upper, lower)
    total = np.bincount(this, weights=position[other], minlength=position.size)
    count = np.bincount(this, minlength=position.size)
    return np.where(count > 0, total / np.maximum(count, 1), position)


def _order(layers: np.ndarray, upper: np.ndarray, lower: np.ndarray, initial: np.ndarray):
    position = _rank_within_layers(layers, initial)
    for sweep in range(ORDER_SWEEPS):
        bary = _barycentres(position, upper, lower, downward=sweep % 2 == 0)
        position = _rank_within_layers(layers, bary + 1e-6 * position)
    return position


def _separate(layers_sorted: np.ndarray, desired: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Closest x to ``desired`` (per layer, in order) keeping ``gaps`` between neighbours.

    With ``o`` the summed gaps from a layer's first vertex, the constraint is that
    ``x - o`` never decreases along the layer: a forward running maximum of
    ``desired - o`` pushes right, a backward running minimum pushes left; both are
    feasible, so is their mean. Lifting each layer by ``layer × spread`` keeps one
    running maximum / minimum from crossing into the next layer.
    """
    new_layer = np.concatenate(([True], layers_sorted[1:] != layers_sorted[:-1]))
    summed = np.cumsum(np.where(new_layer, 0.0, gaps))
    offset = summed - np.maximum.accumulate(np.where(new_layer, summed, 0.0))
    relative = desired - offset
    spread = float(relative.max() - relative.min()) + 1.0 if relative.size else 1.0
    lift = layers_sorted.astype(np.float64) * spread
    pushed_right = np.maximum.accumulate(relative + lift) - lift
    pushed_left = np.minimum.accumulate((relative + lift)[::-1])[::-1] - lift
    return (pushed_right + pushed_left) / 2.0 + offset


def layered_layout(
    n: int, src: np.ndarray, dst: np.ndarray, width: np.ndarray, height: np.ndarray
) -> Layout:
    """Lay out ``n`` vertices (box ``width`` × ``height``) joined by edges ``src → dst``."""
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    keep = src != dst
    edge_index = np.flatnonzero(keep)
    src, dst = src[keep], dst[keep]
    rank = _topological_rank(n, src, dst) if n else np.zeros(0, np.int64)
    backward = rank[src] > rank[dst]
    top, bottom = np.where(backward, dst, src), np.where(backward, src, dst)
    layers = _layers(n, top, bottom, rank) if n else np.zeros(0, np.int64)
    upper, lower, seg_edge, dummy_layer = _chains(top, bottom, layers)
    all_layers = np.concatenate((layers, dummy_layer))
    initial = np.concatenate((rank.astype(np.float64), np.full(dummy_layer.size, 0.0)))
    span = layers[bottom] - layers[top]
    dummy_owner = np.repeat(np.arange(top.size), np.where(span <= LONG_SPAN, span - 1, 0))
    initial[n:] = rank[top][dummy_owner] + 0.5
    short = all_layers[lower] - all_layers[upper] == 1
    position = _order(all_layers, upper[short], lower[short], initial)
    widths = np.concatenate((np.asarray(width, float), np.full(dummy_layer.size, DUMMY_WIDTH)))
    x = _x_coordinates(all_layers, position, widths, upper[short], lower[short])
    row_height = _row_heights(
        all_layers, np.concatenate((np.asarray(height, float), np.zeros(dummy_layer.size)))
    )
    row_top = np.concatenate(([0.0], np.cumsum(row_height + LAYER_GAP)))[:-1]
    y = row_top[all_layers] + row_height[all_layers] / 2
    heights = np.asarray(height, float)
    y0 = y[upper] + np.where(upper < n, heights[np.minimum(upper, n - 1)] / 2, 0.0)
    y1 = y[lower] - np.where(lower < n, heights[np.minimum(lower, n - 1)] / 2, 0.0)
    segments = np.column_stack((x[upper], y0, x[lower], y1))
    return Layout(
        x=x[:n],
        y=y[:n],
        width=np.asarray(width, float),
        height=heights,
        layer=layers,
        segments=segments,
        segment_edge=edge_index[seg_edge],
    )


def _row_heights(layers: np.ndarray, heights: np.ndarray) -> np.ndarray:
    count = int(layers.max()) + 1 if layers.size else 0
    row = np.zeros(count)
    np.maximum.at(row, layers, heights)
    return row


def _x_coordinates(layers, position, widths, upper, lower) -> np.ndarray:
    order = np.lexsort((position, layers))
    layers_sorted = layers[order]
    w = widths[order]
    gaps = np.concatenate(([0.0], (w[1:] + w[:-1]) / 2 + NODE_GAP))
    x = np.zeros(layers.size)
    x[order] = _separate(layers_sorted, np.zeros(layers.size), gaps)
    for sweep in range(X_SWEEPS):
        desired = _barycentres(x, upper, lower, downward=sweep % 2 == 0)
        x[order] = _separate(layers_sorted, desired[order], gaps)
    return x
