"""Confidence intervals over replications: a mean, a paired difference, and a ratio of paired differences.

Replications are independent runs of one scenario, so :func:`mean_interval` is Student's t
interval of their mean. Two scenarios run with the same seeds (common random numbers) pair their
runs seed by seed; :func:`paired_difference` is the t interval of the per-seed differences, which
leaves out the variation the two runs of a pair share. :func:`ratio_interval` is the ratio of two
mean paired differences (an incremental cost-effectiveness ratio) with a percentile bootstrap
interval over the pairs. Missing values (NaN) are left out: a pair counts only when both its runs
have the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
TAIL = (1 - CONFIDENCE) / 2  # probability outside the interval on each side


@dataclass(frozen=True)
class Interval:
    """An estimate and its confidence interval.

    Attributes:
        estimate: the mean (or the ratio); NaN without values.
        low: lower bound; NaN with fewer than two values.
        high: upper bound; NaN with fewer than two values, ``inf`` for a ratio without an upper bound.
        n: how many runs (or pairs) it rests on.
    """

    estimate: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN without an interval)."""
        return (self.high - self.low) / 2


def t_half_width(std: Any, n: Any) -> Any:
    """Half-width of the Student t interval of a mean, from the sample's standard deviation and size (arrays allowed)."""
    return stats.t.ppf(1 - TAIL, np.maximum(np.asarray(n) - 1, 1)) * std / np.sqrt(n)


def mean_interval(values: np.ndarray) -> Interval:
    """The mean of the finite ``values`` and its Student t interval (NaN bounds with fewer than two values)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    n = int(finite.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(finite.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1)
    half = float(t_half_width(finite.std(ddof=1), n))
    return Interval(mean, mean - half, mean + half, n)


def paired_difference(values: np.ndarray, reference: np.ndarray) -> Interval:
    """The mean of ``values − reference``, pair by pair (aligned arrays: one pair per seed), and its t interval."""
    return mean_interval(np.asarray(values, dtype=float) - np.asarray(reference, dtype=float))


def ratio_interval(numerator: np.ndarray, denominator: np.ndarray, rng: np.random.Generator,
                   resamples: int = BOOTSTRAP_RESAMPLES) -> Interval:
    """mean(numerator) / mean(denominator) over pairs, with a percentile bootstrap interval.

    Each resample draws the pairs with replacement. A resample whose mean denominator is not
    positive (no gain) has no finite ratio and counts as ``inf``: when more than the upper tail
    of them do, the interval has no upper bound. Pairs with a NaN in either array are left out.

    Args:
        numerator: per-pair differences on top (e.g. extra cost).
        denominator: per-pair differences below (e.g. extra seizures), aligned with ``numerator``.
        rng: the generator of the resamples.
        resamples: how many bootstrap resamples.
    """
    top, bottom = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    kept = np.isfinite(top) & np.isfinite(bottom)
    top, bottom = top[kept], bottom[kept]
    n = int(top.size)
    if n == 0 or bottom.mean() <= 0:
        return Interval(math.nan, math.nan, math.nan, n)
    estimate = float(top.mean() / bottom.mean())
    if n == 1:
        return Interval(estimate, math.nan, math.nan, 1)
    picks = rng.integers(0, n, size=(resamples, n))
    tops, bottoms = top[picks].mean(axis=1), bottom[picks].mean(axis=1)
    gained = bottoms > 0
    ratios = np.full(resamples, np.inf)
    ratios[gained] = tops[gained] / bottoms[gained]
    low, high = np.quantile(ratios, [TAIL, 1 - TAIL], method="inverted_cdf")  # order statistics: no inf − inf
    return Interval(estimate, float(low), float(high), n)
