"""Does a converted or optimized model compute the same thing as the original?

Both run on the same inputs; the outputs are compared pairwise, in order. Besides the
differences, classifier-like outputs (a last axis of scores) report how often the top-1
class agrees, which is what matters for a model whose scores shift slightly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from opscope.backend.contracts.models import Verification
from opscope.errors import OpscopeError

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL: float | None = None  # None: relative to each output's magnitude
RELATIVE_ATOL = 1e-3
ATOL_FLOOR = 1e-12  # for an output that is all zeros


def tolerance_text(
    rtol: float, atol: float, relative_atol: float | None, output_atols: Sequence[float]
) -> str:
    """The tolerance in words, for reports: relative or absolute, and its values."""
    if relative_atol is None:
        return f"rtol {rtol:g}, atol {atol:g} (absolute)"
    used = ", ".join(f"{a:.3g}" for a in output_atols[:4])
    more = ", …" if len(output_atols) > 4 else ""
    return f"rtol {rtol:g}, atol {relative_atol:g} × max|reference| per output ({used}{more})"


def shortfall(
    max_abs_diff: float | None, top1: float | None, atol: float, min_top1: float | None
) -> str:
    """Which check a verification failed and by how much, in words."""
    reasons = []
    if max_abs_diff is not None and max_abs_diff > atol:
        reasons.append(f"max abs diff {max_abs_diff:.3g} over the tolerance {atol:.3g}")
    if top1 is not None and min_top1 is not None and top1 < min_top1:
        reasons.append(f"top-1 agreement {top1:.1%} below {min_top1:.0%}")
    return "; ".join(reasons) or "outside the tolerance (rtol and atol together)"


def output_atol(reference: np.ndarray) -> float:
    """The default absolute tolerance of one output: relative to its largest finite value."""
    finite = np.abs(reference[np.isfinite(reference)]) if reference.size else reference
    peak = float(finite.max()) if finite.size else 0.0
    return max(RELATIVE_ATOL * peak, ATOL_FLOOR)


def _top1(expected: np.ndarray, actual: np.ndarray) -> tuple[int, int] | None:
    """(agreeing, total) argmax decisions, for float outputs with a last axis of classes."""
    if expected.ndim == 0 or expected.shape[-1] < 2:
        return None
    if not np.issubdtype(expected.dtype, np.floating):
        return None
    agree = np.argmax(expected, axis=-1) == np.argmax(actual, axis=-1)
    return int(agree.sum()), int(agree.size)


def compare_outputs(
    expected: Sequence[np.ndarray],
    actual: Sequence[np.ndarray],
    rtol: float = DEFAULT_RTOL,
    atol: float | None = DEFAULT_ATOL,
    min_top1: float | None = None,
) -> Verification:
    """Compare outputs pairwise; a count, shape or dtype-kind mismatch is itself a failure.

    ``atol`` None (the default) makes each output's tolerance relative to its magnitude.

    With ``min_top1``, classifier-like outputs must also keep that share of top-1 decisions:
    a quantized model can stay within an absolute tolerance on scores and still change the
    predicted class too often to be usable.
    """
    if len(expected) != len(actual):
        raise OpscopeError(f"the models return {len(expected)} and {len(actual)} outputs")
    max_diff, total, count, allclose = 0.0, 0.0, 0, True
    agree, decisions = 0, 0
    atols: list[float] = []
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        want, got = np.asarray(want), np.asarray(got)
        if want.shape != got.shape:
            raise OpscopeError(f"output {index} has shape {got.shape}, expected {want.shape}")
        this_atol = output_atol(want.astype(np.float64)) if atol is None else float(atol)
        atols.append(this_atol)
        diff = np.abs(want.astype(np.float64) - got.astype(np.float64))
        if diff.size:
            max_diff = max(max_diff, float(np.nanmax(diff)) if not np.isnan(diff).all() else 0.0)
            total += float(np.nansum(diff))
            count += diff.size
        nan_mismatch = bool(np.any(np.isnan(want) != np.isnan(got))) if diff.size else False
        allclose &= not nan_mismatch and bool(
            np.allclose(got, want, rtol=rtol, atol=this_atol, equal_nan=True)
        )
        top1 = _top1(want, got)
        if top1 is not None:
            agree, decisions = agree + top1[0], decisions + top1[1]
    top1_agreement = agree / decisions if decisions else None
    relative_atol = RELATIVE_ATOL if atol is None else None
    used_atol = max(atols, default=0.0) if atol is None else float(atol)
    return Verification(
        max_abs_diff=max_diff,
        mean_abs_diff=total / count if count else 0.0,
        allclose=allclose,
        rtol=rtol,
        atol=used_atol,
        top1_agreement=top1_agreement,
        passed=allclose
        and (min_top1 is None or top1_agreement is None or top1_agreement >= min_top1),
        outputs=len(expected),
        min_top1=min_top1,
        relative_atol=relative_atol,
        output_atols=atols,
        tolerance=tolerance_text(rtol, used_atol, relative_atol, atols),
    )
