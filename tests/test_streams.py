"""The world apart from the dynamics, one stream per mechanism, and common random numbers in sweeps."""

import json

import numpy as np
import pandas as pd
import pytest

from sim.agents import choice_cdf
from sim.cli import main
from sim.counter_drone import apply_zones
from sim.cues import CUE_DRONE
from sim.fleet import Fleet
from sim.intel import IntelCell
from sim.model import SkywatchModel
from sim.outcomes import Tally
from sim.preflight import preflight
from sim.run import simulate
from sim.scenario import Scenario, ScenarioError
from sim.shipments import ShipmentPool
from sim.streams import RUN_STREAMS, WORLD_STREAMS, run_streams, tag
from sim.sweep.design import load_sweep, plan_runs
from sim.sweep.results import read_results
from sim.units import Units
from sim.world import World, build_world

SMALL = {"world.height": 80, "world.width": 80, "run.steps": 120, "cartels.shipments_per_day": 96.0}
PLACES = ("cell_hours", "cover", "population", "sources", "sinks", "corridor", "infra_cells", "infra_kind", "bases", "posts",
          "checkpoints")
OWNERSHIP = ("source_owner", "infra_owner")  # who owns a place: the cartels share them out, so cartels.count changes it


def small(**values) -> Scenario:
    return Scenario().with_overrides({**SMALL, **values}, "test")


def assert_same_places(a: World, b: World, names: tuple[str, ...] = PLACES) -> None:
    for name in names:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


# --- the world depends on world.seed only ----------------------------------------------------------

@pytest.mark.parametrize("lever", [
    {"run.seed": 7}, {"drones.count": 40}, {"cartels.count": 3}, {"community.violence_per_day": 5.0},
    {"intel.intercept_prob": 0.5}, {"drones.patrol": "lawnmower"}, {"ground.interdict_prob": 0.2},
    {"shipments.concealment": 0.8}, {"counter.initial_level": 1.0},
])
def test_the_world_is_the_same_whatever_the_run_seed_and_the_levers(lever):
    plain, moved = build_world(small(**{"world.seed": 3})), build_world(small(**{"world.seed": 3, **lever}))
    assert_same_places(plain, moved)
    if "cartels.count" not in lever:
        assert_same_places(plain, moved, OWNERSHIP)


def test_ground_units_checkpoints_and_bases_keep_their_places_as_their_numbers_change():
    """Each count draws from its own stream, prefix-stable: fewer keeps the first ones, and nothing else moves."""
    full = build_world(small(**{"ground.units": 12, "ground.checkpoints": 10, "drones.bases": 4}))
    fewer_units = build_world(small(**{"ground.units": 3, "ground.checkpoints": 10, "drones.bases": 4}))
    fewer_posts = build_world(small(**{"ground.units": 12, "ground.checkpoints": 2, "drones.bases": 1}))
    np.testing.assert_array_equal(fewer_units.posts, full.posts[:3])
    np.testing.assert_array_equal(fewer_posts.checkpoints, full.checkpoints[:2])
    np.testing.assert_array_equal(fewer_posts.bases, full.bases[:1])
    assert_same_places(full, fewer_units, tuple(n for n in PLACES if n != "posts"))
    assert_same_places(full, fewer_posts, tuple(n for n in PLACES if n not in ("checkpoints", "bases")))
    assert len({tuple(p) for p in full.posts}) == 12, "posts are distinct while the roads have room"


def test_another_world_seed_gives_another_world():
    a, b = build_world(small()), build_world(small(**{"world.seed": 1}))
    for name in ("cell_hours", "population", "sources", "infra_cells", "bases", "posts", "checkpoints"):
        assert not np.array_equal(getattr(a, name), getattr(b, name)), name


def test_the_model_and_preflight_build_one_world_from_the_world_seed():
    scenario = small(**{"world.seed": 5, "run.seed": 9, "drones.count": 3})
    model = SkywatchModel(scenario)
    assert_same_places(model.world, preflight(scenario), PLACES + OWNERSHIP)
    assert_same_places(model.world, SkywatchModel(small(**{"world.seed": 5, "run.seed": 1})).world, PLACES)
    np.testing.assert_array_equal([u.post for u in model.ground.units], model.world.posts)
    np.testing.assert_array_equal(model.ground.checkpoints, model.world.checkpoints)
    np.testing.assert_array_equal(model.air.bases, model.world.bases)


# --- one stream per mechanism ---------------------------------------------------------------------

