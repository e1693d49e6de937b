"""Search over slice names and op types: match the small string tables, then the columns.

A pattern is tested once per distinct string (thousands at most), and the matching ids are
found in the 10M-long columns with one vectorised ``np.isin`` each.
"""

from __future__ import annotations

import re

import numpy as np

from opscope.errors import OpscopeError
from opscope.profiling.trace import Trace


def matching_ids(strings: list[str], pattern: str, regex: bool) -> np.ndarray:
    """Ids of the strings matching ``pattern`` (case-insensitive substring, or a regex)."""
    if regex:
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise OpscopeError(f"invalid regular expression {pattern!r}: {exc}") from exc
        hits = [i for i, text in enumerate(strings) if compiled.search(text)]
    else:
        needle = pattern.casefold()
        hits = [i for i, text in enumerate(strings) if needle in text.casefold()]
    return np.asarray(hits, dtype=np.int32)


def find_slices(trace: Trace, pattern: str, regex: bool = False) -> np.ndarray:
    """Indices of the slices whose name or op type matches ``pattern``."""
    if not pattern:
        return np.zeros(0, np.int64)
    mask = np.isin(trace.name, matching_ids(trace.names, pattern, regex))
    mask |= np.isin(trace.op, matching_ids(trace.ops, pattern, regex))
    return np.flatnonzero(mask)


def occurrences(trace: Trace, column: str, value: str) -> np.ndarray:
    """Indices of the slices whose ``column`` ("op" or "name") equals ``value``."""
    table = trace.ops if column == "op" else trace.names
    ids = [i for i, text in enumerate(table) if text == value]
    return np.flatnonzero(np.isin(getattr(trace, column), ids))
