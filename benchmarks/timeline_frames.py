"""Frame times of the timeline: 200 scripted pan / zoom / scroll steps at 1600×1000, offscreen.

    python benchmarks/timeline_frames.py TRACE [--events N]

``TRACE`` is any trace opscope reads (or an imported ``.npz``); ``--events`` replicates it
end to end in time until it holds at least N slices, so a real small trace stands in for a
long run. Prints one JSON line: events, frame_ms_p50, frame_ms_p95, frame_ms_max and
first_frame_ms (building the widget and painting it once, after the trace is in memory).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from opscope.gui.timeline import TimelineView  # noqa: E402
from opscope.profiling.trace import SLICE_COLUMNS, CounterSeries, Trace, load_trace  # noqa: E402

STEPS = 200
WIDTH, HEIGHT = 1600, 1000


def open_trace(path: str) -> Trace:
    if path.endswith(".npz"):
        return load_trace(path)
    from opscope.profiling.reader import read_trace

    return read_trace(path)


def replicate(trace: Trace, events: int) -> Trace:
    """``trace`` repeated back to back in time until it has at least ``events`` slices."""
    copies = max(1, -(-events // max(trace.events, 1)))
    if copies == 1:
        return trace
    period = trace.span_ns + max(trace.span_ns // 20, 1)
    shift = np.repeat(np.arange(copies, dtype=np.int64) * period, trace.events)
    start = np.tile(trace.start_ns, copies) + shift
    lane, depth = np.tile(trace.lane, copies), np.tile(trace.depth, copies)
    order = np.lexsort((start, depth, lane))
    tiled = {
        name: np.tile(getattr(trace, name), copies)[order]
        for name in SLICE_COLUMNS
        if name not in ("start_ns", "lane", "depth")
    }
    new_index = np.empty_like(order)
    new_index[order] = np.arange(order.size)
    base = np.repeat(np.arange(copies, dtype=np.int64) * trace.events, trace.flow_src.size)
    counters = [
        CounterSeries(
            s.name,
            s.process,
            (np.tile(s.ts_ns, copies) + np.repeat(np.arange(copies) * period, s.ts_ns.size)),
            np.tile(s.values, copies),
        )
        for s in trace.counters
    ]
    instants = np.arange(copies, dtype=np.int64) * period
    return replace(
        trace,
        start_ns=start[order],
        lane=lane[order],
        depth=depth[order],
        counters=counters,
        instant_ts_ns=(trace.instant_ts_ns[None, :] + instants[:, None]).ravel(),
        instant_lane=np.tile(trace.instant_lane, copies),
        instant_name=np.tile(trace.instant_name, copies),
        flow_src=new_index[base + np.tile(trace.flow_src, copies)],
        flow_dst=new_index[base + np.tile(trace.flow_dst, copies)],
        flow_category=np.tile(trace.flow_category, copies),
        **tiled,
    )


def script(view: TimelineView, step: int) -> None:
    """Step ``step`` of the fixed script: zoom in across the trace, pan, zoom out, scroll."""
    state = view.state
    phase = step % 50
    anchor = state.viewport.span_ns * ((step * 0.37) % 1.0)
    if phase < 20:
        state.zoom(0.7, anchor)
    elif phase < 35:
        state.pan(0.3 if step % 100 < 50 else -0.3)
    else:
        state.zoom(1 / 0.5)
    if step % 5 == 0:
        state.scroll_to((step * 53) % (state.max_y_offset() + 1))


def measure(trace: Trace) -> dict[str, float | int]:
    app = QApplication.instance() or QApplication([])
    started = time.perf_counter()
    view = TimelineView(trace)
    view.resize(WIDTH, HEIGHT)
    view.show()
    view.repaint()
    app.processEvents()
    first_frame = time.perf_counter() - started
    frames = []
    for step in range(STEPS):
        begin = time.perf_counter()
        script(view, step)
        view.repaint()
        frames.append(time.perf_counter() - begin)
    app.processEvents()
    ms = np.asarray(frames) * 1e3
    return {
        "events": trace.events,
        "frame_ms_p50": round(float(np.percentile(ms, 50)), 2),
        "frame_ms_p95": round(float(np.percentile(ms, 95)), 2),
        "frame_ms_max": round(float(ms.max()), 2),
        "first_frame_ms": round(first_frame * 1e3, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--events", type=int, default=0, help="replicate to at least N slices")
    args = parser.parse_args()
    trace = replicate(open_trace(args.trace), args.events)
    print(json.dumps(measure(trace)))


if __name__ == "__main__":
    main()
