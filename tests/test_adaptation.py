"""Cartel adaptation: route shifting (displacement), encryption, counter-drone measures."""

import numpy as np
import pytest

from sim.adaptation import MIN_WEIGHT, PRUNE_MIN_EVENTS, RiskMemory, first_places, logistic_target, moving_average
from sim.model import SkywatchModel
from sim.outcomes import summarize
from sim.phases.cartels import CartelPhase
from sim.run import simulate
from sim.scenario import Scenario, load_scenario

SEEDS = range(4)


def corridor_shares(model: SkywatchModel, first: slice, last: slice) -> tuple[np.ndarray, np.ndarray]:
    frame = model.datacollector.get_model_vars_dataframe()
    launched = frame[[f"launched_{name}" for name in model.world.corridor_names]]
    early, late = launched.iloc[first].sum().to_numpy(), launched.iloc[last].sum().to_numpy()
    return early / early.sum(), late / late.sum()


def test_watching_one_corridor_displaces_flow_only_when_routes_shift():
    """corridor_focus: the watched corridor's share falls, the others rise, launches stay; off: shares stay."""
    focus = load_scenario("corridor_focus")["drones.focus_corridor"] - 1
    first_day, last_four_days = slice(1, 97), slice(-384, None)
    drops, drifts, launched = [], [], {True: 0, False: 0}
    for seed in SEEDS:
        for shifting in (True, False):
            scenario = load_scenario("corridor_focus").with_overrides(
                {"run.seed": seed, "adaptation.route_shifting": shifting}, "test"
            )
            model = simulate(scenario)
            early, late = corridor_shares(model, first_day, last_four_days)
            launched[shifting] += model.tally.shipments_launched
            (drops if shifting else drifts).append((early[focus] - late[focus], np.delete(late - early, focus)))
    mean_drop = np.mean([d for d, _ in drops])
    assert mean_drop > 0.2, f"the watched corridor's share should fall with route shifting, fell {mean_drop:.3f}"
    assert np.mean([others.sum() for _, others in drops]) == pytest.approx(mean_drop, abs=1e-9), "shares sum to one"
    assert np.mean([max(others) for _, others in drops]) > 0.1, "some other corridor takes the displaced flow"
    assert abs(np.mean([d for d, _ in drifts])) < 0.06, "without route shifting the shares do not move"
    assert launched[True] == pytest.approx(launched[False], rel=0.05), "displacement, not removal"


def test_risk_memory_decays_and_spreads():
    risk = RiskMemory((50, 50), memory_steps=10.0, radius_cells=2.0)
    risk.add(np.array([25 * 50 + 25]), 1.0, step=0)
    fresh = risk.risk_map(now=0)
    assert fresh[25, 25] == pytest.approx(1 - np.exp(-1), rel=0.02)
    assert fresh[25, 31] < 0.05 * fresh[25, 25] and fresh[0, 0] == 0
    old = risk.risk_map(now=10)
    assert old[25, 25] == pytest.approx(1 - np.exp(-np.exp(-1)), rel=0.02)
    assert len(risk) == 1
    risk.risk_map(now=1000)
    assert len(risk) == 0, "events decayed to nothing are forgotten"


def test_logistic_rule_and_moving_average():
    assert logistic_target(0.0, 100.0, 4.0, 0.9) < 0.02
    assert logistic_target(100.0, 100.0, 4.0, 0.9) == pytest.approx(0.45)
    assert logistic_target(1000.0, 100.0, 4.0, 0.9) > 0.89
    assert moving_average(0.0, 10.0, 1.0) == pytest.approx(10 * (1 - np.exp(-1)))


def _encryption_run(intercept_prob: float, interdict_prob: float, seed: int) -> float:
    scenario = load_scenario("drone_surge").with_overrides(
        {"run.seed": seed, "run.steps": 1344, "intel.intercept_prob": intercept_prob, "adaptation.encryption": True,
         "ground.interdict_prob": interdict_prob}, "test")
    return simulate(scenario).mean_level("encryption")


def test_encryption_rises_with_the_intercept_rate_and_stays_low_when_intercepts_cost_nothing():
    levels = {p: np.mean([_encryption_run(p, 0.7, seed) for seed in range(2)]) for p in (0.0, 0.15, 0.5)}
    assert levels[0.0] < levels[0.15] < levels[0.5]
    assert levels[0.0] < 0.03 and levels[0.5] > 3 * levels[0.0]
    harmless = np.mean([_encryption_run(0.5, 0.0, seed) for seed in range(2)])
    assert harmless < 0.03, "intercepts that never lead to a seizure cost nothing, so no encryption"


def test_no_counter_drone_measures_no_drones_lost():
    scenario = load_scenario("arms_race").with_overrides({"adaptation.counter_drone": False, "run.steps": 1000}, "test")
    model = simulate(scenario)
    assert model.tally.drones_lost == 0 and model.tally.jammed_drone_hours == 0
    assert model.mean_level("counter_drone") == 0.0
    on = simulate(load_scenario("arms_race").with_overrides({"run.steps": 1000}, "test"))
    assert on.mean_level("counter_drone") > 0.5 and on.tally.drones_lost > 0 and on.tally.jammed_drone_hours > 0


