import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.stackelberg import Game, segments_for, solve

NGUYEN_OMEGA = (-9.85, 0.37, 0.15)  # SUQR weights fitted by Nguyen et al. (AAAI 2013) on payoffs of 1-10


def _random_game(rng, targets, omega=NGUYEN_OMEGA):
    return Game(rng.uniform(1, 10, targets), -rng.uniform(1, 10, targets), rng.uniform(1, 10, targets),
                -rng.uniform(1, 10, targets), omega)


def _values(game, coverage):
    """Defender's payoff for each row of target coverages (n, T), vectorised for brute force."""
    weight = game.base_weights() * np.exp(game.omega[0] * coverage)
    q = weight / weight.sum(axis=1, keepdims=True)
    return (q * (coverage * game.defender_reward + (1 - coverage) * game.defender_penalty)).sum(axis=1)


def _brute_force(game, costs, budget, step, routes=None):
    """Best payoff over a grid of place coverages, with the last place also at the budget's edge."""
    grid = np.arange(0.0, 1.0 + 1e-9, step)
    head = np.array(list(itertools.product(grid, repeat=costs.size - 1)))
    room = (budget - head @ costs[:-1]) / costs[-1]
    last = np.concatenate([np.broadcast_to(grid, (head.shape[0], grid.size)), np.clip(room, 0, 1)[:, None]], axis=1)
    x = np.concatenate([np.repeat(head, last.shape[1], axis=0), last.reshape(-1, 1)], axis=1)
    x = x[(x @ costs <= budget + 1e-12) & (room.repeat(last.shape[1]) >= -1e-12)]
    y = x if routes is None else x @ np.asarray(routes, float).T
    keep = np.all(y <= 1 + 1e-12, axis=1)
    return _values(game, y[keep]).max()


@pytest.mark.parametrize(("places", "step", "seed"), [(2, 0.002, 0), (3, 0.01, 1), (3, 0.01, 2), (4, 0.025, 3)])
def test_value_within_one_percent_of_brute_force(places, step, seed):
    rng = np.random.default_rng(seed)
    game = _random_game(rng, places)
    costs, budget = rng.uniform(0.5, 2, places), rng.uniform(0.3, 0.4 * places)
    found = solve(game, costs, budget)
    best = _brute_force(game, costs, budget, step)
    assert found.value == pytest.approx(game.defender_value(found.coverage))
    assert abs(found.value - best) <= 0.01 * abs(best)


def test_route_variant_within_one_percent_of_brute_force():
    rng = np.random.default_rng(7)
    routes = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]])  # three routes over four places
    game = _random_game(rng, routes.shape[0], omega=(-4.0, 0.5, 0.3))
    costs, budget = rng.uniform(0.5, 2, 4), 1.2
    found = solve(game, costs, budget, routes=routes)
    assert np.all(routes @ found.coverage <= 1 + 1e-9)
    assert found.target_coverage == pytest.approx(routes @ found.coverage)
    best = _brute_force(game, costs, budget, 0.025, routes=routes)
    assert abs(found.value - best) <= 0.01 * abs(best)


def test_equal_targets_get_uniform_coverage():
    ones = np.ones(6)
    game = Game(5 * ones, -5 * ones, 5 * ones, -5 * ones, (-4.0, 0.5, 0.3))
    found = solve(game, ones, 2.4)
    assert found.coverage == pytest.approx(np.full(6, 0.4), abs=1.0 / segments_for(-4.0) + 1e-6)


def test_the_valuable_target_gets_more():
    ones = np.ones(6)
    reward = 5 * ones
    reward[2] = 9.0  # the attacker likes target 2 more, and the defender loses more there
    penalty = -5 * ones
    penalty[2] = -9.0
    game = Game(reward, -5 * ones, 5 * ones, penalty, (-4.0, 0.5, 0.3))
    found = solve(game, ones, 2.4)
    assert found.coverage[2] > np.delete(found.coverage, 2).max() + 0.05


def test_places_that_may_not_be_covered_stay_uncovered():
    rng = np.random.default_rng(3)
    game = _random_game(rng, 5, omega=(-4.0, 0.5, 0.3))
    coverable = np.array([True, False, True, False, True])
    found = solve(game, np.ones(5), 3.0, coverable=coverable)
    assert np.all(found.coverage[~coverable] == 0.0)
    assert found.coverage[coverable].sum() > 0.5


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), places=st.integers(1, 24), budget_share=st.floats(0.0, 1.5),
       omega1=st.floats(-12.0, 2.0), use_routes=st.booleans())
def test_budget_never_exceeded(seed, places, budget_share, omega1, use_routes):
    rng = np.random.default_rng(seed)
    costs = rng.uniform(0.1, 5.0, places)
    budget = budget_share * costs.sum()
    routes = (rng.random((max(1, places // 2), places)) < 0.4).astype(float) if use_routes else None
    targets = places if routes is None else routes.shape[0]
    game = _random_game(rng, targets, omega=(omega1, rng.uniform(-1, 1), rng.uniform(-1, 1)))
    found = solve(game, costs, budget, routes=routes)
    assert costs @ found.coverage <= budget + 1e-12
    assert np.all((found.coverage >= 0) & (found.coverage <= 1))
    if routes is not None:
        assert np.all(routes @ found.coverage <= 1 + 1e-9)


def test_a_feasible_start_gives_the_same_coverage_value():
    rng = np.random.default_rng(11)
    game = _random_game(rng, 12, omega=(-4.0, 0.5, 0.3))
    costs = rng.uniform(0.5, 2, 12)
    cold = solve(game, costs, 4.0)
    warm = solve(game, costs, 4.0, start=cold.coverage)
    assert warm.value == pytest.approx(cold.value, rel=1e-6) and warm.iterations <= cold.iterations
    assert solve(game, costs, 4.0, start=np.ones(12)).value == pytest.approx(cold.value, rel=1e-6)  # infeasible: ignored


def test_a_game_of_many_alike_targets_is_solved_in_a_bounded_number_of_programs(monkeypatch):
    """The game a stackelberg run with adapting cartels met (tests/data, 256 blocks): each program put one more target
    off its hull, hundreds of programs for one solve (15 minutes); now at most HULL_ROUNDS per Dinkelbach iteration."""
    from pathlib import Path

    import sim.stackelberg as stackelberg

    data = np.load(Path(__file__).parent / "data" / "stackelberg_alike_targets.npz")
    game = Game(data["attacker_reward"], data["attacker_penalty"], data["defender_reward"], data["defender_penalty"],
                tuple(data["omega"]))
    programs = []
    real = stackelberg._best_coverage
    monkeypatch.setattr(stackelberg, "_best_coverage", lambda *args: programs.append(1) or real(*args))
    allocation = solve(game, data["costs"], float(data["budget"]), coverable=data["coverable"])
    assert len(programs) <= stackelberg.HULL_ROUNDS * allocation.iterations
    assert data["costs"] @ allocation.coverage <= float(data["budget"]) * (1 + 1e-9)
    assert allocation.value >= game.defender_value(np.zeros(data["costs"].size))  # no worse than covering nothing
