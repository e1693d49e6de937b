"""Find nodes by name, op type or attribute value, in graph order, and step through them."""

from __future__ import annotations

import numpy as np

from opscope.backend.graph.model import ModelGraph


def matching_nodes(graph: ModelGraph, query: str) -> np.ndarray:
    """Indices (graph order) of nodes whose name, op type or an attribute value holds
    ``query`` (case-insensitive); ``op:Conv`` matches the op type exactly."""
    text = query.strip().lower()
    if not text:
        return np.zeros(0, dtype=np.int64)
    if text.startswith("op:"):
        op = text[3:].strip()
        return np.asarray(
            [i for i, n in enumerate(graph.nodes) if n.op_type.lower() == op], dtype=np.int64
        )
    return np.asarray(
        [
            i
            for i, n in enumerate(graph.nodes)
            if text in n.name.lower()
            or text in n.op_type.lower()
            or any(text in value.lower() for value in n.attributes.values())
        ],
        dtype=np.int64,
    )


class SearchCursor:
    """The matches of the last query and which one is current; stepping wraps around."""

    def __init__(self) -> None:
        self.query = ""
        self.matches = np.zeros(0, dtype=np.int64)
        self.current = -1

    def search(self, graph: ModelGraph, query: str) -> int:
        """Run ``query``; returns the number of matches (the cursor is before the first)."""
        self.query = query
        self.matches = matching_nodes(graph, query)
        self.current = -1
        return int(self.matches.size)

    def step(self, direction: int) -> int:
        """The next (``+1``) or previous (``-1``) matching node, -1 when none."""
        if self.matches.size == 0:
            return -1
        if self.current < 0:
            self.current = 0 if direction > 0 else self.matches.size - 1
        else:
            self.current = (self.current + direction) % self.matches.size
        return int(self.matches[self.current])
