"""Import speed and memory on a large PyTorch trace; prints one JSON line.

Builds an N-event trace (default 1,000,000, about 400 MB) by replicating the ``cpu_op``
events of a real ``export_chrome_trace`` file (the bundled demo) with shifted timestamps,
then measures, in this one process: a bare typed msgspec decode of the same bytes (``args``
kept raw: the floor any importer pays), ``read_trace`` and ``op_stats``, and peak RSS.
Run with ``--events 10000000`` to check that a ~6.7 GB trace streams without running out of
memory (the bare decode is skipped there: it would hold every event at once). The machines
are shared: compare ``ratio_to_bare_decode`` (both timed in this one run), not seconds.
``args_in_file`` says the args stayed in the source file (see ``profiling/args_store.py``).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(source: Path, target: Path, events: int) -> int:
    """Write ``events`` events: the source's ops repeated, each copy shifted past the last."""
    data = json.loads(source.read_text())
    ops = [e for e in data["traceEvents"] if e.get("ph") == "X" and e.get("cat") == "cpu_op"]
    t0 = min(e["ts"] for e in ops)
    period = max(e["ts"] + e["dur"] for e in ops) - t0 + 1.0
    pieces = [json.dumps(e, indent=2) for e in ops]
    header = {k: v for k, v in data.items() if k != "traceEvents"}
    written = 0
    with target.open("w") as f:
        f.write('{\n  "schemaVersion": 1,\n  "traceEvents": [\n')
        copy = 0
        while written < events:
            shift = copy * period
            for e, text in zip(ops, pieces, strict=True):
                if written == events:
                    break
                old = f'"ts": {json.dumps(e["ts"])}'
                new = f'"ts": {round(e["ts"] + shift, 3)}'
                f.write(("  ,\n" if written else "") + text.replace(old, new, 1))
                written += 1
            copy += 1
        f.write("\n  ],\n" + json.dumps(header)[1:] + "\n")
    return target.stat().st_size


class Event(msgspec.Struct):
    ph: str = ""
    name: str = ""
    cat: str = ""
    ts: float = 0.0
    dur: float = 0.0
    pid: int | str = 0
    tid: int | str = 0
    args: msgspec.Raw = msgspec.Raw(b"")


class File(msgspec.Struct):
    traceEvents: list[Event]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--source", type=Path, default=ROOT / "resources/demo/pytorch_trace.json")
    args = parser.parse_args()
    from opscope.profiling.reader import read_trace
    from opscope.profiling.stats import op_stats

    with tempfile.TemporaryDirectory(prefix="opscope-bench-") as tmp:
        path = Path(tmp) / "big_trace.json"
        size = build(args.source, path, args.events)
        start = time.perf_counter()
        trace = read_trace(path)
        import_s = time.perf_counter() - start
        start = time.perf_counter()
        op_stats(trace)
        stats_s = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        events = trace.events
        args_in_file = bool(trace.args_file) and len(trace.args_blob) == 0
        del trace
        bare = None
        if args.events <= 2_000_000:
            start = time.perf_counter()
            decoded = msgspec.json.decode(path.read_bytes(), type=File)
            bare = time.perf_counter() - start
            del decoded
    result = {
        "events": events,
        "bytes": size,
        "import_s": round(import_s, 3),
        "stats_s": round(stats_s, 4),
        "events_per_s": round(events / import_s),
        "peak_rss_bytes": peak,
        "peak_rss_over_file": round(peak / size, 3),
        "bare_typed_decode_s": None if bare is None else round(bare, 3),
        "ratio_to_bare_decode": None if bare is None else round((import_s + stats_s) / bare, 3),
        "args_in_file": args_in_file,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
