"""Every lever has a cost: the breakdown by lever, the total, the cost per seizure, and the cost so far."""

import pandas as pd
import pytest

from sim.costs import cost_breakdown
from sim.outcomes import summarize
from sim.params import SCHEMA
from sim.run import simulate
from sim.scenario import Scenario, load_scenario
from sim.sweep.results import outcomes
from sim.units import Units

LEVERS = {"drones", "ground_units", "checkpoints", "intel_cell", "joint_task_force", "community_programs",
          "awareness_campaigns", "crisis_teams"}


def every_lever() -> Scenario:
    return Scenario().with_overrides({
        "world.height": 72, "world.width": 72, "run.steps": 96, "run.step_hours": 0.5, "drones.count": 5,
        "ground.units": 7, "ground.checkpoints": 3, "intel.intercept_prob": 0.2, "intel.joint_task_force": True,
        "community.programs": 0.5, "community.awareness": 1.0, "community.crisis_teams": 0.25,
    }, "test")


def test_each_lever_costs_what_its_parameters_say():
    model = simulate(every_lever())
    s, p = summarize(model), every_lever().params
    days = 96 * 0.5 / 24
    expected = {
        "drones": s["drone_flight_hours"] * p.drones.cost_per_hour,
        "ground_units": 7 * 96 * 0.5 * p.ground.cost_per_hour,
        "checkpoints": 3 * p.ground.checkpoint_cost_per_day * days,
        "intel_cell": 0.2 * p.intel.cost_per_day * days,
        "joint_task_force": p.intel.jtf_cost_per_day * days,
        "community_programs": 0.5 * p.community.programs_cost_per_day * days,
        "awareness_campaigns": p.community.awareness_cost_per_day * days,
        "crisis_teams": 0.25 * p.community.crisis_cost_per_day * days,
    }
    assert s["cost_breakdown"] == pytest.approx(expected)
    assert all(cost > 0 for cost in s["cost_breakdown"].values())
    assert s["total_cost"] == pytest.approx(sum(expected.values()))
    assert s["surveillance_cost"] == pytest.approx(expected["drones"] + expected["ground_units"]), "kept as it was"
    assert s["shipments_seized"] > 0 and s["cost_per_seizure"] == pytest.approx(s["total_cost"] / s["shipments_seized"])


def test_metrics_give_the_cost_so_far_ending_at_the_total():
    model = simulate(every_lever())
    cost = model.datacollector.get_model_vars_dataframe()["total_cost"]
    assert cost.iloc[0] == 0.0 and cost.is_monotonic_increasing
    assert cost.iloc[-1] == pytest.approx(summarize(model)["total_cost"])


def test_no_seizures_no_cost_per_seizure():
    s = summarize(simulate(every_lever().with_overrides({"cartels.budget": 0.0}, "test")))
    assert s["shipments_seized"] == 0 and s["cost_per_seizure"] is None and s["total_cost"] > 0


def test_community_levers_are_no_longer_free():
    units, hours = Units(1.0, 0.25), {"air_cost": 4000.0 * 3000.0, "ground_unit_hours": 2000.0}
    surge = cost_breakdown(load_scenario("drone_surge").params, units, 672, **hours)
    programs = cost_breakdown(load_scenario("community_programs").params, units, 672, **hours)
    week = 7 * (SCHEMA["community.programs_cost_per_day"].default + SCHEMA["community.awareness_cost_per_day"].default
                + SCHEMA["community.crisis_cost_per_day"].default)
    assert sum(programs.values()) - sum(surge.values()) == pytest.approx(week)
    assert week > 0


def test_every_lever_cost_is_in_the_schema_in_currency():
    costs = ("drones.cost_per_hour", "ground.cost_per_hour", "ground.checkpoint_cost_per_day", "intel.cost_per_day",
             "intel.jtf_cost_per_day", "community.programs_cost_per_day", "community.awareness_cost_per_day",
             "community.crisis_cost_per_day")
    assert all(SCHEMA[name].unit in ("currency/h", "currency/day") and SCHEMA[name].default > 0 for name in costs)


def test_the_sweep_table_gets_one_column_per_lever():
    flat = outcomes(summarize(simulate(every_lever().with_overrides({"run.steps": 8}, "test"))))
    assert {f"cost_breakdown.{lever}" for lever in LEVERS} <= flat.keys()
    assert pd.Series({k: flat[f"cost_breakdown.{k}"] for k in LEVERS}).sum() == pytest.approx(flat["total_cost"])
