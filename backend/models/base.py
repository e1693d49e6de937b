"""The interface every framework adapter implements.

Pipeline steps (inspect, convert, verify, and later prune, quantize, bench, profile) talk to
a model only through :class:`ModelAdapter`, so they never import a framework themselves:
the adapter module imports its framework inside its methods, in the job's child process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from opscope.backend.inputs import InputSpec
from opscope.backend.summary import GraphSummary
from opscope.errors import OpscopeError


@dataclass(frozen=True)
class ExportOptions:
    """What the user asked of a conversion to ONNX."""

    opset: int | None = None
    dynamic_batch: bool = True


class ModelAdapter(ABC):
    """A model opened from the user's files, in its own framework."""

    format: str = ""

    def __init__(self, path: Path) -> None:
        self.path = path

    @abstractmethod
    def summary(self) -> GraphSummary:
        """The graph summary shown by ``opscope inspect``."""

    @abstractmethod
    def input_specs(self) -> list[InputSpec]:
        """The inputs the model takes, with shapes as far as the file records them."""

    @abstractmethod
    def output_names(self) -> list[str]:
        """Names of the outputs, in the order :meth:`run` returns them."""

    @abstractmethod
    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Compute the outputs in the model's own framework."""

    @abstractmethod
    def export_onnx(self, target: Path, specs: list[InputSpec], options: ExportOptions) -> None:
        """Write the model as ONNX to ``target`` with inputs named as ``specs``."""


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
CAUSE_LINE = re.compile(r"^(?:<class '(?:[\w.]+\.)?(\w+)'>|\w*(?:Error|Exception)): ")
POSITION_TABLE = re.compile(r"position_embeddings|(?:^|\.)wpe(?:\.|$)|pos_embed", re.I)


def first_line(exc: BaseException) -> str:
    """A framework error shortened to one line a person can read.

    Some frameworks wrap the cause in a long message whose first line says only that
    something failed (TorchScript's interpreter; torch.onnx's "Failed to export … Next
    steps:" with its ``## Exception summary``); the last ``...Error: cause`` line inside it
    is then the one that explains. Terminal colour codes are removed.
    """
    text = ANSI_ESCAPE.sub("", str(exc)).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    causes = [line for line in lines[1:] if CAUSE_LINE.match(line)]
    if causes:
        return re.sub(r"^<class '(?:[\w.]+\.)?(\w+)'>: ", r"\1: ", causes[-1])
    name = type(exc).__name__
    return f"{name}: {lines[0]}" if lines else name


def position_rows(shapes: dict[str, tuple[int, ...]]) -> int | None:
    """The rows of a model's position-embedding table (weights named so): its longest input.

    BERT's ``position_embeddings``, GPT-2's ``wpe``, ViT-style ``pos_embed``; None when
    the model has none, as most do not.
    """
    rows = [s[0] for name, s in shapes.items() if POSITION_TABLE.search(name) and len(s) == 2]
    return min(rows) if rows else None


@contextlib.contextmanager
def captured_logs(name: str) -> Iterator[list[logging.LogRecord]]:
    """Keep what logger ``name`` (and its children) logs meanwhile, instead of printing it.

    torch logs a full traceback as a warning before it raises a generic error (``torch.export
    .load``); the user sees one line, and the cause inside the captured records can be it.
    """
    records: list[logging.LogRecord] = []
    logger = logging.getLogger(name)

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    saved = logger.handlers[:], logger.propagate
    logger.handlers[:] = [Keep()]
    logger.propagate = False
    try:
        yield records
    finally:
        logger.handlers[:], logger.propagate = saved


def logged_cause(records: list[logging.LogRecord]) -> str | None:
    """The last exception a captured log record carried, as one line."""
    for record in reversed(records):
        if record.exc_info and record.exc_info[1] is not None:
            return first_line(record.exc_info[1])
    return None


@contextlib.contextmanager
def user_errors(what: str, logged: list[logging.LogRecord] | None = None) -> Iterator[None]:
    """Turn any framework exception into an :class:`OpscopeError` about the user's file.

    Loaders of untrusted files fail in many library-specific ways; to the user they all
    mean the file could not be read, so the boundary around a framework call says so. With
    ``logged`` (from :func:`captured_logs`), a cause the framework only logged is named.
    """
    try:
        yield
    except OpscopeError:
        raise
    except Exception as exc:
        cause = logged_cause(logged or [])
        raise OpscopeError(f"{what} ({cause or first_line(exc)})") from exc


@contextlib.contextmanager
def quiet_native_output() -> Iterator[None]:
    """Send what libraries write to file descriptors 1 and 2 to /dev/null meanwhile.

    Exporters and framework imports print banners, warnings and progress from native code
    and from logging handlers bound to the original streams; the CLI promises clean JSON on
    stdout and one error line on stderr. Failures still arrive as exceptions.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
