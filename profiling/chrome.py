"""Read Chrome-trace JSON (and its dialects) into a :class:`Trace`.

ONNX Runtime, PyTorch/Kineto, MXNet and xprof's TensorFlow output are all Chrome Trace Event
Format with habits of their own; this module streams any of them through
:mod:`jsonstream` and :mod:`chrome_events` and applies the dialect's rules:

* ONNX Runtime: a node's op type is ``args.op_name`` of its ``*_kernel_time`` event.
* MXNet: every operator is written twice, as B/E and again as async b/e; the async copy
  (category ``operator``) is dropped so each operator counts once.
* TensorFlow (xprof): events are named by op type; ``args.long_name`` is
  ``op_name:op_type``, so the op name becomes the slice name and the type its op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import msgspec
import numpy as np

from opscope.errors import OpscopeError
from opscope.profiling import chrome_events as ce
from opscope.profiling.jsonstream import Envelope, iter_event_chunks, open_binary
from opscope.profiling.lanes import LaneTable
from opscope.profiling.pairing import pair_begin_end
from opscope.profiling.slices import SliceSet, assemble_trace
from opscope.profiling.trace import Trace

Progress = Callable[[float, str], None]


class _OnnxArgs(msgspec.Struct):
    op_name: str = ""


class _TfArgs(msgspec.Struct):
    long_name: str = ""


_onnx_args = msgspec.json.Decoder(_OnnxArgs)
_tf_args = msgspec.json.Decoder(_TfArgs)
_PYTORCH_KEYS = {"baseTimeNanoseconds", "schemaVersion", "deviceProperties", "distributedInfo"}
_PYTORCH_CATEGORIES = {"cpu_op", "python_function", "user_annotation", "kernel", "cuda_runtime"}


@dataclass
class _Pieces:
    """Column pieces of one kind of event, concatenated at the end of the import."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **columns: np.ndarray) -> None:
        for key, value in columns.items():
            self.parts.setdefault(key, []).append(value)

    def get(self, key: str, dtype: type) -> np.ndarray:
        parts = self.parts.get(key)
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


class ChromeImporter:
    """Accumulates chunks of events; :meth:`finish` builds the :class:`Trace`."""

    def __init__(self, flavor: str | None = None) -> None:
        self.flavor = flavor
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
        self.args_parts: list[bytes] = []
        self.args_size = 0
        self.rows = 0
        self.skipped = 0
        self.ignored: dict[str, int] = {}
        self.envelope_keys: dict[str, msgspec.Raw] = {}
        self.bare_array = False
        self.pid_prefix = ""
        self.truncated = False

    # -- per chunk -------------------------------------------------------------------------
    def _detect(self, cols: ce.EventColumns) -> str:
        categories = {self.categories.table()[c] for c in np.unique(cols.category).tolist()}
        if _PYTORCH_KEYS & self.envelope_keys.keys() or _PYTORCH_CATEGORIES & categories:
            return "pytorch"
        if "operator" in categories and bool(np.any(cols.phase == ce.BEGIN)):
            return "mxnet"
        if self.bare_array and categories & {"Node", "Session"}:
            return "onnxruntime"
        return "chrome"

    def _op_overrides(self, events: list[ce.Event], op: np.ndarray, name: np.ndarray) -> None:
        """Apply the dialect's op-type rule in place (``op`` starts as the event name)."""
        if self.flavor == "onnxruntime":
            for i, event in enumerate(events):
                if event.cat == "Node" and len(event.args):
                    try:
                        op_name = _onnx_args.decode(event.args).op_name
                    except msgspec.DecodeError:
                        continue
                    if op_name:
                        op[i] = self.ops[op_name]
        elif self.flavor == "tensorflow":
            for i, event in enumerate(events):
                if event.ph == "X" and len(event.args):
                    try:
                        long_name = _tf_args.decode(event.args).long_name
                    except msgspec.DecodeError:
                        continue
                    op_name, _, op_type = long_name.rpartition(":")
                    if op_name:
                        name[i] = self.names[op_name]
                        op[i] = self.ops[op_type or event.name]

    def decode_chunk(self, data: memoryview) -> None:
        """The callback for :func:`jsonstream.iter_event_chunks`: one chunk into columns."""
        events, skipped = ce.decode_events(data)
        self.skipped += skipped
        cols = ce.to_columns(events, self.names, self.categories, self.lane_keys, self.pid_prefix)
        # An event with neither phase nor time is a placeholder (xprof ends with ``{}``).
        self.skipped += int(np.count_nonzero((cols.phase == 0) & np.isfinite(cols.ts)))
        if self.flavor is None:
            self.flavor = self._detect(cols)
        names_table = self.names.table()
        op = np.fromiter(
            (self.ops[names_table[i]] for i in np.unique(cols.name).tolist()), np.int32
        )
        op = op[np.searchsorted(np.unique(cols.name), cols.name)]
        self._op_overrides(events, op, cols.name)
        del events
        self._take(cols, op)

    def _take(self, cols: ce.EventColumns, op: np.ndarray) -> None:
        offsets = self.args_size + np.concatenate(([0], np.cumsum(cols.args_length)[:-1]))
        self.args_parts.append(cols.args)
        self.args_size += len(cols.args)
        row = self.rows + np.arange(cols.phase.size, dtype=np.int64)
        self.rows += cols.phase.size
        base = {
            "ts": cols.ts,
            "lane_key": cols.lane_key,
            "name": cols.name,
            "op": op,
            "category": cols.category,
            "args_offset": offsets,
            "args_length": cols.args_length,
            "row": row,
        }
        for kind, pieces in ((ce.COMPLETE, self.complete), (ce.INSTANT, self.instants)):
            mask = cols.phase == kind
            if mask.any():
                pieces.add(dur=cols.dur[mask], **{k: v[mask] for k, v in base.items()})
        mask = (cols.phase == ce.BEGIN) | (cols.phase == ce.END)
        if mask.any():
            self.begin_end.add(
                begin=cols.phase[mask] == ce.BEGIN, **{k: v[mask] for k, v in base.items()}
            )
        self._take_rare(cols, base)

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
    def read_stream(self, stream: BinaryIO, total_bytes: int, progress: Progress | None) -> None:
        """Import one Chrome-trace JSON byte stream (already decompressed)."""
        env = Envelope()

        def decode(data: memoryview) -> None:
            self.envelope_keys = env.keys
            self.bare_array = env.bare_array
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
            (name, str(pid), np.asarray(ts, np.float64), np.asarray(values, np.float64))
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
            args_blob=b"".join(self.args_parts),
            counters_us=counters,
            warnings=warnings,
            truncated=truncated,
            metadata=metadata,
        )


def read_chrome_stream(
    stream: BinaryIO,
    total_bytes: int,
    flavor: str | None = None,
    progress: Progress | None = None,
) -> Trace:
    """Import one Chrome-trace JSON byte stream (already decompressed)."""
    importer = ChromeImporter(flavor)
    importer.read_stream(stream, total_bytes, progress)
    if progress is not None:
        progress(0.92, "nesting slices")
    return importer.finish()


def read_chrome_file(
    path: Path, flavor: str | None = None, progress: Progress | None = None
) -> Trace:
    try:
        with open_binary(path) as stream:
            return read_chrome_stream(stream, path.stat().st_size, flavor, progress)
    except UnicodeDecodeError as exc:
        raise OpscopeError(f"it is not UTF-8 text ({exc.reason})") from None
    except msgspec.DecodeError as exc:
        raise OpscopeError(f"it is not valid JSON ({exc})") from None
