"""Read Chrome-trace JSON (and its dialects) into a :class:`Trace`.

ONNX Runtime, PyTorch/Kineto, MXNet and xprof's TensorFlow output are all Chrome Trace Event
Format with habits of their own; this module streams any of them through
:mod:`jsonstream` and :mod:`chrome_events` and applies the dialect's rules:

* What is an operator, and its op type, per dialect: :mod:`dialects`.
* MXNet: every operator is written twice, as B/E and again as async b/e; the async copy
  (category ``operator``) is dropped so each operator counts once.
* Instants of global scope (``"s": "g"``) have no thread of their own: they share one
  "Global" lane instead of making a lane per (empty) pid/tid they happen to carry.
* Flow events become arrows between slices (:mod:`flows`).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import msgspec
import numpy as np

from opscope.errors import OpscopeError
from opscope.profiling import chrome_events as ce
from opscope.profiling import dialects
from opscope.profiling.args_store import ArgsStore
from opscope.profiling.flows import FlowEvents
from opscope.profiling.jsonstream import Envelope, iter_event_chunks, open_binary
from opscope.profiling.lanes import GLOBAL_LANE, LaneTable
from opscope.profiling.pairing import pair_begin_end
from opscope.profiling.slices import SliceSet, assemble_trace
from opscope.profiling.trace import Trace
from opscope.progress import FractionProgress


@dataclass
class _Pieces:
    """Column pieces of one kind of event, concatenated at the end of the import."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **columns: np.ndarray) -> None:
        for key, value in columns.items():
            self.parts.setdefault(key, []).append(value)

    def get(self, key: str, dtype: type) -> np.ndarray:
        """The whole column; its pieces are replaced by it, so they are freed at once."""
        parts = self.parts.get(key)
        if not parts:
            return np.zeros(0, dtype)
        if len(parts) > 1:
            parts[:] = [np.concatenate(parts)]
        return parts[0].astype(dtype, copy=False)


