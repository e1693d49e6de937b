"""The backend's name for the shared sniffer: :func:`detect_file` is :func:`opscope.sniff.sniff`.

The sniffer lives in the top-level package so that ``profiling`` (which may not import
``backend``) reads file heads the same way.
"""

from __future__ import annotations

from opscope.sniff import FileKind
from opscope.sniff import sniff as detect_file

__all__ = ["FileKind", "detect_file"]
