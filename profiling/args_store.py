"""Where each slice's ``args`` live: byte ranges of the source file, or a copied blob.

The ``args`` of a PyTorch trace are about three quarters of the file; copying them doubled
the memory an import needed and most of its time went into page faults for that copy. For
an uncompressed file we keep ``(offset, length)`` into the file instead and read one event's
args when a person clicks it. msgspec gives each ``args`` as a view without its position,
so one regex scan of the chunk finds where the top-level ``"args"`` values start; the scan is
accepted only when it lines up with the decoded lengths (same count, each value closed by
its matching bracket before the next key), else that chunk's args are copied. A gzip file
(or xprof's in-memory JSON) has no usable offsets and is copied whole.

Offsets are encoded in one int64 column: ``offset >= 0`` is into the blob, ``offset < 0``
means byte ``~offset`` of the source file.
"""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import numpy as np

_ARGS_KEY = re.compile(rb'"args"\s*:\s*')
_KEY_LENGTH = len(b'"args":')
_CLOSING_OF = np.zeros(256, np.uint8)  # opening byte of a value -> its closing byte
_CLOSING_OF[list(b'{["')] = list(b'}]"')
_AFTER_VALUE = np.frombuffer(b" \t\r\n,}", np.uint8)


def _find_values(chunk: memoryview, lengths: np.ndarray) -> np.ndarray | None:
    """Start of each non-empty ``args`` value in ``chunk``, or None if the scan is ambiguous."""
    starts = np.fromiter(map(re.Match.end, _ARGS_KEY.finditer(chunk)), np.int64)
    sizes = lengths[lengths > 0]
    if starts.size != sizes.size:
        return None
    if starts.size == 0:
        return starts
    ends = starts + sizes
    if np.any(ends[:-1] > starts[1:] - _KEY_LENGTH) or ends[-1] >= len(chunk):
        return None
    data = np.frombuffer(chunk, np.uint8)
    closing = _CLOSING_OF[data[starts]]
    closed = (closing == 0) | (data[ends - 1] == closing)
    if not np.all(closed) or not np.all(np.isin(data[ends], _AFTER_VALUE)):
        return None
    return starts


class ArgsStore:
    """Collects the encoded args offsets of every chunk, and the blob of copied args."""

    def __init__(self, source: Path | None = None) -> None:
        self.source = source
        self.blob = bytearray()

    def add(
        self,
        chunk: memoryview,
        chunk_offset: int,
        raws: list[msgspec.Raw],
        lengths: np.ndarray,
    ) -> np.ndarray:
        """Encoded offsets of one chunk's args (``raws``, as decoded from ``chunk``)."""
        if self.source is not None:
            starts = _find_values(chunk, lengths)
            if starts is not None:
                offsets = np.zeros(lengths.size, np.int64)
                offsets[lengths > 0] = ~(starts + chunk_offset)
                return offsets
        offsets = len(self.blob) + np.cumsum(lengths) - lengths
        self.blob += b"".join(raws)
        return offsets