class ChromeImporter:
    """Accumulates chunks of events; :meth:`finish` builds the :class:`Trace`."""

    def __init__(self, flavor: str | None = None, source: Path | None = None) -> None:
        self.flavor = flavor
        self.args = ArgsStore(source)  # ``source``: an uncompressed file, args stay in it
        self.chunk_offset = 0
        self.flows = FlowEvents()
        self.names = ce.Interner()
        self.ops = ce.Interner()
        self.categories = ce.Interner()
        self.lane_keys = ce.Interner()
        self.async_groups = ce.Interner()
        self.lanes = LaneTable()
        self.complete = _Pieces()
        self.begin_end = _Pieces()
        self.async_events = _Pieces()
        self.instants = _Pieces()
        self.counters: dict[tuple, tuple[list[float], list[float]]] = {}
        self.rows = 0
        self.skipped = 0
        self.envelope_keys: dict[str, msgspec.Raw] = {}
        self.bare_array = False
        self.pid_prefix = ""
        self.truncated = False

    # -- per chunk -------------------------------------------------------------------------
    def _detect(self, cols: ce.EventColumns, data: memoryview) -> str:
        table = self.categories.table()
        return dialects.detect(
            {table[c] for c in np.unique(cols.category).tolist()},
            set(self.envelope_keys),
            bool(np.any(cols.phase == ce.BEGIN)),
            self.bare_array,
            dialects.looks_like_xprof(bytes(data[: dialects.SNIFF_BYTES])),
        )

    def decode_chunk(self, data: memoryview) -> None:
        """The callback for :func:`jsonstream.iter_event_chunks`: one chunk into columns."""
        events, skipped = ce.decode_events(data)
        self.skipped += skipped
        cols = ce.to_columns(events, self.names, self.categories, self.lane_keys, self.pid_prefix)
        # An event with neither phase nor time is a placeholder (xprof ends with ``{}``).
        self.skipped += int(np.count_nonzero((cols.phase == 0) & np.isfinite(cols.ts)))
        if self.flavor is None:
            self.flavor = self._detect(cols, data)
        op, is_op = dialects.op_columns(
            self.flavor, events, cols, self.names, self.ops, self.categories
        )
        del events
        offsets = self.args.add(data, self.chunk_offset, cols.raw_args, cols.args_length)
        cols.raw_args.clear()
        if cols.global_instants.size:
            cols.lane_key[cols.global_instants] = self.lane_keys[GLOBAL_LANE]
        self._take(cols, op, is_op, offsets)

    def _take(
        self, cols: ce.EventColumns, op: np.ndarray, is_op: np.ndarray, offsets: np.ndarray
    ) -> None:
        row = self.rows + np.arange(cols.phase.size, dtype=np.int64)
        self.rows += cols.phase.size
        base = {
            "ts": cols.ts,
            "lane_key": cols.lane_key,
            "name": cols.name,
            "op": op,
            "category": cols.category,
            "is_op": is_op,
            "args_offset": offsets,
            "args_length": cols.args_length,
        }
        for kind, pieces in ((ce.COMPLETE, self.complete), (ce.INSTANT, self.instants)):
            mask = cols.phase == kind
            if mask.any():
                pieces.add(dur=cols.dur[mask], **{k: v[mask] for k, v in base.items()})
        mask = (cols.phase == ce.BEGIN) | (cols.phase == ce.END)
        if mask.any():
            self.begin_end.add(
                begin=cols.phase[mask] == ce.BEGIN,
                row=row[mask],  # pairing needs the file order
                **{k: v[mask] for k, v in base.items()},
            )
        self._take_rare(cols, {**base, "row": row})

    def _take_rare(self, cols: ce.EventColumns, base: dict[str, np.ndarray]) -> None:
        categories = self.categories.table()
        names = self.names.table()
        async_rows: list[int] = []
        async_keys: list[int] = []
        async_lanes: list[int] = []
        for rare in cols.rare:
            i = rare.row
            phase = int(cols.phase[i])
            if phase == ce.METADATA:
                self.lanes.metadata(names[cols.name[i]], rare.pid, rare.tid, rare.args)
            elif phase == ce.COUNTER:
                self._counter(names[cols.name[i]], rare.pid, float(cols.ts[i]), rare.args)
            elif phase in (ce.ASYNC_BEGIN, ce.ASYNC_END):
                category = categories[cols.category[i]]
                if self.flavor == "mxnet" and category == "operator":
                    continue  # MXNet's second copy of each operator
                async_rows.append(i)
                async_keys.append(self.async_groups[(rare.pid, category, rare.id)])
                async_lanes.append(self.lane_keys[("async", rare.pid, category)])
            elif phase in (ce.FLOW_START, ce.FLOW_STEP, ce.FLOW_END):
                group = self.async_groups[("flow", names[cols.name[i]], cols.category[i], rare.id)]
                self.flows.add(
                    group,
                    phase,
                    float(cols.ts[i]),
                    self.lane_keys[(rare.pid, rare.tid)],
                    int(cols.category[i]),
                )
        if async_rows:
            rows = np.asarray(async_rows)
            columns = {k: v[rows] for k, v in base.items()}
            columns["lane_key"] = np.asarray(async_lanes, np.int64)
            self.async_events.add(
                begin=cols.phase[rows] == ce.ASYNC_BEGIN,
                group=np.asarray(async_keys, np.int64),
                **columns,
            )

    def _counter(self, name: str, pid: ce.Id, ts: float, args: object) -> None:
        if not isinstance(args, dict) or not np.isfinite(ts):
            self.skipped += 1
            return
        for key, value in args.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            series = self.counters.setdefault(
                (pid, name if key == name else f"{name} {key}"), ([], [])
            )
            series[0].append(ts)
            series[1].append(float(value))

    # -- the end ---------------------------------------------------------------------------
    def read_stream(
        self, stream: BinaryIO, total_bytes: int, progress: FractionProgress | None
    ) -> None:
        """Import one Chrome-trace JSON byte stream (already decompressed)."""
        env = Envelope()

        def decode(data: memoryview) -> None:
            self.envelope_keys = env.keys
            self.bare_array = env.bare_array
            self.chunk_offset = env.chunk_offset
            self.decode_chunk(data)

        for _ in iter_event_chunks(stream, env, decode):
            if progress is not None and total_bytes:
                progress(min(0.9, 0.9 * env.bytes_read / total_bytes), "reading events")
        self.envelope_keys = env.keys
        self.truncated |= env.truncated

    def finish(self, source_format: str | None = None) -> Trace:
        slices = SliceSet.from_pieces(self.complete, with_duration=True)
        paired, unmatched_be = pair_begin_end(self.begin_end, "lane_key")
        slices.extend(paired)
        paired_async, unmatched_async = pair_begin_end(self.async_events, "group")
        slices.extend(paired_async)
        warnings: list[str] = []
        if self.skipped:
            warnings.append(f"skipped {self.skipped} events with missing or mistyped fields")
        if unmatched_be + unmatched_async:
            warnings.append(f"skipped {unmatched_be + unmatched_async} unmatched begin/end events")
        truncated = self.truncated
        if truncated:
            warnings.append("the file is truncated: read the complete events before the cut")
        counters = [
            (
                name,
                self.lanes.process_name(pid),
                np.asarray(ts, np.float64),
                np.asarray(values, np.float64),
            )
            for (pid, name), (ts, values) in self.counters.items()
        ]
        metadata = {
            key: msgspec.json.decode(value)
            for key, value in self.envelope_keys.items()
            if key in ("baseTimeNanoseconds", "displayTimeUnit", "schemaVersion")
        }
        return assemble_trace(
            format=source_format or self.flavor or "chrome",
            slices=slices,
            instants=SliceSet.from_pieces(self.instants, with_duration=False),
            names=self.names.table(),
            ops=self.ops.table(),
            categories=self.categories.table(),
            lane_keys=self.lane_keys.table(),
            lane_table=self.lanes,
            args=self.args,
            flows=self.flows,
            counters_us=counters,
            warnings=warnings,
            truncated=truncated,
            metadata=metadata,
        )


def read_chrome_stream(
    stream: BinaryIO,
    total_bytes: int,
    flavor: str | None = None,
    progress: FractionProgress | None = None,
    source: Path | None = None,
) -> Trace:
    """Import one Chrome-trace JSON byte stream (already decompressed).

    ``source``: the file the stream reads as is (not gzip), so args can stay in it.
    """
    importer = ChromeImporter(flavor, source)
    importer.read_stream(stream, total_bytes, progress)
    if progress is not None:
        progress(0.92, "nesting slices")
    return importer.finish()


def read_chrome_file(
    path: Path, flavor: str | None = None, progress: FractionProgress | None = None
) -> Trace:
    try:
        with open_binary(path) as stream:
            plain = not isinstance(stream, gzip.GzipFile)
            source = path.resolve() if plain else None
            return read_chrome_stream(stream, path.stat().st_size, flavor, progress, source)
    except UnicodeDecodeError as exc:
        raise OpscopeError(f"it is not UTF-8 text ({exc.reason})") from None
    except msgspec.DecodeError as exc:
        raise OpscopeError(f"it is not valid JSON ({exc})") from None
