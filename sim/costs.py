"""What the levers of the authorities cost, in currency: the run's total and its breakdown by lever.

Levers paid by the hour cost their hours: drone flight hours and ground unit-hours at their hourly
costs. Standing levers cost by the day for as long as the run lasts: road checkpoints per
checkpoint-day; the intelligence cell in proportion to its intercept probability (a cell that
reads twice the traffic needs twice the analysts and taps); joint task forces a fixed daily cost
while they sit; community programs, awareness campaigns and crisis-response teams their daily
cost at full intensity times their intensity.
"""

from __future__ import annotations

from sim.params import Params
from sim.units import Units


def cost_breakdown(params: Params, units: Units, steps: int, air_cost: float,
                   ground_unit_hours: float) -> dict[str, float]:
    """Currency spent on each lever over the first ``steps`` steps of a run.

    Args:
        params: the scenario's typed parameters.
        units: the run's unit conversions.
        steps: steps simulated so far.
        air_cost: flight hours so far at each platform's full hourly cost (drones and crewed aircraft), currency.
        ground_unit_hours: ground unit-hours in the field so far, h.
    """
    intel, community = params.intel, params.community

    def daily(cost_per_day: float) -> float:
        return units.per_step(cost_per_day) * steps

    return {
        "drones": air_cost,
        "ground_units": ground_unit_hours * params.ground.cost_per_hour,
        "checkpoints": daily(params.ground.checkpoints * params.ground.checkpoint_cost_per_day),
        "intel_cell": daily(intel.intercept_prob * intel.cost_per_day),
        "joint_task_force": daily(intel.jtf_cost_per_day) if intel.joint_task_force else 0.0,
        "community_programs": daily(community.programs * community.programs_cost_per_day),
        "awareness_campaigns": daily(community.awareness * community.awareness_cost_per_day),
        "crisis_teams": daily(community.crisis_teams * community.crisis_cost_per_day),
    }
