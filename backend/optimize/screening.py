"""Auto mode's quick round: which candidates are worth the full measurement, and which INT8
models that missed the tolerance are worth rescuing.

The quick round times every built candidate (and the input) a few calls each, interleaved.
A passing candidate over :data:`SCREEN_OUT` times the fastest passing one there cannot win
the full measurement and is left out of it. Rescuing an INT8 model that missed the
tolerance (static INT8's other calibrations, which only change its ranges, and a retry with
its worst nodes in float) never makes it faster, only more accurate: it is tried only for
INT8 models that ran faster than the fastest passing candidate, cheapest rescue first (any
of them would win, and cheap ones first leave room for more: on a BERT tagger, static
INT8's three calibrations spent the budget that 2-4 s retries of dynamic INT8 with the
head in float needed, and those then passed), while its expected cost fits
:data:`RESCUE_BUDGET_S`, or less where building the candidates left less of auto mode's
time target (on a BERT-like encoder five retries took 100 s and all still failed). Every
candidate left out says why in its ``screened_out``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.optimize import int8_retry
from opscope.backend.optimize.candidate import Candidate
from opscope.backend.optimize.onnxruntime_candidates import (
    STATIC_METHODS,
    Candidates,
    other_calibrations,
)

SCREEN_RUNS = 3  # timed calls per variant in the quick round (after untimed ones)
SCREEN_FILL_S = 0.5  # more calls where that many rounds take less: sub-ms models
# how much slower than the fastest passing candidate a passing one may run in the quick
# round and still be measured in full: a quiet run's p90 stays within this of its p50
SCREEN_OUT = 1.25
RESCUE_BUDGET_S = 30.0
# a rescue's cost in builds of the candidate it rescues: a retry computes per-node errors
# (about one build) and rebuilds it; the other calibrations are two builds with histograms
RESCUE_COST = {"retry": 2.0, "calibrations": 3.0}
STATIC_MINMAX = f"int8-static-{STATIC_METHODS[0]}"


def fastest_passing(candidates: Iterable[Candidate]) -> Candidate | None:
    screened = [c for c in candidates if c.passed and c.screen]
    return min(screened, key=lambda c: c.screen.p50, default=None)


def _quick(candidate: Candidate) -> str:
    return f"{candidate.screen.p50:.3g} ms in the quick round"


def too_slow(candidate: Candidate, fastest: Candidate | None, factor: float = SCREEN_OUT) -> str:
    """Why the quick round rules ``candidate`` out (over ``factor`` times ``fastest``), or ""."""
    if fastest is None or candidate.screen is None:
        return ""
    if candidate.screen.p50 <= fastest.screen.p50 * factor:
        return ""
    over = f"over {factor:g}x" if factor != 1 else "slower than"
    return (
        f"{_quick(candidate)}, {over} the fastest passing candidate "
        f"({fastest.name}, {fastest.screen.p50:.3g} ms)"
    )


def finalists(candidates: list[Candidate], plain: Candidate | None) -> list[Candidate]:
    """The passing candidates the full measurement times: all but those the quick round
    found clearly slower (the plain fp32 copy stays: it is what replaces an ONNX input)."""
    fastest = fastest_passing(candidates)
    chosen = []
    for c in candidates:
        if not c.passed:
            continue
        slow = too_slow(c, fastest)
        if slow and c is not plain:
            c.screened_out = f"screened out: {slow}"
        else:
            chosen.append(c)
    return chosen


def _not_built(reason: str) -> list[Candidate]:
    names = [f"int8-static-{m}" for m in STATIC_METHODS[1:]]
    why = f"not built: the same graph as {STATIC_MINMAX} (other ranges), which {reason}"
    return [Candidate(n, None, screened_out=why, precision="int8") for n in names]


def _static_target(
    minmax: Candidate, context: Candidates, options: OptimizeOptions, added: list[Candidate]
) -> Candidate | None:
    """Static INT8's other calibrations (into ``added``); the one to retry: the closest to
    the tolerance, or None when one of them passed."""
    variants = other_calibrations(context, options)
    added += variants
    verified = [c for c in (minmax, *variants) if c.usable and c.verify]
    if any(c.passed for c in variants):
        minmax.screened_out = "not retried: another calibration of its graph passed"
        return None
    closest = min(verified, key=lambda c: c.verify["max_abs_diff"])
    for c in verified:
        if c is not closest:
            c.screened_out = (
                f"not retried: the same graph as {closest.name}, closer to the tolerance"
            )
    return closest


def rescue_cost(candidate: Candidate, minmax: Candidate | None) -> float:
    """The seconds rescuing ``candidate`` is expected to take, in builds of it (``minmax``,
    static INT8's MinMax model, is rescued by the other calibrations first)."""
    kind = "calibrations" if candidate is minmax else "retry"
    return candidate.chain.steps[-1].seconds * RESCUE_COST[kind]


def rescue(
    context: Candidates,
    options: OptimizeOptions,
    notes: list[str],
    budget_s: float = RESCUE_BUDGET_S,
) -> list[Candidate]:
    """The variants built to rescue INT8 candidates that missed the tolerance and ran
    faster than the fastest passing candidate in the quick round (cheapest rescue first,
    the faster of two as costly first, until ``budget_s`` is spent); rows that say why the
    others were not built. ``notes`` get one line per retry."""
    deadline = time.perf_counter() + budget_s
    fastest = fastest_passing(context.all)
    failing = [c for c in context.all if int8_retry.needs_retry(c) and c.screen]
    added: list[Candidate] = []
    minmax = next((c for c in context.all if c.name == STATIC_MINMAX and c.usable), None)
    if minmax is not None and minmax.passed:
        added += _not_built("passed")
    for c in sorted(failing, key=lambda c: (rescue_cost(c, minmax), c.screen.p50)):
        slow = too_slow(c, fastest, factor=1.0)
        cost = rescue_cost(c, minmax)
        late = time.perf_counter() + cost > deadline
        if slow or late:
            why = slow or (
                f"its rescue (about {cost:.0f} s) did not fit what was left of auto's rescue "
                f"budget ({budget_s:.0f} s here, within auto's time target), spent on cheaper "
                "rescues first"
            )
            c.screened_out = f"not retried: {why}"
            added += _not_built(f"ran {slow}" if slow else "was not rescued") if c is minmax else []
            continue
        target = _static_target(c, context, options, added) if c is minmax else c
        if target is None:
            continue
        cost = target.chain.steps[-1].seconds * RESCUE_COST["retry"]
        if target is not c and time.perf_counter() + cost > deadline:
            target.screened_out = f"not retried: auto's rescue budget ({budget_s:.0f} s) was spent"
            continue
        retried, note = int8_retry.retry(target, context, options)
        if retried is not None:
            added.append(retried)
            notes.append(note)
    return added
