"""Skywatch agrees in distribution with the same core step written as plain Mesa agents (benchmarks/reference_mesa.py).

Both run on the same world per seed, Skywatch with the reference's matching overrides. A reference
whose drone detection probability is doubled fails this test (p < 0.01 on deliveries, means 30 %
and 12 % apart), so the test can tell the two models apart.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from reference_mesa import agreement

SEEDS = range(20)
STEPS = 192  # two days of 15-minute steps on the 96 x 96 agreement world
TOLERANCE = {"seizure_rate": 0.15, "delivered": 0.10}  # largest relative gap of the means allowed
ALPHA = 0.01


@pytest.fixture(scope="module")
def results():
    return {a.outcome: a for a in agreement(SEEDS, STEPS)}


@pytest.mark.parametrize("outcome", sorted(TOLERANCE))
def test_reference_and_skywatch_agree(results, outcome):
    a = results[outcome]
    assert a.skywatch.mean() > 0, f"{outcome}: nothing to compare"
    assert a.p_value > ALPHA, a.line()
    assert a.relative_gap < TOLERANCE[outcome], a.line()