def test_surviving_fleet_follows_exponential_decay_under_a_constant_hazard():
    hazard, drones, steps, seeds = 0.1, 100, 120, 10
    alive = np.zeros(steps)
    for seed in range(seeds):
        scenario = Scenario().with_overrides({
            "run.seed": seed, "world.height": 64, "world.width": 64, "drones.count": drones, "drones.endurance_h": 100.0,
            "drones.turnaround_h": 0.0, "counter.initial_level": 1.0, "counter.radius_km": 5000.0,
            "counter.loss_hazard_per_h": hazard, "counter.jam_rate_per_h": 0.0, "cartels.shipments_per_day": 0.0}, "test")
        model = SkywatchModel(scenario)
        model.fleet.ground_h[:] = 0.0  # every drone takes off at the first step and stays up (endurance > horizon)
        for k in range(steps):
            model.step()
            alive[k] += drones - model.tally.drones_lost
    n = drones * seeds
    t = np.arange(1, steps + 1) * scenario["run.step_hours"]
    expected = np.exp(-hazard * t)
    sigma = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(alive / n - expected) < 4 * sigma + 1e-9), np.max(np.abs(alive / n - expected) / (sigma + 1e-12))


def test_coarse_to_fine_planning_finds_near_least_cost_routes(monkeypatch):
    """Large rasters re-plan coarse-to-fine; shrink the exact limit to check it against exact Dijkstra."""
    from sim import routes

    model = SkywatchModel(Scenario().with_overrides({"run.seed": 3}, "test"))
    world = model.world
    risk = RiskMemory(world.shape, 100.0, 6.0)
    risk.add(np.random.default_rng(0).integers(0, world.cell_hours.size, 40), 1.0, 0)
    cost = world.cell_hours.astype(np.float64) + 2.0 * risk.risk_map(0)
    exact = routes.plan_routes(cost, world.sources, world.sinks, world.corridor, 3)
    monkeypatch.setattr(routes, "EXACT_SIDE", 64)  # 256² → blocks of 4
    coarse = routes.plan_routes(cost, world.sources, world.sinks, world.corridor, 3, coarse=True)
    assert coarse.source.size == exact.source.size
    np.testing.assert_array_less(exact.cost - 1e-6, coarse.cost)
    ratio = coarse.cost / exact.cost
    assert ratio.max() < 1.08 and ratio.mean() < 1.03, ratio
    for r in range(coarse.source.size):
        path = coarse.cells_of(r)
        assert path[0] == world.sources[coarse.source[r]] and path[-1] == world.sinks[coarse.sink[r]]
        rows, cols = np.divmod(path, world.shape[1])
        assert np.all(np.maximum(abs(np.diff(rows)), abs(np.diff(cols))) == 1)


def test_dropping_unused_routes_bounds_the_table_and_changes_no_output(monkeypatch):
    """Re-planning every 6 h appends routes; dropping those no one uses keeps every output the same."""
    scenario = load_scenario("arms_race").with_overrides(
        {"run.steps": 400, "cartels.planning_hours": 6.0, "run.validate": True, "world.height": 128, "world.width": 128}, "test")
    dropping = simulate(scenario)
    monkeypatch.setattr(CartelPhase, "_drop_unused_routes", lambda phase: None)
    keeping = simulate(scenario)
    assert dropping.book.routes_planned == keeping.book.routes_planned == keeping.routes.source.size > 100
    assert dropping.routes.source.size < keeping.routes.source.size / 3
    np.testing.assert_array_equal(dropping.flow, keeping.flow)
    assert summarize(dropping) == summarize(keeping)
    assert dropping.datacollector.get_model_vars_dataframe().equals(keeping.datacollector.get_model_vars_dataframe())


def test_sources_the_band_cuts_off_are_planned_on_the_whole_raster(monkeypatch):
    from sim import routes

    world = SkywatchModel(Scenario().with_overrides({"run.seed": 3}, "test")).world
    cost = world.cell_hours.astype(np.float64)
    exact = routes.plan_routes(cost, world.sources, world.sinks, world.corridor, 3)
    monkeypatch.setattr(routes, "EXACT_SIDE", 64)  # 256² → blocks of 4
    monkeypatch.setattr(routes, "_band", lambda *args: np.zeros(0, dtype=np.int64))  # a band that holds nothing
    fallback = routes.plan_routes(cost, world.sources, world.sinks, world.corridor, 3, coarse=True)
    for name in ("source", "sink", "cost", "start", "length", "cells", "corridor"):
        np.testing.assert_array_equal(getattr(fallback, name), getattr(exact, name))


# --- the risk memory stays bounded ---------------------------------------------------------------

