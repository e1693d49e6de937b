"""Read TensorFlow Profiler XSpace files (``*.xplane.pb``) directly into a :class:`Trace`.

No tensorflow and no xprof on this path: xprof's trace viewer conversion took 18.5 s and
1.8 GB for a 41 MB file; this reads the same file's protobuf wire format (see
:mod:`xspace_wire`) into numpy columns. Planes become process groups (``/host:CPU``, each
``/device:GPU:n``; with several hosts, one group per host and plane), lines become lanes,
events become slices (zero-length events that are no op become instants), a window of a line's
events at a time. As xprof's trace viewer does, each ``ThreadpoolListener::StartRegion`` /
``StopRegion`` pair on a line becomes one ``ThreadpoolListener::Region`` slice, events with a
``step_num`` stat are copied to a "Steps" lane of their process as ``step N``, and a
``_counters_`` line holds counter samples (:mod:`xspace_counters`), not a lane. Damaged input
raises :class:`OpscopeError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from google.protobuf.message import DecodeError

from opscope.errors import OpscopeError
from opscope.profiling.args_store import ArgsStore
from opscope.profiling.chrome_events import Interner
from opscope.profiling.flows import FlowEvents
from opscope.profiling.lanes import LaneTable
from opscope.profiling.slices import assemble_trace
from opscope.profiling.trace import Trace
from opscope.profiling.xplane_messages import XEvent, XPlane
from opscope.profiling.xspace_counters import COUNTERS_LINE, CounterSamples
from opscope.profiling.xspace_pieces import MAX_LINE_NS, Piece, Regions, slice_set
from opscope.profiling.xspace_planes import (
    DERIVED_DEVICE_LINES,
    DEVICE_PREFIX,
    REGION,
    REGION_STARTS,
    REGION_STOPS,
    STEP_CATEGORY,
    TRACE_ME_CATEGORY,
    PlaneMetadata,
    Tables,
    plane_metadata,
    split_tf_op,
    stat_number,
    stat_text,
)
from opscope.profiling.xspace_wire import (
    LENGTH,
    WINDOW_BYTES,
    EventColumns,
    WireError,
    event_columns,
    events_holding,
    iter_fields,
    line_layout,
    read_field,
    signed,
)
from opscope.progress import FractionProgress

_SPACE_PLANES, _SPACE_ERRORS, _SPACE_WARNINGS = 1, 2, 3
_PLANE_LINES = 3
_LINE_ID, _LINE_NAME, _LINE_TIMESTAMP, _LINE_DISPLAY_NAME = 1, 2, 3, 11
_STEPS_LANE = "steps"


@dataclass
class _Line:
    """One window of a line's events: their bytes, decoded columns and where they go."""

    buf: bytes
    data: np.ndarray
    start: np.ndarray
    end: np.ndarray
    columns: EventColumns
    pid: str
    lane_key: int
    line_ns: int
    regions: Regions  # the line's, paired once it is read
    steps: list[Piece]  # the line's step copies, added after its events (as lanes sort)


