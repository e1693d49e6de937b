"""The graph job's result file: the graph, the open scopes and the layout of that view.

Coordinates of 10,000 boxes and their edge segments are arrays; they travel as raw bytes
inside one msgpack file in the cache, so the GUI reads them back without a Python object
per number and decodes the graph strictly typed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec
import numpy as np

from opscope.atomic import write_bytes_atomic
from opscope.backend.graph.layout import Layout
from opscope.backend.graph.model import ModelGraph
from opscope.errors import OpscopeError
from opscope.paths import cache_dir, trim_cache

CACHE_BUDGET_BYTES = 1 << 30
LAYOUT_FIELDS = ("x", "y", "width", "height", "layer", "segments", "segment_edge")


class Array(msgspec.Struct, frozen=True):
    dtype: str
    shape: list[int]
    data: bytes

    @classmethod
    def of(cls, array: np.ndarray) -> Array:
        array = np.ascontiguousarray(array)
        return cls(array.dtype.str, list(array.shape), array.tobytes())

    def array(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype=np.dtype(self.dtype)).reshape(self.shape).copy()


class GraphFile(msgspec.Struct, frozen=True, kw_only=True):
    source: str
    graph: ModelGraph
    expanded: list[str]
    layout: dict[str, Array]


def graph_file_path(source: str, variant: str = "") -> Path:
    """Where the graph job writes the graph of ``source`` (``variant``: native, converted)."""
    digest = hashlib.sha1(f"{Path(source).resolve()}\0{variant}".encode()).hexdigest()[:16]
    folder = cache_dir("graphs")
    trim_cache(folder, CACHE_BUDGET_BYTES)
    return folder / f"{Path(source).stem}-{digest}.msgpack"


def save_graph_file(target: Path, source: str, graph: ModelGraph, expanded, layout: Layout):
    arrays = {name: Array.of(getattr(layout, name)) for name in LAYOUT_FIELDS}
    content = GraphFile(source=source, graph=graph, expanded=sorted(expanded), layout=arrays)
    write_bytes_atomic(target, msgspec.msgpack.encode(content))


def load_graph_file(path: str | Path) -> tuple[ModelGraph, set[str], Layout]:
    try:
        content = msgspec.msgpack.decode(Path(path).read_bytes(), type=GraphFile)
    except (OSError, msgspec.DecodeError) as exc:
        raise OpscopeError(f"cannot read the graph file {path} ({exc})") from exc
    layout = Layout(**{name: content.layout[name].array() for name in LAYOUT_FIELDS})
    return content.graph, set(content.expanded), layout
