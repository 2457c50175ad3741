"""Robust baselines of how long things take, and whether one more is far outside them.

A baseline is the median and the median absolute deviation (MAD) of the last N
durations: a few earlier outliers do not move it, as they would a mean and a standard
deviation. A new duration is anomalous when its robust z-score, 0.6745 * (x - median) /
MAD (Iglewicz and Hoaglin), exceeds `Z_LIMIT`, and it is at least `MIN_RATIO` times the
median (or that much below it): a pipeline that always takes 2.000 s is not flagged at
2.010 s just because its MAD is tiny. No judgement before `MIN_HISTORY` durations.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

Z_LIMIT = 3.5
MIN_RATIO = 2.0
MIN_HISTORY = 10
HISTORY = 30
_MAD_SCALE = 0.6745


@dataclass(frozen=True, slots=True)
class Baseline:
    """The median and MAD of a history, with its range."""

    median: float
    mad: float
    low: float
    high: float
    count: int


def baseline(history: Sequence[float]) -> Baseline | None:
    """The baseline of `history`; None when it is shorter than `MIN_HISTORY`."""
    if len(history) < MIN_HISTORY:
        return None
    median = statistics.median(history)
    mad = statistics.median(abs(value - median) for value in history)
    return Baseline(median, mad, min(history), max(history), len(history))


def is_anomalous(value: float, base: Baseline) -> bool:
    """Whether `value` is far outside `base` (see the module's rule)."""
    # A MAD of zero (identical durations) would make any difference infinite: floor it.
    mad = max(base.mad, base.median * 0.01, 1e-3)
    z = _MAD_SCALE * (value - base.median) / mad
    if abs(z) <= Z_LIMIT:
        return False
    if value >= base.median:
        return value >= base.median * MIN_RATIO
    return value * MIN_RATIO <= base.median


def describe(what: str, value: float, base: Baseline) -> str:
    """ "report took 41.0s; its last 30 runs took 2.1-3.4s (median 2.6s)" """
    return (
        f"{what} took {value:.1f}s; its last {base.count} runs took "
        f"{base.low:.1f}-{base.high:.1f}s (median {base.median:.1f}s)"
    )
