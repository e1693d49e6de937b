"""Statistics of a weight tensor for the details pane: min / max / mean / std, a histogram."""

from __future__ import annotations

import numpy as np

from opscope.backend.graph.model import TensorStats

HISTOGRAM_BINS = 40
SAMPLE_LIMIT = 4_000_000  # elements; beyond, an evenly spaced sample keeps this under ~50 ms


def tensor_stats(array: np.ndarray) -> TensorStats | None:
    """Statistics over the finite values of ``array``; None for non-numeric or empty tensors."""
    flat = np.asarray(array).reshape(-1)
    if flat.dtype.kind not in "biuf" or flat.size == 0:
        return None
    sampled = flat.size > SAMPLE_LIMIT
    if sampled:
        flat = flat[:: -(-flat.size // SAMPLE_LIMIT)]
    values = flat.astype(np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    low, high = float(values.min()), float(values.max())
    counts, _ = np.histogram(
        values, bins=HISTOGRAM_BINS, range=(low, high if high > low else low + 1)
    )
    return TensorStats(
        min=low,
        max=high,
        mean=float(values.mean()),
        std=float(values.std()),
        counts=[int(c) for c in counts],
        sampled=sampled,
    )
