"""Tell from a file's content (not its name) whether it is a model or a trace, and which.

Sniffing reads a few kilobytes and never imports a framework, so the GUI process can route
a dropped file at once. The loaders do the thorough checks later, in their jobs.
"""

from __future__ import annotations

import gzip
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from opscope.errors import OpscopeError

HEAD_BYTES = 65536
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MXNET_PARAMS_MAGIC = b"\x12\x01\x00\x00\x00\x00\x00\x00"


@dataclass(frozen=True)
class FileKind:
    kind: str  # "model" or "trace"
    format: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _read_head(path: Path) -> bytes:
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if head.startswith(GZIP_MAGIC):
        try:
            with gzip.open(path, "rb") as f:
                return f.read(HEAD_BYTES)
        except (OSError, EOFError) as exc:
            raise OpscopeError(f"{path.name} is not a readable gzip file ({exc})") from None
    return head


def _detect_folder(path: Path) -> FileKind:
    if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
        return FileKind("model", "tensorflow-savedmodel")
    patterns = ("*.xplane.pb", "*.trace.json.gz", "*.xplane.pb.gz")
    for pattern in patterns:
        if next(path.rglob(pattern), None) is not None:
            return FileKind("trace", "tensorflow-profiler")
    raise OpscopeError(
        f"{path.name} is a folder with neither a SavedModel (saved_model.pb) nor "
        "TensorFlow profiler data (*.xplane.pb)"
    )


def _detect_json(head: bytes, name: str) -> FileKind:
    text = head.lstrip()
    if text.startswith(b"{") and b'"arg_nodes"' in head and b'"nodes"' in head:
        return FileKind("model", "mxnet")
    if text.startswith(b"[") or b'"traceEvents"' in head or b'"ph"' in head:
        return FileKind("trace", "chrome-json")
    raise OpscopeError(f"{name} is JSON but neither a profiler trace nor an MXNet symbol file")


def _detect_zip(path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise OpscopeError(f"{path.name} is a damaged zip archive ({exc})") from None
    if "config.json" in names and any(n.endswith(".weights.h5") for n in names):
        return FileKind("model", "keras")
    if any(n.endswith("serialized_exported_program.json") or "/models/" in n for n in names):
        return FileKind("model", "torch-export")
    if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
        return FileKind("model", "torchscript")
    if any(n.endswith("/data.pkl") for n in names):
        # torch.save: a pickle in a zip; only its weights can be read safely
        return FileKind("model", "torch-weights")
    raise OpscopeError(f"{path.name} is a zip archive that is not a Keras or PyTorch model")


def detect_file(path: str | Path) -> FileKind:
    """Classify ``path`` or raise :class:`OpscopeError` saying why it cannot be opened."""
    path = Path(path)
    if not path.exists():
        raise OpscopeError(f"{path} does not exist")
    if path.is_dir():
        return _detect_folder(path)
    head = _read_head(path)
    if not head:
        raise OpscopeError(f"{path.name} is empty")
    if head.startswith(ZIP_MAGIC):
        return _detect_zip(path)
    if head.startswith(HDF5_MAGIC):
        return FileKind("model", "keras-h5")
    if head.startswith(MXNET_PARAMS_MAGIC):
        return FileKind("model", "mxnet")
    if head[:1] == b"\x80":
        raise OpscopeError(
            f"{path.name} is a Python pickle; opscope does not open pickles because loading "
            "one can run arbitrary code (save the model with torch.jit.save or torch.export)"
        )
    if head.lstrip()[:1] in (b"{", b"["):
        return _detect_json(head, path.name)
    # Protocol buffers: an ONNX ModelProto starts with ir_version (field 1, varint: 0x08),
    # a TensorFlow profiler XSpace with its planes (field 1, message: 0x0a).
    if head[:1] == b"\x08":
        return FileKind("model", "onnx")
    if head[:1] == b"\x0a":
        return FileKind("trace", "tensorflow-profiler")
    raise OpscopeError(f"{path.name} is neither a model nor a profiler trace that opscope reads")
