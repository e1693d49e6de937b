"""Cut the event array of a Chrome-trace JSON file into chunks that decode on their own.

A trace of ten million events is about 4 GB of JSON: it must not be read whole. We read
blocks, cut the pending bytes after the last ``}`` ``,`` ``{`` in them, and hand
``[`` + events + ``]`` to msgspec. A cut that falls inside a string or a nested object makes
that decode fail (JSON parsing from a known state is deterministic, so a chunk that does
decode was cut between two events); then we simply read on and cut later. The bytes after
the array (other top-level keys, such as PyTorch's ``baseTimeNanoseconds``) are returned
too. A file that ends inside the array (MXNet's ``continuous_dump``, a copy that stopped
early) yields its complete events and is reported as truncated.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar

import msgspec

from opscope.errors import OpscopeError

BLOCK = 16 << 20
_CUT = re.compile(rb"\}\s*,\s*\{")
_CLOSE = re.compile(rb"\}\s*\]|\[\s*\]")
_EVENTS_KEY = re.compile(rb'"traceEvents"\s*:\s*\[')
_MAX_RECOVERY_TRIES = 64
_object = msgspec.json.Decoder(dict[str, msgspec.Raw])


T = TypeVar("T")
# Decodes one JSON array of events. It raises ``msgspec.DecodeError`` only for bad JSON
# syntax (the cue that a cut fell inside an event), and handles wrongly typed events itself.
ChunkDecoder = Callable[[memoryview], T]


@dataclass
class Envelope:
    """What surrounds the events: the other top-level keys, and whether the file was cut."""

    bare_array: bool = False
    keys: dict[str, msgspec.Raw] = field(default_factory=dict)
    truncated: bool = False
    bytes_read: int = 0
    chunk_offset: int = 0  # stream position of the chunk being decoded (its ``[``)


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzip (whatever its name says)."""
    f = path.open("rb")
    if f.read(2) == b"\x1f\x8b":
        f.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    f.seek(0)
    return f


class _BadCut(Exception):
    pass


def _try(decode: ChunkDecoder[T], data: bytearray, end: int, env: Envelope) -> T:
    """``decode(data[:end])``; :class:`_BadCut` if that is not a complete JSON array.

    ``data`` is always the unread tail of the stream, so its position is known.
    """
    env.chunk_offset = env.bytes_read - len(data)
    with memoryview(data) as view, view[:end] as part:
        try:
            return decode(part)
        except msgspec.ValidationError:
            raise
        except msgspec.DecodeError:
            raise _BadCut from None


def _read_header(read: Callable[[], bytes], env: Envelope) -> bytearray:
    """Consume bytes up to the events array; return the pending bytes starting with ``[``."""
    pending = bytearray()
    while True:
        block = read()
        pending += block
        stripped = pending.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped[:1] == b"[":
            env.bare_array = True
            return bytearray(stripped)
        if stripped[:1] not in (b"{", b""):
            raise OpscopeError("it is not JSON (expected '{' or '[' at the start)")
        for match in _EVENTS_KEY.finditer(pending):
            before = bytes(pending[: match.start()]).rstrip().rstrip(b",") + b"}"
            try:
                env.keys.update(_object.decode(before))
            except msgspec.DecodeError:
                continue
            return pending[match.end() - 1 :]
        if not block:
            if not stripped:
                raise OpscopeError("the file is empty")
            raise OpscopeError("it is a JSON object without a 'traceEvents' array")


def _finish(pending: bytearray, env: Envelope, decode: ChunkDecoder[T]) -> Iterator[T]:
    """The last events, the closing ``]`` and whatever follows it; or recover a truncation."""
    for match in reversed(list(_CLOSE.finditer(pending))):
        try:
            result = _try(decode, pending, match.end(), env)
        except _BadCut:
            continue
        else:
            tail = bytes(pending[match.end() :]).strip()
            if tail and not env.bare_array:
                try:
                    env.keys.update(_object.decode(b"{" + tail.lstrip(b",")))
                except msgspec.DecodeError:
                    env.truncated = True
            elif tail:
                raise OpscopeError("there is data after the closing ']' of the event array")
            yield result
            return
    env.truncated = True
    cuts = list(_CUT.finditer(pending))[-_MAX_RECOVERY_TRIES:]
    for match in reversed(cuts):
        end = match.start() + 1
        pending[end] = ord("]")
        try:
            result = _try(decode, pending, end + 1, env)
        except _BadCut:
            pending[end] = ord(",")
            continue
        yield result
        return
    if len(pending.strip()) > 1 and pending.strip() != b"[":
        if _CUT.search(pending) is None and b"}" not in pending:
            raise OpscopeError("it is cut off before its first complete event")
        raise OpscopeError("it is not valid JSON (the event array cannot be parsed)")


def iter_event_chunks(
    stream: BinaryIO, env: Envelope, decode: ChunkDecoder[T], block: int = BLOCK
) -> Iterator[T]:
    """Yield ``decode`` of each chunk of complete events; fill ``env`` as the keys appear."""

    def read() -> bytes:
        try:
            data = stream.read(block)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise OpscopeError(f"it is a damaged gzip file ({exc})") from None
        env.bytes_read += len(data)
        return data

    pending = _read_header(read, env)
    search_from = 1
    while True:
        data = read()
        if not data:
            yield from _finish(pending, env, decode)
            return
        pending += data
        cut = None
        for match in _CUT.finditer(pending, max(search_from, len(pending) - (1 << 20))):
            cut = match
        if cut is None and search_from < len(pending) - (1 << 20):
            for match in _CUT.finditer(pending, search_from):
                cut = match
        if cut is None:
            continue
        comma = pending.index(b",", cut.start())
        pending[comma] = ord("]")
        try:
            result = _try(decode, pending, comma + 1, env)
        except _BadCut:
            pending[comma] = ord(",")
            search_from = cut.end()
            continue
        yield result
        pending[comma] = ord("[")
        del pending[:comma]
        search_from = 1
