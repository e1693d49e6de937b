"""What the metadata of one XPlane says each event is: its name, op type, and whether it is an op.

TensorFlow names an op event's metadata ``op_name:op_type`` (the op's ``long_name``; its
``display_name`` is the type); an eagerly executed op is ``EagerLocalExecute: <type>``; the
rest are TraceMe scopes of the runtime (``ExecutorState::Process``, ``ParallelFor``, ...).
On a device plane (``/device:GPU:0``) each stream line holds kernels, linked to the TF op
that launched them by a ``tf_op`` stat (XLA programs by ``hlo_op`` / ``hlo_module``); lines
xprof derives from those (``XLA Ops``, ``TensorFlow Ops``, ...) would count the same work
twice and are not ops. All of it is decided once per metadata entry (hundreds), never per
event, and looked up for every event with one ``searchsorted``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np

from opscope.profiling.chrome_events import Interner
from opscope.profiling.dialects import EAGER_PREFIX

OP_CATEGORY = "tf_op"
TRACE_ME_CATEGORY = "trace_me"
KERNEL_CATEGORY = "kernel"
STEP_CATEGORY = "step"
REGION_START = "ThreadpoolListener::StartRegion"
REGION_STOP = "ThreadpoolListener::StopRegion"
REGION = "ThreadpoolListener::Region"
REGION_STARTS, REGION_STOPS = 1, 2  # PlaneMetadata.kind
UNKNOWN_EVENT = "(unknown event)"
DEVICE_PREFIX = "/device:"
DERIVED_DEVICE_LINES = {
    "XLA Modules",
    "XLA Ops",
    "XLA TraceMe",
    "TensorFlow Ops",
    "TensorFlow Name Scope",
    "Framework Ops",
    "Framework Name Scope",
    "Source code",
    "Steps",
}
_OP_TYPE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def split_tf_op(long_name: str) -> tuple[str, str] | None:
    """``op_name:op_type`` -> (op name, op type); None for anything else."""
    op_name, _, op_type = long_name.rpartition(":")
    if not op_name or op_name.endswith(":") or not _OP_TYPE.fullmatch(op_type):
        return None
    return op_name, op_type


def classify_event(name: str) -> tuple[str, str, bool]:
    """(slice name, op type, is an op) of a host event metadata name."""
    parts = split_tf_op(name)
    if parts is not None:
        return parts[0], parts[1], True
    if name.startswith(EAGER_PREFIX):
        op_type = name[len(EAGER_PREFIX) :]
        # a tf.function call ("__inference_f_12") is no op: the ops it runs are
        return name, op_type, bool(op_type) and not op_type.startswith("__")
    return name, name, False


def stat_text(stat, stat_names: dict[int, str]) -> str:
    """A string stat's text; TensorFlow stores repeated strings as refs to stat metadata."""
    kind = stat.WhichOneof("value")
    if kind == "str_value":
        return stat.str_value
    if kind == "ref_value":
        return stat_names.get(stat.ref_value, "")
    if kind == "bytes_value":
        return stat.bytes_value.decode("utf-8", "replace")
    return ""


def stat_number(stat) -> int | None:
    kind = stat.WhichOneof("value")
    if kind in ("int64_value", "uint64_value"):
        return int(getattr(stat, kind))
    if kind == "double_value" and math.isfinite(stat.double_value):
        return int(stat.double_value)
    return None


@dataclass
class PlaneMetadata:
    """Per event-metadata arrays of one plane (ids sorted); the last row is "unknown"."""

    ids: np.ndarray
    name: np.ndarray  # int32 ids into the importer's tables
    op: np.ndarray
    is_op: np.ndarray
    category: np.ndarray
    args_offset: np.ndarray
    args_length: np.ndarray
    kind: np.ndarray  # int8: REGION_STARTS, REGION_STOPS or 0
    stat_ids: dict[str, int]  # stat name -> its metadata id on this plane
    stat_names: dict[int, str]

    def rows_of(self, metadata_id: np.ndarray) -> np.ndarray:
        """Row of each event's metadata (the "unknown" row for ids the plane lacks)."""
        row = np.searchsorted(self.ids, metadata_id)
        row = np.minimum(row, self.ids.size - 1) if self.ids.size else np.zeros_like(row)
        known = self.ids.size > 0
        missing = ~(self.ids[row] == metadata_id) if known else np.ones(row.size, bool)
        return np.where(missing, self.ids.size, row)


@dataclass
class Tables:
    """The string tables and args blob shared by every plane of an import."""

    names: Interner
    ops: Interner
    categories: Interner
    blob: bytearray

    def args(self, value: dict) -> tuple[int, int]:
        raw = json.dumps(value).encode("utf-8")
        offset = len(self.blob)
        self.blob += raw
        return offset, len(raw)


def plane_metadata(plane, tables: Tables, device: bool) -> PlaneMetadata:
    """Classify every event metadata of ``plane`` (an XPlane message without its lines)."""
    stat_names = {key: meta.name for key, meta in plane.stat_metadata.items()}
    stat_ids = {name: key for key, name in stat_names.items()}
    tf_op_id = stat_ids.get("tf_op")
    entries = sorted(plane.event_metadata.items())
    ids = np.fromiter((key for key, _ in entries), np.int64, len(entries))
    rows: list[tuple[int, int, bool, int, int, int]] = []
    kinds: list[int] = []
    for key, meta in entries:
        name = meta.name or meta.display_name
        if device:
            long_name = next(
                (stat_text(s, stat_names) for s in meta.stats if s.metadata_id == tf_op_id), ""
            )
            parts = split_tf_op(long_name)
            slice_name, op_type, is_op = name, parts[1] if parts else name, True
            category = KERNEL_CATEGORY
        else:
            slice_name, op_type, is_op = classify_event(name)
            long_name = name if is_op else ""
            category = OP_CATEGORY if is_op else TRACE_ME_CATEGORY
        details = {"long_name": long_name or name, "metadata_id": key}
        if meta.display_name:
            details["display_name"] = meta.display_name
        offset, length = tables.args(details)
        rows.append(
            (
                tables.names[slice_name],
                tables.ops[op_type],
                is_op,
                tables.categories[category],
                offset,
                length,
            )
        )
        kinds.append({REGION_START: REGION_STARTS, REGION_STOP: REGION_STOPS}.get(name, 0))
    unknown = tables.names[UNKNOWN_EVENT]
    rows.append(
        (unknown, tables.ops[UNKNOWN_EVENT], False, tables.categories[TRACE_ME_CATEGORY], 0, 0)
    )
    kinds.append(0)
    columns = list(zip(*rows, strict=True))
    return PlaneMetadata(
        ids=ids,
        name=np.asarray(columns[0], np.int32),
        op=np.asarray(columns[1], np.int32),
        is_op=np.asarray(columns[2], bool),
        category=np.asarray(columns[3], np.int32),
        args_offset=np.asarray(columns[4], np.int32),  # the blob of a plane's metadata
        args_length=np.asarray(columns[5], np.int32),
        kind=np.asarray(kinds, np.int8),
        stat_ids=stat_ids,
        stat_names=stat_names,
    )