def test_streams_are_named_apart():
    names = (*WORLD_STREAMS, *RUN_STREAMS, "world", "run")
    assert len({tag(name) for name in names}) == len(names)
    streams = run_streams(0)
    assert streams.generator("launch", 0) is streams.generator("launch", 0)
    assert streams.generator("launch", 0).random() != streams.generator("launch", 1).random()
    with pytest.raises(KeyError):
        streams.generator("terrain")  # a world stream: the run has none of that name


NO_FEEDBACK = {"cartels.launch_cost": 0.0}  # launches never wait on the budget: nothing that happens feeds back into them


def _per_step(scenario: Scenario, *columns: str) -> pd.DataFrame:
    return simulate(scenario).datacollector.get_model_vars_dataframe()[list(columns)]


def test_violence_moves_no_launch():
    """Violence draws from its own stream: the launches, step by step and corridor by corridor, stay as they were."""
    calm = simulate(small(**NO_FEEDBACK, **{"community.violence_per_day": 0.0}))
    violent = simulate(small(**NO_FEEDBACK, **{"community.violence_per_day": 20.0}))
    assert calm.tally.violence_events == 0 and violent.tally.violence_events > 10
    launches = [c for c in calm.datacollector.get_model_vars_dataframe() if c.startswith("launched_")]
    pd.testing.assert_frame_equal(calm.datacollector.get_model_vars_dataframe()[["shipments_launched", *launches]],
                                  violent.datacollector.get_model_vars_dataframe()[["shipments_launched", *launches]])


def test_sharing_fewer_detections_moves_no_intercept():
    """``intel.sharing_fraction`` 1 → 0.9 draws from the sharing stream; every intercept stays where it was."""
    values = {**NO_FEEDBACK, "drones.count": 12, "intel.intercept_prob": 0.3}
    full = simulate(small(**values))
    partial = simulate(small(**values, **{"intel.sharing_fraction": 0.9}))
    assert full.tally.intercepts > 20
    pd.testing.assert_series_equal(full.datacollector.get_model_vars_dataframe()["intercepts"],
                                   partial.datacollector.get_model_vars_dataframe()["intercepts"])
    assert full.tally != partial.tally  # the lever did act


def test_more_drones_leave_each_drones_flight_alone():
    """Drone d's take-off delay and waypoints are its own draws: a larger fleet flies the first drones as before."""
    values = {"drones.patrol": "random", "run.steps": 80}
    few, many = (SkywatchModel(small(**values, **{"drones.count": n})) for n in (4, 9))
    np.testing.assert_array_equal(few.fleet.ground_h, many.fleet.ground_h[:4])
    for _ in range(80):
        few.step()
        many.step()
    assert few.tally.drone_flight_hours > 0
    np.testing.assert_array_equal(few.fleet.x, many.fleet.x[:4])
    np.testing.assert_array_equal(few.fleet.y, many.fleet.y[:4])


def test_a_drones_zone_hazards_do_not_depend_on_the_fleet_size():
    """Drone d's loss and jamming draws are counters of the step's key, however many drones there are."""
    key = run_streams(2).step_key("zone_hazard", 17)
    effects = []
    for count in (5, 11):
        fleet = Fleet.create(np.array([[10.0, 10.0]]), count, "random", (0.0, 20.0), 20, np.zeros(count))
        fleet.state[:] = 1  # PATROL: airborne, inside the zone below
        apply_zones(fleet, np.array([[10.0, 10.0]]), 100.0, 2.0, 1.0, 2.0, 0.25, 17, key)
        effects.append((fleet.state.copy(), fleet.jammed_until_h.copy()))
    (state_few, jam_few), (state_many, jam_many) = effects
    np.testing.assert_array_equal(state_few, state_many[:5])
    np.testing.assert_array_equal(jam_few, jam_many[:5])
    assert 0 < (state_many != 1).sum() < 11 and (jam_many > 0).any(), "some drones hit, some spared"


# --- common random numbers in sweeps --------------------------------------------------------------

FLEET_GRID = ('[sweep]\nbase = "drone_surge"\ndesign = "grid"\nreplications = 2\nseed = 5\n'
              '[sweep.fixed]\n"world.height" = 64\n"world.width" = 64\n"run.steps" = 32\n'
              '[sweep.parameters]\n{parameters}\n')


