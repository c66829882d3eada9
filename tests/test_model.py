"""Model-level tests: invariants in validating mode, determinism, and what drones add."""

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernels import flight, movement
from sim.model import SkywatchModel
from sim.outcomes import effective_area_km2, summarize
from sim.phases import InvariantError
from sim.phases import shipments as shipments_phase
from sim.run import simulate
from sim.scenario import Scenario, load_scenario

SMALL = {"world.height": 96, "world.width": 96, "run.steps": 150, "run.validate": True, "cartels.shipments_per_day": 96.0}


def small(**overrides) -> Scenario:
    values = dict(SMALL)
    values.update({k.replace("__", "."): v for k, v in overrides.items()})
    return Scenario().with_overrides(values, "test")


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32), drones=st.integers(0, 30), policy=st.sampled_from(["random", "lawnmower"]),
       concealment=st.floats(0.0, 0.9), step_hours=st.sampled_from([0.1, 0.25, 1.0]),
       adaptations=st.tuples(st.booleans(), st.booleans(), st.booleans()), intercept=st.floats(0.0, 1.0))
def test_invariants_hold_every_step(seed, drones, policy, concealment, step_hours, adaptations, intercept):
    shifting, encryption, counter_drone = adaptations
    scenario = small(run__seed=seed, drones__count=drones, drones__patrol=policy,
                     shipments__concealment=concealment, run__step_hours=step_hours, intel__intercept_prob=intercept,
                     adaptation__route_shifting=shifting, adaptation__encryption=encryption,
                     adaptation__counter_drone=counter_drone, cartels__planning_hours=12.0)
    model = simulate(scenario)  # validating mode raises InvariantError on any broken invariant
    t = model.tally
    assert t.shipments_launched == t.shipments_delivered + t.shipments_seized + model.pool.live
    assert model.flow.sum() > 0


def test_validating_mode_catches_a_lost_shipment():
    model = SkywatchModel(small())
    for _ in range(20):
        model.step()
    model.tally.shipments_delivered += 1  # a shipment counted twice
    with pytest.raises(InvariantError):
        model.check_invariants()


def test_validating_mode_catches_a_silently_lost_drone():
    model = SkywatchModel(small(drones__count=4))
    model.step()
    model.fleet.state[0] = flight.LOST
    with pytest.raises(InvariantError):
        model.check_invariants()


def test_same_seed_same_outputs_and_different_seed_differs():
    a, b, c = (simulate(small(run__seed=s, drones__count=10)) for s in (3, 3, 4))
    assert summarize(a) == summarize(b)
    np.testing.assert_array_equal(a.flow, b.flow)
    assert a.datacollector.get_model_vars_dataframe().equals(b.datacollector.get_model_vars_dataframe())
    assert summarize(a) != summarize(c)
    assert not np.array_equal(a.flow, c.flow)


def _fingerprint(seed: int) -> tuple:
    model = simulate(small(run__seed=seed, drones__count=10, run__validate=False))
    return summarize(model), model.flow.tolist()


def test_runs_in_threads_match_runs_one_after_another(monkeypatch):
    """Models stepped from several threads at once (as in the live view) give their serial results."""
    serial = [_fingerprint(seed) for seed in range(4)]
    monkeypatch.setattr(movement, "PARALLEL_SLOTS", 0)  # every step's lanes on the shared threads too
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(_fingerprint, range(4)))
    assert threaded == serial


def _shuffled_live_first(status: np.ndarray, *_tables) -> np.ndarray:
    """Every slot in an order made up each call: the live ones first (as :meth:`ShipmentPool.regroup` takes them)."""
    rng = np.random.default_rng(int(status.size) + int((status == movement.IN_TRANSIT).sum()))
    live = status == movement.IN_TRANSIT
    return np.concatenate([rng.permutation(np.flatnonzero(live)), rng.permutation(np.flatnonzero(~live))])


