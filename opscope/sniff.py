"""What a file is, told from its structure the way the frameworks themselves tell it.

One sniffer for the model side (``backend``) and the trace side (``profiling``): it reads a
file's head (gzip unwrapped), a zip archive's member names, or a JSON document's top-level
keys, and never imports a framework, so the GUI process can route a dropped file at once.

- zip archives: a ``torch.export`` program has ``<root>/archive_format`` holding ``pt2``
  (what ``torch.export.pt2_archive.is_pt2_package`` checks); TorchScript has
  ``<root>/constants.pkl`` (``torch.serialization._is_torchscript_zip``); a plain
  ``torch.save`` has only ``<root>/data.pkl``; Keras has ``config.json`` and
  ``model.weights.*`` at the top. Member *paths* are never searched for substrings: a
  TorchScript archive of torchvision's ResNet holds ``code/__torch__/torchvision/models/``.
- JSON: the top-level keys are read with a streaming parser (ijson) until one decides, so a
  large MXNet symbol file, whose ``arg_nodes`` and ``heads`` follow its node list, is known
  as one, and a trace decides at its first key without reading its events.

The loaders do the thorough checks later, in their jobs.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from opscope.errors import OpscopeError

HEAD_BYTES = 65536
JSON_SCAN_BYTES = 64 << 20  # the most of a JSON document read to find its top-level keys
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MXNET_PARAMS_MAGIC = b"\x12\x01\x00\x00\x00\x00\x00\x00"
TEXT_PADDING = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 byte-order mark and whitespace
MXNET_SYMBOL_KEYS = frozenset({"nodes", "arg_nodes", "heads"})
TRACE_KEYS = frozenset({"traceEvents"})


@dataclass(frozen=True)
class FileKind:
    kind: str  # "model" or "trace"
    format: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def open_content(path: Path) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed when it is gzip (whatever its name says)."""
    with path.open("rb") as raw:
        if raw.read(2) != GZIP_MAGIC:
            raw.seek(0)
            yield raw
            return
    with gzip.open(path, "rb") as unpacked:
        yield unpacked  # type: ignore[misc]


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of the file's content (of the gzip inside, if it is one)."""
    try:
        with open_content(path) as f:
            return f.read(size)
    except PermissionError:
        raise OpscopeError(f"{path.name}: permission denied") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise OpscopeError(f"{path.name} is a damaged gzip file ({exc})") from None


def starts_like_json(head: bytes) -> bool:
    return head.lstrip(TEXT_PADDING)[:1] in (b"{", b"[")


class _Limited:
    """A read-only view of a stream that ends after ``limit`` bytes."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self._stream, self._left = stream, limit

    def read(self, size: int = -1) -> bytes:
        size = self._left if size < 0 else min(size, self._left)
        data = self._stream.read(size) if size > 0 else b""
        self._left -= len(data)
        return data


def json_document_kind(stream: BinaryIO, limit: int = JSON_SCAN_BYTES) -> str | None:
    """``"trace"``, ``"mxnet"`` or None (undecided), from the document's top-level keys.

    An array at the top is a trace (Chrome's array format, onnxruntime's profiles). Keys
    are read in order and the first that decides ends the scan.
    """
    import ijson

    keys: set[str] = set()
    try:
        for prefix, event, value in ijson.parse(_Limited(stream, limit)):
            if prefix:
                continue
            if event == "start_array":
                return "trace"
            if event != "map_key":
                continue
            if value in TRACE_KEYS:
                return "trace"
            keys.add(value)
            if keys >= MXNET_SYMBOL_KEYS:
                return "mxnet"
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError):
        return None
    return None


def zip_member_format(names: list[str], read: Any) -> str | None:
    """The model format of a zip archive from its exact member names, or None.

    ``read(name)`` returns a member's bytes (only ``archive_format`` is ever read).
    """
    members = set(names)
    root = names[0].split("/")[0] if names else ""
    if {"config.json", "metadata.json"} <= members and any(
        n.startswith("model.weights.") for n in members
    ):
        return "keras"
    pt2_marker = f"{root}/archive_format"
    if pt2_marker in members and read(pt2_marker).strip() == b"pt2":
        return "torch-export"
    if "serialized_exported_program.json" in members:  # torch.export.save before 2.8
        return "torch-export"
    if f"{root}/constants.pkl" in members and f"{root}/data.pkl" in members:
        return "torchscript"
    if f"{root}/data.pkl" in members:
        return "torch-weights"  # torch.save: a pickle in a zip; only its weights load safely
    return None


def _zip_kind(path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as archive:
            found = zip_member_format(archive.namelist(), archive.read)
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError) as exc:
        raise OpscopeError(f"{path.name} is a damaged zip archive ({exc})") from None
    if found is None:
        raise OpscopeError(f"{path.name} is a zip archive that is not a Keras or PyTorch model")
    return FileKind("model", found)


def _json_kind(path: Path) -> FileKind:
    try:
        with open_content(path) as f:
            found = json_document_kind(f)
    except (OSError, EOFError, zlib.error) as exc:
        raise OpscopeError(f"{path.name} is a damaged gzip file ({exc})") from None
    if found == "mxnet":
        return FileKind("model", "mxnet")
    if found == "trace":
        return FileKind("trace", "chrome-json")
    raise OpscopeError(f"{path.name} is JSON but neither a profiler trace nor an MXNet symbol file")


def _folder_kind(path: Path) -> FileKind:
    if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
        return FileKind("model", "tensorflow-savedmodel")
    for pattern in ("*.xplane.pb", "*.trace.json.gz", "*.xplane.pb.gz"):
        if next(path.rglob(pattern), None) is not None:
            return FileKind("trace", "tensorflow-profiler")
    raise OpscopeError(
        f"{path.name} is a folder with neither a SavedModel (saved_model.pb) nor "
        "TensorFlow profiler data (*.xplane.pb)"
    )


def sniff(path: str | Path) -> FileKind:
    """Classify ``path`` or raise :class:`OpscopeError` saying why it cannot be opened."""
    path = Path(path)
    if not path.exists():
        raise OpscopeError(f"{path} does not exist")
    if path.is_dir():
        return _folder_kind(path)
    head = read_head(path)
    if not head.strip(TEXT_PADDING):
        raise OpscopeError(f"{path.name} is empty")
    if head.startswith(ZIP_MAGIC):
        return _zip_kind(path)
    if head.startswith(HDF5_MAGIC):
        return FileKind("model", "keras-h5")
    if head.startswith(MXNET_PARAMS_MAGIC):
        return FileKind("model", "mxnet")
    if head[:1] == b"\x80":
        raise OpscopeError(
            f"{path.name} is a Python pickle; opscope does not open pickles because loading "
            "one can run arbitrary code (save the model with torch.jit.save or torch.export)"
        )
    if starts_like_json(head):
        return _json_kind(path)
    # Protocol buffers: an ONNX ModelProto starts with ir_version (field 1, varint: 0x08),
    # a TensorFlow profiler XSpace with its planes (field 1, message: 0x0a).
    if head[:1] == b"\x08":
        return FileKind("model", "onnx")
    if head[:1] == b"\x0a":
        return FileKind("trace", "tensorflow-profiler")
    raise OpscopeError(f"{path.name} is neither a model nor a profiler trace that opscope reads")
