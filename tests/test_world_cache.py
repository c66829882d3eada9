"""The world cache: runs that share a world share one build of it, and nothing outside its key changes a world."""

import pickle

import numpy as np
import pytest

from sim.outcomes import summarize
from sim.params import PARAMS
from sim.run import simulate
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.world_cache import WORLD_PARAMS, WORLD_SECTIONS, WORLDS, WorldCache, world_key

SMALL = {"world.height": 64, "world.width": 64, "run.steps": 60, "drones.count": 4, "cartels.shipments_per_day": 96.0}


def small(**overrides) -> Scenario:
    return Scenario().with_overrides({**SMALL, **overrides}, "test")


def _arrays(planned) -> dict[str, np.ndarray]:
    world, routes = planned.world, planned.routes
    arrays = {f"world.{name}": np.asarray(value) for name, value in vars(world).items()}
    arrays.update({f"crossings.{name}": np.asarray(value) for name, value in vars(planned.crossings).items()})
    arrays.update({f"routes.{name}": np.asarray(value) for name, value in vars(routes).items()})
    return arrays


def _alternative(param) -> object | None:
    """A valid value of ``param`` other than its default, or None when there is none to try simply."""
    default = param.default
    if isinstance(default, bool):
        return not default
    if isinstance(default, int | float):
        for value in (default * 2, default + 1, param.high, param.low):
            if value is not None and value != default and (param.low is None or value >= param.low) \
                    and (param.high is None or value <= param.high):
                return type(default)(value)
    if param.choices:
        return next((c for c in param.choices if c != default), None)
    return None


def test_no_parameter_outside_the_key_changes_the_world_or_its_routes():
    reference = _arrays(WorldCache().planned(small()))
    outside = [p for p in PARAMS if p.name.partition(".")[0] not in WORLD_SECTIONS and p.name not in WORLD_PARAMS]
    tried = 0
    for param in outside:
        value = _alternative(param)
        if value is None:
            continue
        try:
            planned = WorldCache().planned(small(**{param.name: value}))
        except ScenarioError:
            continue  # a value the scenario refuses with the others
        tried += 1
        arrays = _arrays(planned)
        assert arrays.keys() == reference.keys()
        for name, array in arrays.items():
            np.testing.assert_array_equal(array, reference[name], err_msg=f"{param.name} = {value!r} changed {name}")
    assert tried > 0.8 * len(outside)


def test_the_key_holds_the_world_seed_and_the_levers_that_place_sites():
    base = world_key(small())
    assert world_key(small(**{"run.seed": 9, "drones.count": 12})) == base
    for name, value in (("world.seed", 1), ("ground.units", 3), ("drones.bases", 1), ("cartels.count", 3)):
        assert world_key(small(**{name: value})) != base, name


def test_a_run_on_a_kept_world_gives_what_a_fresh_build_gives():
    scenario = small(**{"run.seed": 5})
    WORLDS.key = WORLDS.kept = None
    fresh = simulate(scenario)
    again = simulate(scenario)  # on copies of the kept world and routes
    other = simulate(small(**{"run.seed": 6}))  # the same world, another run
    after = simulate(scenario)
    assert summarize(fresh) == summarize(again) == summarize(after)
    assert summarize(other) != summarize(fresh)
    np.testing.assert_array_equal(fresh.flow, after.flow)
    assert fresh.world is not again.world and fresh.routes.cells is not again.routes.cells


def test_a_kept_world_is_checked_for_every_scenario():
    WORLDS.planned(small())
    refused = small(**{"drones.focus_corridor": 4})  # the world has 3 corridors
    assert world_key(refused) == WORLDS.key
    with pytest.raises(ScenarioError, match="focus_corridor"):
        WORLDS.planned(refused)


def test_a_scenario_whose_typed_sections_were_read_pickles_as_plain_pickle_does_and_reads_them_again() -> None:
    """The typed sections' classes are made at run time: a pickle leaves them out (spawned sweep workers unpickle it)."""
    scenario = load_scenario("baseline")
    count = scenario.params.drones.count
    copy = pickle.loads(pickle.dumps(scenario))
    assert copy == scenario and copy.params.drones.count == count