@pytest.mark.parametrize("scenario", ["intel_sharing", "arms_race", "intel_sharing_no_fusion"])  # the last: queue order
def test_outputs_do_not_depend_on_where_the_shipments_sit_in_the_pool(monkeypatch, scenario):
    """Every step, every shipment moved to another slot (the cues and the units' targets following): same run."""
    values = {**SMALL, "run.steps": 200, "drones.count": 20, "ground.units": 12}
    kept = simulate(load_scenario(scenario).with_overrides(values, "test"))
    monkeypatch.setattr(shipments_phase, "REGROUP_LIVE", 0)
    monkeypatch.setattr(shipments_phase, "REGROUP_STEPS", 1)
    monkeypatch.setattr(shipments_phase, "route_order", _shuffled_live_first)
    moved = simulate(load_scenario(scenario).with_overrides(values, "test"))
    assert kept.tally.detections > 0 and kept.tally.seized_by_drone_cue > 0, "cues were answered"
    assert summarize(moved) == summarize(kept)
    np.testing.assert_array_equal(moved.flow, kept.flow)
    assert moved.datacollector.get_model_vars_dataframe().equals(kept.datacollector.get_model_vars_dataframe())


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")  # the fork is what is tested
def test_a_forked_process_can_run_after_the_parent_ran():
    """A user's fork-based multiprocessing pool works after a run in the parent (no threading layer hang)."""
    expected = _fingerprint(1)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        result = pool.map_async(_fingerprint, [1, 2])
        forked = result.get(timeout=120)
    assert forked[0] == expected and forked[1] != expected


def test_streams_are_separate_drones_do_not_reshuffle_the_world():
    quiet, busy = SkywatchModel(small(drones__count=0)), SkywatchModel(small(drones__count=20))
    np.testing.assert_array_equal(quiet.world.cell_hours, busy.world.cell_hours)
    np.testing.assert_array_equal(quiet.world.sources, busy.world.sources)


def test_drones_add_seizures_over_seeds():
    """Drone cues add seizures when they are the ground units' only cues (no intercepts or tips)."""
    gains = []
    only_drones = {"intel__intercept_prob": 0.0, "community__trust": 0.0, "run__steps": 300}
    for seed in range(4):
        without = summarize(simulate(small(run__seed=seed, drones__count=0, **only_drones)))
        with_drones = summarize(simulate(small(run__seed=seed, drones__count=20, **only_drones)))
        assert without["detections"] == 0 and without["drone_flight_hours"] == 0
        assert with_drones["detections"] > 0
        gains.append(with_drones["shipments_seized"] - without["shipments_seized"])
    assert np.mean(gains) > 0 and sum(g > 0 for g in gains) >= 3


def test_budget_limits_launches():
    broke = summarize(simulate(small(cartels__budget=0.0)))
    assert broke["shipments_launched"] == 0
    free = summarize(simulate(small(cartels__budget=0.0, cartels__launch_cost=0.0)))
    assert free["shipments_launched"] > 0


def test_flight_hours_cost_and_privacy_add_up():
    model = simulate(small(drones__count=6))
    s = summarize(model)
    frame = model.datacollector.get_model_vars_dataframe()
    airborne_hours = frame["drones_airborne"].iloc[1:].sum() * model.units.step_hours
    assert s["drone_flight_hours"] == pytest.approx(airborne_hours, rel=0.1)
    cost = (
        s["drone_flight_hours"] * model.scenario["drones.cost_per_hour"]
        + s["ground_unit_hours"] * model.scenario["ground.cost_per_hour"]
    )
    assert s["surveillance_cost"] == pytest.approx(cost)
    assert s["privacy_exposure"] > 0


def test_route_dispersion_is_the_effective_area():
    flow = np.zeros((10, 10))
    flow[0, :4] = 7
    assert effective_area_km2(flow, 2.0) == pytest.approx(4 * 4.0)
    flow[5, 5] = 1000
    assert effective_area_km2(flow, 2.0) < 4 * 4.0
