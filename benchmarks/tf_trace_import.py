"""TensorFlow Profiler import against xprof's trace viewer conversion; prints one JSON line.

Writes a TF profiler logdir of a Keras Bi-LSTM tagger (``tests/profiling/tf_xspace_traces.py``,
as a ``tf.function``) for ``--steps`` steps with the real profiler (320 steps give about
1.5 M events and take minutes), or takes ``--logdir``. Then, each in a fresh child process so
each peak RSS is its own: opscope's import of the ``.xplane.pb`` plus its per-op table, and
xprof's ``trace_viewer`` conversion of a copy of the same file (what TensorBoard runs to show
a trace). The machines are shared: compare ``ratio_to_xprof`` (both measured in this run).
Goals: ``ratio_to_xprof`` <= 0.1 and ``peak_rss_over_file`` <= 10.

``--target-bytes 1e9`` measures a file of about that size instead: the real trace with each
line's events repeated end to end (copy k shifted by k times the trace's span, through the
XPlane message classes), so every thread is that many times longer, as in a long run; it is
built in this process, in the temporary folder. ``--skip-xprof`` leaves xprof out (at 1 GB
its conversion takes far longer and more memory than the machine has).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from opscope.profiling.xplane_messages import XLine, XSpace

ROOT = Path(__file__).resolve().parents[1]
MAKE_TRACES = ROOT / "tests" / "profiling" / "tf_xspace_traces.py"

OPSCOPE = """
import json, resource, sys, time
from opscope.profiling.reader import read_trace
from opscope.profiling.stats import op_stats
began = time.perf_counter()
trace = read_trace(sys.argv[1])
table = op_stats(trace)
seconds = time.perf_counter() - began
print(json.dumps({
    "seconds": seconds,
    "events": trace.events + int(trace.instant_ts_ns.size),
    "ops": len(table),
    "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
"""

XPROF = """
import json, os, resource, sys, time
os.environ["TF_PROFILER_TRACE_VIEWER_MAX_EVENTS"] = str(2**31 - 1)  # keep every event
from xprof.convert import raw_to_tool_data
began = time.perf_counter()
data, _ = raw_to_tool_data.xspace_to_tool_data([sys.argv[1]], "trace_viewer", {})
seconds = time.perf_counter() - began
print(json.dumps({
    "seconds": seconds,
    "json_bytes": len(data),
    "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
"""


def _child(code: str, *args: str) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _make_logdir(out: Path, steps: int) -> Path:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    command = [sys.executable, str(MAKE_TRACES), str(out), str(steps), "bilstm"]
    subprocess.run(command, check=True, env=env, capture_output=True)
    return out / "bilstm"


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _record(number: int, payload_size: int) -> bytes:
    """The tag and length of a length-delimited field."""
    return _varint(number << 3 | 2) + _varint(payload_size)


def _span_ps(space) -> int:
    first = min(line.timestamp_ns for plane in space.planes for line in plane.lines)
    return max(
        (line.timestamp_ns - first) * 1000 + max(e.offset_ps + e.duration_ps for e in line.events)
        for plane in space.planes
        for line in plane.lines
        if line.events
    )


def _repeat_events(line, copies: int, period_ps: int, spool) -> int:
    """Write ``copies`` copies of the line's event records to ``spool``, copy k shifted by
    k * ``period_ps``; returns the bytes written. The line keeps only its events here."""
    written = 0
    for copy in range(copies):
        if copy:
            for event in line.events:
                event.offset_ps += period_ps
        written += spool.write(line.SerializeToString())
    return written


def _grow_xplane(source: Path, target: Path, target_bytes: float) -> int:
    """A valid XSpace of about ``target_bytes``: ``source`` with every line's events
    repeated; returns how many copies of each."""
    space = XSpace.FromString(source.read_bytes())
    lines_bytes = sum(line.ByteSize() for plane in space.planes for line in plane.lines)
    fixed = source.stat().st_size - lines_bytes  # metadata, not repeated
    copies = max(1, math.ceil((target_bytes - fixed) / max(lines_bytes, 1)))
    period_ps = _span_ps(space) + 1_000_000  # a microsecond between copies
    spool_path = target.with_suffix(".spool")
    planes = []  # per plane: its header, and per line (head, events bytes, tail)
    with spool_path.open("wb") as spool:
        for plane in space.planes:
            lines = []
            for line in plane.lines:
                head = XLine(id=line.id, name=line.name, timestamp_ns=line.timestamp_ns)
                tail = XLine(
                    duration_ps=line.duration_ps,
                    display_id=line.display_id,
                    display_name=line.display_name,
                )
                for name in ("id", "name", "timestamp_ns", "duration_ps", "display_id"):
                    line.ClearField(name)
                line.ClearField("display_name")
                size = _repeat_events(line, copies, period_ps, spool)
                lines.append((head.SerializeToString(), size, tail.SerializeToString()))
            plane.ClearField("lines")
            planes.append((plane.SerializeToString(), lines))
    with spool_path.open("rb") as spool, target.open("wb") as out:
        for header, lines in planes:
            sizes = [len(h) + n + len(t) for h, n, t in lines]
            body = len(header) + sum(len(_record(3, s)) + s for s in sizes)
            out.write(_record(1, body) + header)
            for (head, size, tail), line_size in zip(lines, sizes, strict=True):
                out.write(_record(3, line_size) + head)
                shutil.copyfileobj(_Limited(spool, size), out)
                out.write(tail)
        space.ClearField("planes")
        out.write(space.SerializeToString())  # errors, warnings, hostnames
    spool_path.unlink()
    return copies


class _Limited:
    """The next ``size`` bytes of a file, for ``shutil.copyfileobj``."""

    def __init__(self, f, size: int) -> None:
        self.f, self.left = f, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n)
        self.left -= len(data)
        return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=320)
    parser.add_argument("--logdir", type=Path, help="an existing logdir instead of a new one")
    parser.add_argument("--target-bytes", type=float, help="grow the trace to about this size")
    parser.add_argument("--skip-xprof", action="store_true", help="measure opscope only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opscope-tf-bench-") as tmp:
        logdir = args.logdir or _make_logdir(Path(tmp), args.steps)
        xplane = max(logdir.rglob("*.xplane.pb"), key=lambda p: p.stat().st_mtime)
        copies = 1
        if args.target_bytes:
            grown = Path(tmp) / "grown" / "host.xplane.pb"
            grown.parent.mkdir()
            copies = _grow_xplane(xplane, grown, args.target_bytes)
            xplane = grown
        size = xplane.stat().st_size
        ours = _child(OPSCOPE, str(xplane))
        theirs = None
        if not args.skip_xprof:
            copy = Path(tmp) / "copy" / "host.xplane.pb"  # xprof writes caches beside its input
            copy.parent.mkdir()
            shutil.copyfile(xplane, copy)
            theirs = _child(XPROF, str(copy))
    result = {
        "events": ours["events"],
        "xplane_bytes": size,
        "copies_of_each_line": copies,
        "import_s": round(ours["seconds"], 3),
        "xprof_trace_viewer_s": theirs and round(theirs["seconds"], 3),
        "ratio_to_xprof": theirs and round(ours["seconds"] / theirs["seconds"], 4),
        "peak_rss_bytes": ours["peak_rss"],
        "peak_rss_over_file": round(ours["peak_rss"] / size, 2),
        "xprof_peak_rss_bytes": theirs and theirs["peak_rss"],
        "xprof_json_bytes": theirs and theirs["json_bytes"],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
