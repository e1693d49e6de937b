"""Latency measurement: warm-up, repeats, percentiles, and fair comparison of variants.

Variants compared in one process are run interleaved (short blocks of calls of each in
turn, in a rotating order, each block started by untimed calls), so a burst of load from
another process on this shared machine hits all of them alike; and their onnxruntime
sessions are created with intra-op spinning off, because an idle session's spinning
threads otherwise slow the session being timed (a model measured against itself once came
out 1.9x "faster").
"""

from __future__ import annotations

import ctypes
import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.models.onnx_model import make_session, run_session

RunOnce = Callable[[], object]
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters


@functools.cache
def steady_allocator() -> None:
    """Stop glibc from handing multi-MB per-call buffers back to the OS between calls.

    glibc adapts its mmap threshold to what a process frees; in about one process in four
    here it ended up serving a small CNN's PyTorch buffers by mmap, ~4,000 page faults per
    call, and eager took 7-10 ms instead of 4.6 (a baseline that slow inflates every
    speedup). Fixed thresholds make each run its fast self. Once per process; no-op
    without glibc's mallopt.
    """
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return
    if hasattr(libc, "mallopt"):
        libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)


ROUND_CALLS = 5  # measure_interleaved's block: calls of one variant in a row, per round


@dataclass(frozen=True)
class LatencyStats:
    """Latency of one variant in milliseconds; throughput in samples per second;
    ``samples`` the timed calls themselves (ms), so a re-measurement can add to them."""

    p50: float
    p90: float
    p99: float
    mean: float
    throughput: float
    runs: int
    samples: tuple[float, ...] = field(default=(), repr=False, compare=False)
    round_calls: int = field(default=ROUND_CALLS, repr=False, compare=False)  # per round

    @classmethod
    def from_times(
        cls, seconds: Sequence[float], batch: int, round_calls: int = ROUND_CALLS
    ) -> LatencyStats:
        ms = np.asarray(seconds, dtype=np.float64) * 1000.0
        p50, p90, p99 = (float(v) for v in np.percentile(ms, [50, 90, 99]))
        mean = float(ms.mean())
        throughput = batch * 1000.0 / mean if mean > 0 else 0.0
        samples = tuple(float(v) for v in ms)
        return cls(p50, p90, p99, mean, throughput, len(ms), samples, round_calls)

    def pooled(self, other: LatencyStats, batch: int) -> LatencyStats:
        """These calls and ``other``'s together (a re-measurement of the same variant)."""
        seconds = [v / 1000.0 for v in self.samples + other.samples]
        return LatencyStats.from_times(seconds, batch, self.round_calls)

    def interval(self) -> tuple[float, float]:
        """A distribution-free ~95% confidence interval of the p50 (order statistics of the
        sorted calls, ``n/2 -+ 0.98 sqrt(n)``): calls on a busy machine are not normal, and
        a few very slow ones must not widen it as they would a mean's. Calls in one block
        are not independent, so it is, if anything, too narrow: it is used to refuse a
        decision, never to prove one by itself."""
        ms = sorted(self.samples)
        if len(ms) < 2:
            return (self.p50, self.p50)
        half = 0.98 * math.sqrt(len(ms))
        low = max(int(math.floor(len(ms) / 2 - half)), 0)
        high = min(int(math.ceil(len(ms) / 2 + half)), len(ms) - 1)
        return (ms[low], ms[high])

    @property
    def spread(self) -> float:
        """p90 over p50: 1.0 for a steady run; past about 1.5 the machine was busy."""
        return self.p90 / self.p50 if self.p50 > 0 else 1.0

    def to_dict(self) -> dict[str, float]:
        return {
            "p50": self.p50,
            "p90": self.p90,
            "p99": self.p99,
            "mean": self.mean,
            "throughput": self.throughput,
            "runs": self.runs,
        }

    def latency_ms(self) -> dict[str, float]:
        """The ``latency_ms`` object of the optimize report."""
        return {"p50": self.p50, "p90": self.p90, "p99": self.p99, "mean": self.mean}


