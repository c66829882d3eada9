"""How often the comparison's 95 % intervals hold the true value, on simulated replicate pairs of known truth.

Run from the repository root::

    python benchmarks/interval_coverage.py                # about a minute
    python benchmarks/interval_coverage.py --trials 300   # a quicker, coarser check

The pairs are drawn like those of the README's headline comparison: per pair, extra seizures
normal about 17 with a standard deviation of 7, and extra cost 9 M plus 10 k per extra seizure
with a small noise of its own, so the true extra cost per extra seizure is (9 M + 10 k × 17) / 17.
For each number of pairs, ``--trials`` independent sets of pairs each get the interval of
:func:`sim.intervals.ratio_interval` (Fieller's), and the share of intervals that
hold the true ratio is printed with its standard error. The paired-difference interval
(:func:`sim.intervals.paired_difference`) is checked the same way on pairs that share their noise.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from sim.intervals import paired_difference, ratio_interval

GAIN_MEAN, GAIN_SD = 17.0, 7.0  # extra seizures per pair
COST, COST_PER_GAIN, COST_SD = 9e6, 1e4, 2e4  # extra cost per pair: COST + COST_PER_GAIN × gain + noise
PAIRS = (10, 20, 50)


def ratio_coverage(pairs: int, trials: int, rng: np.random.Generator) -> float:
    """Share of ``trials`` sets of ``pairs`` pairs whose ratio interval holds the true extra cost per extra seizure."""
    truth = (COST + COST_PER_GAIN * GAIN_MEAN) / GAIN_MEAN
    held = 0
    for _ in range(trials):
        gain = rng.normal(GAIN_MEAN, GAIN_SD, pairs)
        cost = rng.normal(COST, COST_SD, pairs) + COST_PER_GAIN * gain
        interval = ratio_interval(cost, gain)
        held += interval.low <= truth <= interval.high
    return held / trials


def paired_coverage(pairs: int, trials: int, rng: np.random.Generator) -> float:
    """Share of ``trials`` sets of ``pairs`` pairs, sharing their noise, whose paired interval holds the true difference 2."""
    held = 0
    for _ in range(trials):
        shared = rng.normal(0.0, 5.0, pairs)
        interval = paired_difference(10.0 + shared + rng.normal(0.0, 1.0, pairs), 8.0 + shared + rng.normal(0.0, 1.0, pairs))
        held += interval.low <= 2.0 <= interval.high
    return held / trials


def main() -> None:
    """Print the coverage of each interval for each number of pairs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000, help="sets of pairs for each number of pairs (default 1000)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    print(f"coverage of the nominal 95 % intervals over {args.trials} sets of pairs each (± one standard error)")
    for pairs in PAIRS:
        for name, share in (("extra cost per extra seizure (Fieller)", ratio_coverage(pairs, args.trials, rng)),
                            ("paired difference (t)", paired_coverage(pairs, args.trials, rng))):
            error = math.sqrt(share * (1 - share) / args.trials)
            print(f"{pairs:>3} pairs  {name:<52} {share:.3f} ± {error:.3f}")


if __name__ == "__main__":
    main()
