"""The base of every contract that crosses the process pipe: strict, typed, immutable.

A job's parameters and its result are ``Contract`` structs. They are encoded with msgpack
on the way through the pipe and decoded **strictly**: an unknown or a missing field, or a
value of the wrong type, is an error that names the field, so a renamed option cannot be
dropped without a word.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


class Contract(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, weakref=True):
    """Base of job parameters and results: frozen, keyword-only, no unknown fields."""


def encode(value: Any) -> bytes:
    return msgspec.msgpack.encode(value)


def decode(data: bytes, type_: type[T]) -> T:
    """Decode ``data`` as ``type_``; a mismatch raises ``msgspec.ValidationError`` that names
    the field (``Object contains unknown field `x` - at `$.params```)."""
    return msgspec.msgpack.decode(data, type=type_)


def convert(value: Any, type_: type[T]) -> T:
    """Build ``type_`` from plain Python values (a dict from JSON, the CLI) just as strictly."""
    return msgspec.convert(value, type=type_)


def to_builtins(value: Any) -> Any:
    """Plain dicts / lists / str / numbers, for JSON output."""
    return msgspec.to_builtins(value)
