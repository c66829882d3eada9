"""Fieller's interval of a ratio of paired means (:func:`sim.intervals.ratio_interval`)."""

import math

import numpy as np
import pytest
from scipy import stats

from sim.intervals import CONFIDENCE, mean_interval, ratio_interval


def t_statistic(top: np.ndarray, bottom: np.ndarray, ratio: float) -> float:
    """The one-sample t statistic of ``top − ratio × bottom`` against 0."""
    return float(stats.ttest_1samp(top - ratio * bottom, 0.0).statistic)


@pytest.mark.parametrize("seed", range(5))
def test_the_bounds_are_the_ratios_a_t_test_just_fails_to_reject(seed):
    """Fieller's definition: at either bound, the pairs' ``top − R × bottom`` sits exactly t(n − 1) standard errors from 0."""
    rng = np.random.default_rng(seed)
    bottom = rng.normal(17.0, 7.0, 12)
    top = 9e6 + 1e4 * bottom + rng.normal(0.0, 2e5, 12)
    interval = ratio_interval(top, bottom)
    critical = stats.t.ppf(0.5 + CONFIDENCE / 2, 11)
    assert interval.estimate == pytest.approx(top.mean() / bottom.mean())
    assert interval.low < interval.estimate < interval.high
    assert t_statistic(top, bottom, interval.low) == pytest.approx(critical, rel=1e-6)
    assert t_statistic(top, bottom, interval.high) == pytest.approx(-critical, rel=1e-6)
    inside = (interval.low + interval.estimate) / 2
    assert abs(t_statistic(top, bottom, inside)) < critical


def test_a_gain_not_told_apart_from_zero_has_no_upper_bound():
    rng = np.random.default_rng(3)
    bottom = rng.normal(0.0, 7.0, 10)
    bottom += 1.0 - bottom.mean()  # a positive mean gain, well within its standard error of 0
    top = 9e6 + 1e4 * bottom + rng.normal(0.0, 2e4, 10)
    interval = ratio_interval(top, bottom)
    assert interval.high == math.inf and interval.low < interval.estimate
    assert stats.ttest_1samp(bottom, 0.0).pvalue > 1 - CONFIDENCE


def test_no_gain_one_pair_and_missing_values():
    assert math.isnan(ratio_interval(np.array([1.0, 2.0]), np.array([-1.0, 0.5])).estimate)
    one = ratio_interval(np.array([4.0]), np.array([2.0]))
    assert one.estimate == 2.0 and math.isnan(one.low) and one.n == 1
    kept = ratio_interval(np.array([4.0, np.nan, 6.0, 5.0, 5.0]), np.array([2.0, 1.0, 3.0, np.nan, 2.5]))
    assert kept.n == 3 and kept.estimate == 2.0 and kept.low == pytest.approx(2.0) == kept.high  # exactly proportional
    unresolved = ratio_interval(np.array([4.0, 6.0]), np.array([2.0, 3.0]))  # the gains' t interval (df 1) holds 0
    assert (unresolved.low, unresolved.high) == (-math.inf, math.inf)  # every ratio passes the test


def test_coverage_is_the_nominal_95_percent_with_ten_pairs():
    """On bivariate normal pairs like the README's headline (extra cost 9 M + 10 k per extra seizure)."""
    rng = np.random.default_rng(11)
    truth = (9e6 + 1e4 * 17.0) / 17.0
    trials = 2000
    held = 0
    for _ in range(trials):
        gain = rng.normal(17.0, 7.0, 10)
        cost = rng.normal(9e6, 2e4, 10) + 1e4 * gain
        interval = ratio_interval(cost, gain)
        held += interval.low <= truth <= interval.high
    error = math.sqrt(CONFIDENCE * (1 - CONFIDENCE) / trials)
    assert abs(held / trials - CONFIDENCE) < 3.5 * error, held / trials


def test_huge_values_give_the_intervals_of_their_scaled_copies_without_overflow():
    """Both intervals are scale-equivariant; values near 1e300 (a hand-edited summary) must not overflow a square."""
    rng = np.random.default_rng(5)
    bottom = rng.normal(17.0, 7.0, 8)
    top = 9.0 + bottom + rng.normal(0.0, 2.0, 8)
    small, huge = ratio_interval(top, bottom), ratio_interval(top * 1e299, bottom * 1e-5)
    for got, want in zip((huge.estimate, huge.low, huge.high), (small.estimate, small.low, small.high), strict=True):
        assert got == pytest.approx(want * 1e304, rel=1e-9)
    mean, mean_huge = mean_interval(top), mean_interval(top * 1e300)
    assert mean_huge.low == pytest.approx(mean.low * 1e300, rel=1e-12) and math.isfinite(mean_huge.high)