def measure_interleaved(
    variants: Mapping[str, RunOnce],
    runs: int,
    warmup: int,
    batch: int = 1,
    *,
    block: int = 5,
    settle: int = 3,
) -> dict[str, LatencyStats]:
    """Time ``runs`` calls of every variant, alternating between variants in short blocks.

    Each block starts with ``settle`` untimed calls: right after another variant ran, its
    threads may still be spin-waiting (PyTorch's OpenMP workers, onnxruntime's pool) and
    take the cores; timed call by call, a static INT8 CNN measured 3.1 ms against PyTorch
    eager instead of the 1.7 ms it takes alone. Blocks in rotating order still spread a
    burst of load from another process over all variants alike.
    """
    steady_allocator()
    names = list(variants)
    for _ in range(max(warmup, 0)):
        for name in names:
            variants[name]()
    runs = max(runs, 1)
    times: dict[str, list[float]] = {name: [] for name in names}
    for index in range(-(-runs // max(block, 1))):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            run, timed = variants[name], times[name]
            for _ in range(settle if len(names) > 1 else 0):
                run()
            for _ in range(min(block, runs - len(timed))):
                start = time.perf_counter()
                run()
                timed.append(time.perf_counter() - start)
    return {name: LatencyStats.from_times(times[name], batch, block) for name in names}


def budgeted_runs(
    variants: Mapping[str, RunOnce],
    wanted: int,
    budget_s: float,
    *,
    fill_s: float = 2.0,
    least: int = 5,
    most: int = 1000,
    warmup: int = 0,
    settle_share: float = 0.0,
) -> int:
    """Timed runs per variant: ``wanted``, fewer where one round of every variant would not
    fit ``budget_s`` (never under ``least``), more where ``wanted`` rounds take less than
    ``fill_s`` (never over ``most``). The budget covers the untimed calls too: ``warmup``
    rounds, and ``settle_share`` untimed calls per timed one (a block's lead-in; a BERT-like
    encoder's "30 s" measurement of 20 variants took 62 s without them). A model that runs
    in a fraction of a millisecond, timed 30 times, gives percentiles of timer and
    scheduler noise: a model compared with an unchanged copy of itself came out 1.10x
    "faster"."""
    start = time.perf_counter()
    for run in variants.values():
        run()
    one_round = max(time.perf_counter() - start, 1e-6)
    wanted = max(wanted, 1)
    fit = (budget_s / one_round - max(warmup - 1, 0)) / (1.0 + settle_share)
    runs = wanted if fit >= wanted else max(least, int(fit))
    return max(runs, min(most, int(fill_s / one_round)))


def measure_budgeted(
    variants: Mapping[str, RunOnce],
    runs: int,
    warmup: int,
    batch: int = 1,
    budget_s: float = math.inf,
    *,
    block: int = 5,
    settle: int = 3,
    fill_s: float = 2.0,
) -> dict[str, LatencyStats]:
    """:func:`measure_interleaved` with :func:`budgeted_runs` runs of each variant (the
    sizing round counts as the first warm-up round)."""
    share = settle / max(block, 1) if len(variants) > 1 else 0.0
    count = budgeted_runs(
        variants, runs, budget_s, fill_s=fill_s, warmup=warmup, settle_share=share
    )
    return measure_interleaved(
        variants, count, max(warmup - 1, 0), batch, block=block, settle=settle
    )


SIGN_TEST_P = 0.025  # one-sided: how unlikely "faster in k of n rounds" must be by chance


def rounds_faster(faster: LatencyStats, slower: LatencyStats) -> tuple[int, int] | None:
    """In how many of the interleaved rounds the two ran in together ``faster``'s block
    median beat ``slower``'s: (k, n). None when their calls do not pair up round by round
    (measured in different rounds, or in blocks of different sizes)."""
    block = faster.round_calls
    if slower.round_calls != block or len(faster.samples) != len(slower.samples):
        return None
    if len(faster.samples) < 2 * block:
        return None
    a, b = np.asarray(faster.samples), np.asarray(slower.samples)
    cuts = range(block, len(a), block)
    pairs = zip(np.split(a, cuts), np.split(b, cuts), strict=True)
    wins = [float(np.median(x)) < float(np.median(y)) for x, y in pairs]
    return sum(wins), len(wins)


def sign_test_decides(wins: int, rounds: int) -> bool:
    """Whether winning ``wins`` of ``rounds`` paired rounds is too many to be chance (a
    one-sided sign test at :data:`SIGN_TEST_P`)."""
    tail = sum(math.comb(rounds, k) for k in range(wins, rounds + 1)) / 2.0**rounds
    return tail < SIGN_TEST_P


def within_noise(faster: LatencyStats, slower: LatencyStats, gain: float) -> bool:
    """``faster`` beats ``slower`` by more than ``gain`` at p50, but one run cannot tell
    whether the gain is real. (Gains under ``gain`` do not count either way: choosing
    between such candidates costs less than that.)

    Measured in the same interleaved rounds, the two are compared round by round: a burst
    of load slows both in a round alike, so ``faster`` must win too many rounds to be
    chance (a sign test). Otherwise their p50 intervals must not overlap."""
    if faster.p50 >= slower.p50 * (1.0 - gain):
        return False
    paired = rounds_faster(faster, slower)
    if paired is not None:
        return not sign_test_decides(*paired)
    return faster.interval()[1] >= slower.interval()[0]


def onnx_session(path: Path, threads: int | None = None, *, spinning: bool = False) -> Any:
    """A session for benchmarking; spinning stays off unless one session runs alone."""
    return make_session(
        path, threads=threads, **{"session.intra_op.allow_spinning": "1" if spinning else "0"}
    )


def session_runner(session: Any, inputs: Mapping[str, np.ndarray]) -> RunOnce:
    """One call of ``session`` on the inputs it takes (variants may have pruned some)."""
    feed = {i.name: inputs[i.name] for i in session.get_inputs()}
    outputs = [o.name for o in session.get_outputs()]
    return lambda: run_session(session, feed, outputs)


def batch_of(inputs: Mapping[str, np.ndarray]) -> int:
    """The batch size of a set of inputs: the leading dim of the first array with one."""
    for array in inputs.values():
        if array.ndim:
            return int(array.shape[0])
    return 1