@dataclass
class XSpaceImporter:
    """Reads planes of one or more XSpace files; :meth:`finish` builds the :class:`Trace`."""

    progress: FractionProgress | None = None
    total_bytes: int = 1
    tables: Tables = field(
        default_factory=lambda: Tables(Interner(), Interner(), Interner(), bytearray())
    )
    lane_keys: Interner = field(default_factory=Interner)
    lanes: LaneTable = field(default_factory=LaneTable)
    slices: list[Piece] = field(default_factory=list)
    instants: list[Piece] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counters: CounterSamples = field(default_factory=CounterSamples)
    bytes_read: float = 0
    skipped: int = 0
    window_bytes: int = WINDOW_BYTES

    def _report(self, message: str, fraction: float | None = None) -> None:
        """The one place progress is reported: the fraction of the input's bytes read (up to
        0.9), then the nesting step."""
        if self.progress is not None:
            done = 0.9 * self.bytes_read / self.total_bytes if fraction is None else fraction
            self.progress(min(0.9 if fraction is None else 1.0, done), message)

    # -- space and planes -------------------------------------------------------------------
    def read_space(self, buf: bytes, process_prefix: str) -> None:
        """One XSpace file; ``process_prefix`` names its host when there are several."""
        data = np.frombuffer(buf, np.uint8)
        plane_index = 0
        for number, kind, value, end in iter_fields(buf, 0, len(buf)):
            if number == _SPACE_PLANES and kind == LENGTH:
                self._read_plane(buf, data, value, end, (process_prefix, plane_index))
                plane_index += 1
            elif number in (_SPACE_ERRORS, _SPACE_WARNINGS) and kind == LENGTH:
                text = bytes(buf[value:end]).decode("utf-8", "replace")
                self.warnings.append(f"the profiler reported: {text}")

    def _read_plane(
        self, buf: bytes, data: np.ndarray, start: int, end: int, key: tuple[str, int]
    ) -> None:
        lines: list[tuple[int, int]] = []
        others: list[bytes] = []
        pos = start
        while pos < end:
            field_start = pos
            number, kind, value, pos = read_field(buf, pos, end)
            if number == _PLANE_LINES and kind == LENGTH:
                lines.append((value, pos))
            else:
                others.append(buf[field_start:pos])
        try:
            plane = XPlane.FromString(b"".join(others))
        except DecodeError as exc:
            raise WireError(f"a plane's metadata is damaged ({exc})") from None
        if not lines:
            return
        prefix, index = key
        pid = f"{prefix}{index}"
        process = f"{prefix.rstrip(':')} {plane.name}".strip() if prefix else plane.name
        self.lanes.process_names[pid] = process or f"plane {index}"
        device = plane.name.startswith(DEVICE_PREFIX)
        self.lanes.process_sort[pid] = index + (1 << 20 if device else 0)  # hosts first
        meta = plane_metadata(plane, self.tables, device)
        for order, span in enumerate(lines):
            self._read_line(buf, data, span, (plane, meta), pid, device, order)

    # -- lines ------------------------------------------------------------------------------
    def _read_line(
        self,
        buf: bytes,
        data: np.ndarray,
        span: tuple[int, int],
        plane_meta: tuple[object, PlaneMetadata],
        pid: str,
        device: bool,
        order: int,
    ) -> None:
        """One line, a window of its events at a time (:data:`WINDOW_BYTES`): finding the
        records (the first half of the line's share of the bar), then decoding them (the
        second), reporting progress after each window, so a giant thread moves the bar as
        smoothly as many small ones (and a progress callback that raises stops as soon)."""
        before, half = self.bytes_read, (span[1] - span[0]) / 2

        def walked(pos: int) -> None:
            self.bytes_read = before + (pos - span[0]) / 2
            self._report("reading events")

        layout = line_layout(buf, data, span, self.window_bytes, walked)
        line_id = _number(layout.fields, _LINE_ID)
        names = [layout.fields.get(f) for f in (_LINE_DISPLAY_NAME, _LINE_NAME)]
        thread = next((n for n in names if n and isinstance(n, bytes)), b"")
        thread = thread.decode("utf-8", "replace")
        counters = layout.fields.get(_LINE_NAME) == COUNTERS_LINE.encode()
        if not counters:
            lane_key = self.lane_keys[(pid, line_id)]
            self.lanes.name_thread(pid, line_id, thread or f"line {line_id}")
            self.lanes.thread_sort[(pid, line_id)] = order
        line_ns = _number(layout.fields, _LINE_TIMESTAMP)
        regions, steps = Regions(), []
        while layout.windows:
            starts, ends = layout.windows.pop(0)
            if counters:
                process = self.lanes.process_names[pid]
                self.counters.add(plane_meta[0], process, line_ns, buf, (starts, ends))
            else:
                columns = event_columns(data, starts, ends)
                where = (pid, lane_key, line_ns, regions, steps)
                line = _Line(buf, data, starts, ends, columns, *where)
                self._read_events(line, plane_meta[1], device, thread)
            self.bytes_read = before + half + (int(ends[-1]) - span[0]) / 2
            self._report("reading events")
        begin, duration = regions.pairs()
        if begin.size:
            self.slices.append(
                self._copies(line_ns, begin, duration, [REGION] * begin.size, lane_key)
            )
        self.slices += steps
        self.bytes_read = before + 2 * half

    def _read_events(self, line: _Line, meta: PlaneMetadata, device: bool, thread: str) -> None:
        self._decode_irregular(line)
        rows = meta.rows_of(line.columns.metadata_id)
        is_op = meta.is_op[rows]
        op = meta.op[rows]
        if device and thread in DERIVED_DEVICE_LINES:
            is_op = np.zeros(rows.size, bool)
        elif device:
            op = self._kernel_ops(line, meta, op)
        self._add_events(line, meta, rows, op, is_op)
        kinds = meta.kind[rows]
        line.regions.starts.append(line.columns.offset_ps[kinds == REGION_STARTS])
        line.regions.stops.append(line.columns.offset_ps[kinds == REGION_STOPS])
        self._add_steps(line, meta)

    def _decode_irregular(self, line: _Line) -> None:
        """Events whose fields are not in field-number order, decoded one at a time."""
        columns = line.columns
        for i in np.flatnonzero(columns.irregular).tolist():
            event = self._event(line, i)
            columns.metadata_id[i] = event.metadata_id
            columns.offset_ps[i] = event.offset_ps
            columns.duration_ps[i] = event.duration_ps
            columns.aggregated[i] = event.WhichOneof("data") == "num_occurrences"

    @staticmethod
    def _event(line: _Line, i: int):
        try:
            return XEvent.FromString(line.buf[int(line.start[i]) : int(line.end[i])])
        except DecodeError as exc:
            raise WireError(f"an event is damaged ({exc})") from None

    def _events_with_stat(self, line: _Line, meta: PlaneMetadata, stat: str):
        """(index, stat) of each event of the line holding the named stat."""
        stat_id = meta.stat_ids.get(stat)
        if stat_id is None:
            return
        for i in events_holding(line.data, line.columns, line.end, stat_id).tolist():
            for item in self._event(line, i).stats:
                if item.metadata_id == stat_id:
                    yield i, item
                    break

    def _kernel_ops(self, line: _Line, meta: PlaneMetadata, op: np.ndarray) -> np.ndarray:
        """A kernel's op type is that of the TF op that launched it (its ``tf_op`` stat)."""
        op = op.copy()
        for i, stat in self._events_with_stat(line, meta, "tf_op"):
            parts = split_tf_op(stat_text(stat, meta.stat_names))
            if parts is not None:
                op[i] = self.tables.ops[parts[1]]
        return op

    def _add_events(
        self,
        line: _Line,
        meta: PlaneMetadata,
        rows: np.ndarray,
        op: np.ndarray,
        is_op: np.ndarray,
    ) -> None:
        columns = line.columns
        timed = ~columns.aggregated
        self.skipped += int(np.count_nonzero(columns.aggregated))
        instant = timed & (columns.duration_ps == 0) & ~is_op
        for target, mask in ((self.slices, timed & ~instant), (self.instants, instant)):
            if mask.any():
                r = rows[mask]
                target.append(
                    Piece(
                        line.line_ns,
                        columns.offset_ps[mask],
                        columns.duration_ps[mask],
                        line.lane_key,
                        meta.name[r],
                        op[mask],
                        meta.category[r],
                        is_op[mask],
                        meta.args_offset[r],
                        meta.args_length[r],
                    )
                )

    def _add_steps(self, line: _Line, meta: PlaneMetadata) -> None:
        steps = [(i, stat_number(s)) for i, s in self._events_with_stat(line, meta, "step_num")]
        steps = [(i, number) for i, number in steps if number is not None]
        if not steps:
            return
        lane = self.lane_keys[(line.pid, _STEPS_LANE)]
        self.lanes.thread_names[(line.pid, _STEPS_LANE)] = "Steps"
        self.lanes.thread_sort[(line.pid, _STEPS_LANE)] = -1
        at = np.asarray([i for i, _ in steps], np.int64)
        names = [f"step {number}" for _, number in steps]
        columns = line.columns
        line.steps.append(
            self._copies(
                line.line_ns,
                columns.offset_ps[at],
                columns.duration_ps[at],
                names,
                lane,
                STEP_CATEGORY,
            )
        )

    def _copies(
        self,
        line_ns: int,
        offset_ps: np.ndarray,
        duration_ps: np.ndarray,
        names: list[str],
        lane_key: int,
        category: str = TRACE_ME_CATEGORY,
    ) -> Piece:
        """Slices (no ops) named ``names`` on ``lane_key``, at ``offset_ps`` on the line."""
        n = offset_ps.size
        tables = self.tables
        return Piece(
            line_ns,
            offset_ps,
            duration_ps,
            lane_key,
            np.fromiter((tables.names[name] for name in names), np.int32, n),
            np.fromiter((tables.ops[name] for name in names), np.int32, n),
            np.full(n, tables.categories[category], np.int32),
            np.zeros(n, bool),
            np.zeros(n, np.int32),
            np.zeros(n, np.int32),
        )

    # -- the end ----------------------------------------------------------------------------
    def finish(self, metadata: dict) -> Trace:
        every = self.slices + self.instants
        base_ns = min([p.line_ns for p in every] + self.counters.lines_ns(), default=0)
        far = [p for p in every if abs(p.line_ns - base_ns) > MAX_LINE_NS]
        if far:
            self.warnings.append(f"skipped {len(far)} lines with a damaged timestamp")
        if self.skipped:
            self.warnings.append(f"skipped {self.skipped} aggregated events (no timestamp)")
        metadata["time_base_ns"] = base_ns
        self._report("nesting slices", 0.92)
        slices = slice_set(self.slices, base_ns)
        instants = slice_set(self.instants, base_ns, instants=True)
        self.slices, self.instants = [], []
        return assemble_trace(
            format="tensorflow",
            slices=slices,
            instants=instants,
            names=self.tables.names.table(),
            ops=self.tables.ops.table(),
            categories=self.tables.categories.table(),
            lane_keys=self.lane_keys.table(),
            lane_table=self.lanes,
            args=_blob_store(self.tables.blob),
            flows=FlowEvents(),
            counters_us=self.counters.series_us(base_ns),
            warnings=self.warnings,
            truncated=False,
            metadata=metadata,
        )