def test_a_fleet_size_grid_is_paired_replicate_by_replicate(tmp_path):
    path = tmp_path / "fleet.toml"
    path.write_text(FLEET_GRID.format(parameters='"drones.count" = [0, 4, 8, 12, 16]'))
    runs = plan_runs(load_sweep(path))
    assert {r.replicate: r.seed for r in runs} == {r.replicate: r.seed for r in runs if r.point == 0}
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--no-plots", "--quiet"]) == 0
    table = read_results(tmp_path / "out")
    assert (table["status"] == "ok").all() and len(table) == 10
    seeds = table.pivot(index="replicate", columns="point", values="seed")
    assert (seeds.nunique(axis=1) == 1).all() and seeds[0].nunique() == 2  # one seed per replicate, at every point
    assert "world_seed" not in table.columns, "the world seed is the base's (sweep.toml), or a swept parameter's column"
    launched = table.pivot(index="replicate", columns="point", values="shipments_launched")
    assert (launched.nunique(axis=1) == 1).all(), "paired runs launch the same shipments whatever the fleet"


def test_the_world_seed_is_swept_like_any_parameter_and_the_run_seed_is_not(tmp_path):
    path = tmp_path / "worlds.toml"
    path.write_text(FLEET_GRID.format(parameters='"world.seed" = [0, 1, 2]\n"drones.count" = [0, 8]'))
    runs = plan_runs(load_sweep(path))
    assert sorted({r.values["world.seed"] for r in runs}) == [0, 1, 2]
    assert len({r.seed for r in runs}) == 2, "the same replicates in every world"
    path.write_text(FLEET_GRID.format(parameters='"run.seed" = [0, 1]'))
    with pytest.raises(ScenarioError, match=r"run\.seed"):
        load_sweep(path)


# --- the command line -----------------------------------------------------------------------------

TINY_RUN = ["--steps", "8", "--set", "world.height=64", "--set", "world.width=64", "--quiet"]


def test_world_seed_option_names_the_folder_and_the_summary(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "baseline", *TINY_RUN, "--seed", "2", "--world-seed", "5"]) == 0
    summary = json.loads((tmp_path / "runs" / "baseline-world5-seed2" / "summary.json").read_text())
    assert (summary["seed"], summary["world_seed"]) == (2, 5)
    assert main(["run", "baseline", *TINY_RUN, "--seed", "2"]) == 0
    assert json.loads((tmp_path / "runs" / "baseline-seed2" / "summary.json").read_text())["world_seed"] == 0
    capsys.readouterr()
    assert main(["run", "baseline", *TINY_RUN, "--world-seed", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("skywatch: error: --world-seed: world.seed: expected"), err


@pytest.mark.parametrize("fusion", [False, True])
def test_whether_a_cue_is_shared_is_a_draw_of_its_own(fusion):
    """With a sharing fraction below 1, a drone detection's fate depends on its shipment, source and step only.

    With fusion, a shared detection of an intercepted shipment joins its cue instead of making one.
    """
    scenario = Scenario().with_overrides({"intel.sharing_fraction": 0.5, "intel.intercept_prob": 1.0,
                                          "intel.fusion": fusion}, "test")

    def shared_detections(intercepts_first: bool) -> set[int]:
        pool = ShipmentPool()
        n = 400
        slots = pool.launch(np.zeros(n, np.int64), np.zeros(n, np.int64), np.ones(n), np.zeros(n))
        cell = IntelCell(scenario.params, Units.of(scenario), pool, Tally(), run_streams(3))
        if intercepts_first:  # other cues drawn first, from the same stream, in the same step
            cell.intercept(slots[::2], np.zeros(slots[::2].size, np.int64), 0.0, now=7)
        cell.cue(slots, np.zeros(n, np.int64), 0.0, CUE_DRONE, shared=True, now=7)
        return set(cell.cues.uid[(cell.cues.sources & (1 << CUE_DRONE)) != 0].tolist())

    alone, after_intercepts = shared_detections(False), shared_detections(True)
    assert alone == after_intercepts
    assert 150 < len(alone) < 250, "about half the detections are shared"


@pytest.mark.parametrize("seed", range(40))
def test_launches_draw_their_routes_as_generator_choice_draws_them(seed):
    """The cartels draw routes from a CDF kept across steps; the draws are those of ``Generator.choice(ids, p=probs)``."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    weights = rng.random(n) ** 3 * (rng.random(n) < 0.8)
    weights[0] += weights.sum() == 0
    probs, ids, size = weights / weights.sum(), rng.integers(0, 10**6, n), int(rng.integers(0, 50))
    by_choice, by_cdf = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    expected = by_choice.choice(ids, size=size, p=probs)
    np.testing.assert_array_equal(ids[choice_cdf(probs).searchsorted(by_cdf.random(size), side="right")], expected)
    assert by_choice.random() == by_cdf.random(), "as many draws taken"
