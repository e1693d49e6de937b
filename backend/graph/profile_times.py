"""Measured time per graph node from an onnxruntime profile.

onnxruntime names each kernel event after its node (``<node name>_kernel_time``), so a
profile joins the graph by name, and through the optimized graph onnxruntime saved with
the profile where it fused or rewrote nodes (:mod:`ort_fusion`). Times come from the
columnar :class:`Trace` the trace page shows, self time included, so the graph and the
timeline give one node the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from opscope.backend.contracts.graph import NodeTime
from opscope.backend.graph.model import ModelGraph
from opscope.backend.graph.ort_fusion import attribute_times, read_optimized_graph
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


def ran_graph(profile: str | Path) -> Path | None:
    """The optimized graph onnxruntime saved when it wrote ``profile``, None if none was."""
    from opscope.backend.optimize.profile import ort_optimized_model

    path = Path(profile)
    found = ort_optimized_model(path) if path.is_file() else None
    return found if found is not None and found.is_file() else None


def graph_node_times(
    trace: Trace, graph: ModelGraph | None = None, profile: str | Path = ""
) -> dict[str, NodeTime]:
    """:func:`node_times` per node of ``graph``: the nodes onnxruntime fused or rewrote get
    their times through the optimized graph it saved with ``profile`` (as it ran them
    when there is none)."""
    times = node_times(trace)
    optimized = ran_graph(profile) if graph is not None and profile else None
    if graph is None or optimized is None:
        return times
    return attribute_times(graph, read_optimized_graph(optimized), times)


def read_node_times(path: str | Path, graph: ModelGraph | None = None) -> dict[str, NodeTime]:
    """Times per node of the onnxruntime profile at ``path`` (see :func:`graph_node_times`)."""
    from opscope.profiling.reader import read_trace

    return graph_node_times(read_trace(Path(path)), graph, path)