def _number(fields: dict[int, int | bytes], number: int) -> int:
    """An int64 field of a line (0 where it is missing or, in a damaged file, not a number)."""
    value = fields.get(number, 0)
    return signed(value) if isinstance(value, int) else 0


def _blob_store(blob: bytearray) -> ArgsStore:
    store = ArgsStore()
    store.blob = blob
    return store


def read_xspace_files(paths: list[Path], progress: FractionProgress | None = None) -> Trace:
    """Import XSpace files of one run; several hosts become several process groups."""
    hosts = [path.name.split(".")[0] for path in paths]
    importer = XSpaceImporter(progress, max(1, sum(p.stat().st_size for p in paths)))
    for path, host in zip(paths, hosts, strict=True):
        try:
            buf = path.read_bytes()
        except OSError as exc:
            raise OpscopeError(f"cannot read {path.name} ({exc.strerror})") from None
        if not buf:
            raise OpscopeError(f"{path.name} is empty")
        try:
            importer.read_space(buf, f"{host}:" if len(paths) > 1 else "")
        except WireError as exc:
            raise OpscopeError(
                f"{path.name} is not a valid TensorFlow profiler file (XSpace): {exc}"
            ) from None
        del buf  # the file's bytes are not needed once its events are columns
    if not importer.slices and not importer.instants and not importer.counters.pieces:
        raise OpscopeError("it holds no profiler events (the XSpace has no timed events)")
    return importer.finish({"xplane_files": [p.name for p in paths], "hosts": hosts})
