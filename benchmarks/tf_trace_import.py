"""TensorFlow Profiler import against xprof's trace viewer conversion; prints one JSON line.

Writes a TF profiler logdir of a Keras Bi-LSTM tagger (``tests/profiling/tf_xspace_traces.py``,
as a ``tf.function``) for ``--steps`` steps with the real profiler (320 steps give about
1.5 M events and take minutes), or takes ``--logdir``. Then, each in a fresh child process so
each peak RSS is its own: opscope's import of the ``.xplane.pb`` plus its per-op table, and
xprof's ``trace_viewer`` conversion of a copy of the same file (what TensorBoard runs to show
a trace). The machines are shared: compare ``ratio_to_xprof`` (both measured in this run).
Goals: ``ratio_to_xprof`` <= 0.1 and ``peak_rss_over_file`` <= 10.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=320)
    parser.add_argument("--logdir", type=Path, help="an existing logdir instead of a new one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opscope-tf-bench-") as tmp:
        logdir = args.logdir or _make_logdir(Path(tmp), args.steps)
        xplane = max(logdir.rglob("*.xplane.pb"), key=lambda p: p.stat().st_mtime)
        copy = Path(tmp) / "copy" / "host.xplane.pb"  # xprof writes caches beside its input
        copy.parent.mkdir()
        shutil.copyfile(xplane, copy)
        size = xplane.stat().st_size
        ours = _child(OPSCOPE, str(xplane))
        theirs = _child(XPROF, str(copy))
    print(
        json.dumps(
            {
                "events": ours["events"],
                "xplane_bytes": size,
                "import_s": round(ours["seconds"], 3),
                "xprof_trace_viewer_s": round(theirs["seconds"], 3),
                "ratio_to_xprof": round(ours["seconds"] / theirs["seconds"], 4),
                "peak_rss_bytes": ours["peak_rss"],
                "peak_rss_over_file": round(ours["peak_rss"] / size, 2),
                "xprof_peak_rss_bytes": theirs["peak_rss"],
                "xprof_json_bytes": theirs["json_bytes"],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
