"""Progress of a job: a typed step, a fraction within that step, and an overall fraction.

A job reports ``progress(step, fraction, message)``. The step is a :class:`Step` member,
never a text prefix; the fraction is the step's own (0..1), so a per-step bar shows the
step's real progress. :class:`StepPlan` turns that into one overall fraction that never
goes backwards, for a plain progress bar and the CLI.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Protocol

import msgspec


class Step(enum.Enum):
    """What a job is doing; the model page draws one bar per optimize step."""

    OPEN = "Open"
    CONVERT = "Convert"
    PRUNE = "Prune"
    QUANTIZE = "Quantize"
    VERIFY = "Verify"
    BENCHMARK = "Benchmark"
    AUTO = "Auto"
    PROFILE = "Profile"
    IMPORT = "Import"
    LAYOUT = "Layout"
    EXPORT = "Export"
    WORK = "Work"


OPTIMIZE_STEPS = (
    Step.CONVERT,
    Step.PRUNE,
    Step.QUANTIZE,
    Step.VERIFY,
    Step.BENCHMARK,
    Step.AUTO,
)


class Progress(Protocol):
    """What every job function is handed to report progress with."""

    def __call__(self, step: Step, fraction: float, message: str) -> None: ...


FractionProgress = Callable[[float, str], None]
"""The callback of library code that knows only how far it is (trace readers, converters):
a job hands it :func:`scaled` of its own :class:`Progress`."""


class ProgressEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One progress report as it crosses the pipe: ``fraction`` is the step's own,
    ``overall`` the whole job's (never decreasing)."""

    step: Step
    fraction: float
    overall: float
    message: str


def ignore_progress(step: Step, fraction: float, message: str) -> None:
    """A progress sink for callers that do not show progress."""


def ignore_fraction(fraction: float, message: str) -> None:
    """A :data:`FractionProgress` sink for callers that do not show progress."""


class StepPlan:
    """The overall fraction of a job from its steps' own fractions.

    ``weights`` gives each step's share of the job, in the order the job runs them; a step
    outside the plan counts as the current position. The overall fraction never decreases,
    so a bar does not jump back when a later step reports its start.
    """

    def __init__(self, weights: Sequence[tuple[Step, float]] = ()) -> None:
        total = sum(w for _, w in weights) or 1.0
        self._start: dict[Step, float] = {}
        self._share: dict[Step, float] = {}
        position = 0.0
        for step, weight in weights:
            self._start[step], self._share[step] = position, weight / total
            position += weight / total
        self._overall = 0.0

    def overall(self, step: Step, fraction: float) -> float:
        fraction = min(max(float(fraction), 0.0), 1.0)
        if step in self._start:
            value = self._start[step] + self._share[step] * fraction
        elif not self._start:
            value = fraction
        else:
            value = self._overall
        self._overall = max(self._overall, min(value, 1.0))
        return self._overall

    def event(self, step: Step, fraction: float, message: str) -> ProgressEvent:
        fraction = min(max(float(fraction), 0.0), 1.0)
        return ProgressEvent(
            step=step, fraction=fraction, overall=self.overall(step, fraction), message=message
        )


def scaled(
    progress: Progress, step: Step, start: float = 0.0, end: float = 1.0
) -> FractionProgress:
    """A ``(fraction, message)`` callback for a library that reports plain fractions,
    mapped onto ``start..end`` of ``step``."""
    return lambda fraction, message: progress(step, start + (end - start) * fraction, message)
