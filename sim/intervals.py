"""Confidence intervals over replications: a mean, a paired difference, and a ratio of paired differences.

Replications are independent runs of one scenario, so :func:`mean_interval` is Student's t
interval of their mean. Two scenarios run with the same seeds (common random numbers) pair their
runs seed by seed; :func:`paired_difference` is the t interval of the per-seed differences, which
leaves out the variation the two runs of a pair share. :func:`ratio_interval` is the ratio of two
mean paired differences (an incremental cost-effectiveness ratio) with Fieller's interval over the
pairs. Missing values (NaN) are left out: a pair counts only when both its runs
have the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
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


def _magnitude(values: np.ndarray) -> float:
    """The largest magnitude in ``values`` (1 when there is none): the unit intervals are worked in, so no square overflows."""
    return float(np.abs(values).max(initial=0.0)) or 1.0


def mean_interval(values: np.ndarray) -> Interval:
    """The mean of the finite ``values`` and its Student t interval (NaN bounds with fewer than two values)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    n = int(finite.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    scale = _magnitude(finite)
    mean = float((finite / scale).mean()) * scale
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1)
    half = float(t_half_width((finite / scale).std(ddof=1), n)) * scale
    return Interval(mean, mean - half, mean + half, n)


def paired_difference(values: np.ndarray, reference: np.ndarray) -> Interval:
    """The mean of ``values − reference``, pair by pair (aligned arrays: one pair per seed), and its t interval."""
    return mean_interval(np.asarray(values, dtype=float) - np.asarray(reference, dtype=float))


def ratio_interval(numerator: np.ndarray, denominator: np.ndarray) -> Interval:
    """mean(numerator) / mean(denominator) over pairs, with Fieller's interval.

    The interval holds every ratio R that a t test (n − 1 degrees of freedom) on the pairs'
    ``numerator − R × denominator`` does not tell apart from 0: (ā − R b̄)² ≤ t² (v_a − 2 R c + R² v_b), with
    ā, b̄ the means and v_a, v_b, c their variances and covariance. It is exact for pairs drawn from a
    bivariate normal distribution and allows for the two arrays' correlation. When the denominator's mean
    is itself within t standard errors of 0, the set is unbounded: the upper bound is ``inf`` and the lower
    bound is the set's bound below the estimate (``-inf`` when the set is the whole line). Pairs with a NaN
    in either array are left out.

    Args:
        numerator: per-pair differences on top (e.g. extra cost).
        denominator: per-pair differences below (e.g. extra seizures), aligned with ``numerator``.
    """
    top, bottom = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    kept = np.isfinite(top) & np.isfinite(bottom)
    top, bottom = top[kept], bottom[kept]
    n = int(top.size)
    scale_top, scale_bottom = _magnitude(top), _magnitude(bottom)  # the ratio's unit is their quotient
    top, bottom = top / scale_top, bottom / scale_bottom
    if n == 0 or bottom.mean() <= 0:
        return Interval(math.nan, math.nan, math.nan, n)
    unit = scale_top / scale_bottom
    mean_top, mean_bottom = float(top.mean()), float(bottom.mean())
    estimate = mean_top / mean_bottom
    if n == 1:
        return Interval(estimate * unit, math.nan, math.nan, 1)
    t2 = float(stats.t.ppf(1 - TAIL, n - 1)) ** 2
    of_means = np.cov(top, bottom, ddof=1) / n
    var_top, cov, var_bottom = float(of_means[0, 0]), float(of_means[0, 1]), float(of_means[1, 1])
    # The interval's ends are the roots of a R² − 2 b R + q = 0.
    a = mean_bottom * mean_bottom - t2 * var_bottom
    b = mean_top * mean_bottom - t2 * cov
    q = mean_top * mean_top - t2 * var_top
    root = math.sqrt(max(b * b - a * q, 0.0))
    if a > 0:
        low, high = min((b - root) / a, estimate), max((b + root) / a, estimate)
    elif a < 0 and root > 0:  # two rays, (−inf, r1] and [r2, inf): the one that holds the estimate, r2 ≤ estimate
        upper_root = (b - root) / a
        low, high = upper_root if upper_root <= estimate else -math.inf, math.inf
    else:
        low, high = q / (2 * b) if a == 0 and b > 0 else -math.inf, math.inf
    return Interval(estimate * unit, low * unit, high * unit, n)