def test_risk_memory_stays_bounded_over_a_long_run_whatever_reads_it():
    """A month of 5,000 sightings a day in 15-minute steps: the memory holds what its readers need, no more."""
    steps, per_step, weight, places, memory_steps = 2880, 52, 0.3, 6, 48.0
    live = per_step * np.ceil(memory_steps * np.log(weight / MIN_WEIGHT))  # events weighing more than MIN_WEIGHT at a time
    rng = np.random.default_rng(0)
    for maps in (False, True):
        risk = RiskMemory((256, 256), memory_steps, 2.0, recent_places=places, maps=maps)
        largest = 0
        for step in range(steps):
            newest = rng.integers(0, 256 * 256, per_step)
            risk.add(newest, weight, step)
            largest = max(largest, risk._size)
        bound = max(PRUNE_MIN_EVENTS, 2 * (live + places + per_step)) + per_step if maps else PRUNE_MIN_EVENTS + per_step
        assert largest <= bound < steps * per_step / 3, (maps, largest, bound)
        _, first = np.unique(newest[::-1], return_index=True)
        np.testing.assert_array_equal(risk.recent_cells()[:places], newest[::-1][np.sort(first)][:places])


def test_pruning_the_risk_memory_changes_no_result(monkeypatch):
    """Pruning all the time (whenever 16 events are held) or never: the same runs, route shifting on or off."""
    for shifting in (False, True):
        scenario = load_scenario("arms_race").with_overrides(
            {"run.steps": 300, "world.height": 80, "world.width": 80, "cartels.shipments_per_day": 300.0,
             "counter.initial_level": 0.5, "adaptation.route_shifting": shifting}, "test")
        with monkeypatch.context() as patch:
            patch.setattr("sim.adaptation.PRUNE_MIN_EVENTS", 16)
            pruned = simulate(scenario)
        whole = simulate(scenario)
        if not shifting:  # with route shifting every plan forgets what has decayed, pruned or not
            remembered = sum(len(c.risk) for c in whole.cartels)
            assert remembered > 200 and sum(len(c.risk) for c in pruned.cartels) <= 2 * (16 + 6), remembered
        np.testing.assert_array_equal(pruned.flow, whole.flow)
        assert summarize(pruned) == summarize(whole)
        assert pruned.datacollector.get_model_vars_dataframe().equals(whole.datacollector.get_model_vars_dataframe())


def test_a_pruned_memory_draws_the_same_maps_and_places(monkeypatch):
    """Fed the same events, a memory pruned whenever it holds 16 events and one never pruned read the same, bit for bit."""
    with monkeypatch.context() as patch:
        patch.setattr("sim.adaptation.PRUNE_MIN_EVENTS", 16)
        pruned = RiskMemory((64, 64), 4.0, 2.0, recent_places=4)
    whole = RiskMemory((64, 64), 4.0, 2.0, recent_places=4)
    rng = np.random.default_rng(1)
    forgot = False
    for step in range(400):
        cells, weight = rng.integers(0, 64 * 64, rng.integers(0, 6)), float(rng.choice([0.3, 1.0]))
        pruned.add(cells, weight, step)
        whole.add(cells, weight, step)
        forgot = forgot or pruned._size < whole._size
        if step % 100 == 99:
            assert (len(pruned) > 0) == (len(whole) > 0)
            np.testing.assert_array_equal(pruned.risk_map(step), whole.risk_map(step))
        if step % 7 == 0:
            heads = [np.unique(m.recent_cells(), return_index=True)[1] for m in (pruned, whole)]
            np.testing.assert_array_equal(
                *(m.recent_cells()[np.sort(h)][:4] for m, h in zip((pruned, whole), heads, strict=True))
            )
    assert forgot, "the pruned memory should have forgotten events before they were read"


@pytest.mark.parametrize("seed", range(8))
def test_first_places_are_those_of_the_whole_memory(seed):
    """Read from a growing head, the first places equal those of a pass over all the events (fewer distinct cells too)."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, int(rng.integers(1, 60)), int(rng.integers(1, 2000)))
    for count in (1, 6, 100):
        _, first = np.unique(cells, return_index=True)
        np.testing.assert_array_equal(first_places(cells, count), np.sort(first)[:count])


def test_counter_drone_zones_go_where_shipments_were_last_spotted_not_where_they_were_seized():
    scenario = Scenario().with_overrides({"world.height": 64, "world.width": 64, "counter.initial_level": 1.0,
                                          "counter.max_zones": 1, "adaptation.counter_drone": False}, "test")
    cartel = SkywatchModel(scenario).cartels[0]
    spotted, seized = 10 * 64 + 20, 40 * 64 + 30
    cartel.learn_sightings(np.array([spotted]), 0)
    cartel.learn_losses(np.array([seized]), 1)  # a checkpoint seizure, after the sighting
    cartel.adapt(1.0)
    np.testing.assert_array_equal(cartel.zones, [[20.5, 10.5]])
