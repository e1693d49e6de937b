"""Telling two candidates apart round by round: a burst of load slows both in a round."""

from __future__ import annotations

from opscope.backend.optimize.bench import (
    LatencyStats,
    rounds_faster,
    sign_test_decides,
    within_noise,
)


def _stats(ms: list[float]) -> LatencyStats:
    return LatencyStats.from_times([v / 1000.0 for v in ms], batch=1)


def _rounds(levels: list[float], factor: float) -> list[float]:
    """Five calls per round at each round's load level, scaled by ``factor``."""
    return [level * factor * (1 + 0.01 * i) for level in levels for i in range(5)]


BUSY = [60.0, 95.0, 62.0, 120.0, 70.0, 64.0, 110.0, 66.0]  # a machine that comes and goes


def test_a_gain_in_every_round_decides_though_the_spreads_overlap() -> None:
    faster, slower = _stats(_rounds(BUSY, 0.8)), _stats(_rounds(BUSY, 1.0))
    assert faster.interval()[1] >= slower.interval()[0]  # the old test could not tell
    assert rounds_faster(faster, slower) == (8, 8)
    assert not within_noise(faster, slower, 0.03)


def test_a_gain_in_most_rounds_only_is_noise() -> None:
    slower = _rounds(BUSY, 1.0)
    mixed = _rounds(BUSY, 0.8)
    mixed[5:10] = [v * 1.5 for v in mixed[5:10]]  # one round the other way
    mixed[15:20] = [v * 1.5 for v in mixed[15:20]]
    faster = _stats(mixed)
    assert rounds_faster(faster, _stats(slower)) == (6, 8)
    assert not sign_test_decides(6, 8) and sign_test_decides(8, 8)
    assert within_noise(faster, _stats(slower), 0.03)


def test_calls_from_different_rounds_are_not_paired() -> None:
    faster, slower = _stats(_rounds(BUSY, 0.8)), _stats(_rounds(BUSY[:6], 1.0))
    assert rounds_faster(faster, slower) is None
    assert within_noise(faster, slower, 0.03) == (faster.interval()[1] >= slower.interval()[0])


def test_rounds_pair_by_the_block_they_were_measured_in() -> None:
    """A slow model is measured two calls a round: its calls pair two by two, and calls
    measured in blocks of another size do not pair at all."""
    seconds = [v / 1000.0 for v in _rounds(BUSY, 1.0)]
    two = LatencyStats.from_times(seconds, 1, round_calls=2)
    faster = LatencyStats.from_times([v * 0.8 for v in seconds], 1, round_calls=2)
    assert rounds_faster(faster, two) == (20, 20)
    assert rounds_faster(faster.pooled(faster, 1), two.pooled(two, 1)) == (40, 40)
    five = LatencyStats.from_times(seconds, 1)
    assert rounds_faster(faster, five) is None
