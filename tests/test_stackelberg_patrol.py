"""drones.patrol = "stackelberg": the plan covers authorised blocks within the flight hours and caps, learns, replays."""

import dataclasses
import json

import numpy as np
import pytest

from sim.cli import main
from sim.model import SkywatchModel
from sim.patrol import flight_budget
from sim.platforms import platforms
from sim.scenario import Scenario

SIDE = 72  # cells of 1 km
SMALL = {"world.height": SIDE, "world.width": SIDE, "drones.count": 10, "drones.endurance_h": 4.0, "drones.turnaround_h": 1.0,
         "drones.patrol": "stackelberg", "patrol.plan_hours": 6.0, "run.validate": True}
BAND = ([[20, 0], [44, 0], [44, 72], [20, 72]],)
PERIOD_STEPS = 24  # 6 h of 15 min steps


def _model(steps, **overrides):
    model = SkywatchModel(Scenario().with_overrides({**SMALL, **overrides}, "test"))
    for _ in range(steps):
        model.step()  # validating: nothing sensed outside the airspace, no cap overrun
    return model


def test_plan_covers_only_authorised_blocks_within_its_flight_hours():
    model = _model(2 * PERIOD_STEPS + 1, **{"airspace.zones_km": BAND})
    plan = model.patrol.plan
    blocks = model.patrol.block_of(np.flatnonzero(model.world.airspace))
    assert set(np.flatnonzero(plan.coverable)) == set(blocks.tolist())
    assert np.all(plan.hours[~plan.coverable] == 0.0) and plan.hours.sum() > 0.0
    assert plan.hours.sum() <= plan.budget * (1 + 1e-9)
    assert plan.budget == pytest.approx(10 * 6.0 * 3.5 / 4.5)  # drones × period × duty cycle (4 h less the 0.5 h reserve)
    assert len(plan.solve_seconds) == 3  # the first step and two periods later


def test_flight_budget_keeps_to_platform_and_operator_caps():
    base = platforms(Scenario().with_overrides({"drones.count": 10, "drones.patrol": "stackelberg"}, "test").values)[0]
    uncapped = flight_budget([base], 24.0, 168.0, {})[0]
    assert uncapped == pytest.approx(10 * 24 * 13.5 / 17.5)  # sorties of 14 h less the 0.5 h reserve, 4 h turnarounds
    capped = dataclasses.replace(base, hour_cap=700.0)  # 700 h a week = 100 h a day
    assert flight_budget([capped], 24.0, 168.0, {})[0] == pytest.approx(100.0)
    assert flight_budget([base], 24.0, 168.0, {"partner": 350.0})[0] == pytest.approx(50.0)
    assert flight_budget([dataclasses.replace(base, patrol="random")], 24.0, 168.0, {}) == (0.0, 0.0, 0.0)
    _, footprint, detect = flight_budget([base], 24.0, 168.0, {})
    assert footprint == pytest.approx(np.pi * base.sensor_radius_km**2) and detect == base.detect_prob


def test_capped_flights_shrink_the_plan():
    capped = _model(1, **{"drones.hour_cap": 7 * 24.0})  # 24 h a day, 6 h a period
    assert capped.patrol.plan.budget == pytest.approx(6.0)
    assert capped.patrol.plan.hours.sum() <= 6.0 * (1 + 1e-9)


@pytest.mark.parametrize("learning", ["observed", "informed"])
def test_learning_refits_the_cartels_each_period(learning):
    model = _model(3 * PERIOD_STEPS + 1, **{"patrol.learning": learning})
    plan = model.patrol.plan
    assert len(plan.history) == 3
    assert plan.omega != (-2.0, 2.0, 1.0)  # moved off the prior
    if learning == "informed":
        assert np.all(np.isfinite(plan.standard_error))
        assert sum(c.counts.sum() for c in plan.history) > 1000  # shipment-steps, every one seen


def test_same_seed_same_plan_and_outcomes():
    one, two = _model(PERIOD_STEPS + 1), _model(PERIOD_STEPS + 1)
    assert np.array_equal(one.patrol.plan.coverage, two.patrol.plan.coverage)
    assert one.tally.shipments_seized == two.tally.shipments_seized
    assert np.array_equal(one.fleet.x, two.fleet.x)


def test_other_policies_make_no_plan():
    assert _model(1, **{"drones.patrol": "hotspot"}).patrol.plan is None


def test_cli_runs_stackelberg_and_refuses_an_unknown_learning(tmp_path, capsys):
    sets = [f"--set={k}={json.dumps(v) if isinstance(v, str) else v}" for k, v in SMALL.items() if k != "run.validate"]
    assert main(["run", "drone_surge", "--quiet", "--steps", "30", "--out", str(tmp_path / "run"), *sets]) == 0
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["drone_flight_hours"] > 0
    capsys.readouterr()
    assert main(["run", "drone_surge", "--quiet", "--steps", "3", "--out", str(tmp_path / "bad"),
                 "--set", "patrol.learning=bogus"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("skywatch: error: ") and "patrol.learning" in err[0]


def test_a_stackelberg_plan_over_too_many_blocks_is_refused_before_it_runs(tmp_path, capsys):
    """1 km blocks on the 256 km default world are 65,536 targets (a solve of hours); validate says so in one line."""
    path = tmp_path / "fine.toml"
    path.write_text('[drones]\npatrol = "stackelberg"\n[patrol]\ngrid_km = 1.0\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "patrol.grid_km: expected at most 4,096 patrol blocks" in err[0] and "65,536" in err[0]
    path.write_text('[drones]\npatrol = "hotspot"\n[patrol]\ngrid_km = 1.0\n')  # other policies only weight the blocks
    assert main(["validate", str(path)]) == 0
