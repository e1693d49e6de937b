"""What this machine's CPU is and can do: the facts a latency number depends on.

Which runtime, precision or quantization wins changes with the CPU (AMX int8/bf16 on one
Xeon, AVX-512 VNNI on one EPYC, AVX2 only on another), so reports and benchmarks record
the CPU's name and the instruction-set flags that decide it; nothing here assumes a winner.
"""

from __future__ import annotations

import platform
from pathlib import Path

# the flags that change which candidate wins: vector width, int8 dot products, bf16/fp16
DECIDING_FLAGS = (
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)


def _cpuinfo_lines() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def cpu_name() -> str:
    """The CPU's model name, as /proc/cpuinfo (or the platform) says it."""
    for line in _cpuinfo_lines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    """Those of :data:`DECIDING_FLAGS` the CPU reports, in that order ([] where unknown)."""
    flags = next(
        (line.split(":", 1)[1].split() for line in _cpuinfo_lines() if line.startswith("flags")),
        [],
    )
    return [flag for flag in DECIDING_FLAGS if flag in flags]
