"""Measured time per graph node from an onnxruntime profile.

onnxruntime names each kernel event after its node (``<node name>_kernel_time``), so a
profile joins the graph by name. Times come from the columnar :class:`Trace` the trace page
shows, self time included, so the graph and the timeline give one node the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from opscope.backend.contracts.graph import NodeTime
from opscope.profiling.trace import Trace

KERNEL_SUFFIX = "_kernel_time"


def node_of_event(event_name: str) -> str | None:
    """The graph node an onnxruntime kernel event ran, None for any other event."""
    if event_name.endswith(KERNEL_SUFFIX) and len(event_name) > len(KERNEL_SUFFIX):
        return event_name[: -len(KERNEL_SUFFIX)]
    return None


def event_of_node(node: str) -> str:
    """The name onnxruntime gives the kernel events of ``node``."""
    return node + KERNEL_SUFFIX


def node_times(trace: Trace) -> dict[str, NodeTime]:
    """Per node name: how many kernel runs, their summed duration and self time."""
    names = np.asarray(trace.names, dtype=object)
    kernel = np.fromiter((n.endswith(KERNEL_SUFFIX) for n in trace.names), bool, len(names))
    picked = np.flatnonzero(trace.is_op & kernel[trace.name])
    ids = trace.name[picked]
    count = np.bincount(ids, minlength=len(names))
    total = np.bincount(ids, weights=trace.dur_ns[picked], minlength=len(names))
    self_time = np.bincount(ids, weights=trace.self_ns[picked], minlength=len(names))
    return {
        node_of_event(str(names[i])): NodeTime(int(count[i]), int(total[i]), int(self_time[i]))
        for i in np.flatnonzero(count)
    }


def read_node_times(path: str | Path) -> dict[str, NodeTime]:
    from opscope.profiling.reader import read_trace

    return node_times(read_trace(Path(path)))
