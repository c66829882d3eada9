"""Summary statistics a calibration compares with published figures: each a function of one run's summary.

A statistic is one of :data:`STATISTICS` (ratios the figures are published as) or any numeric outcome kept in
``summary.json`` (:data:`sim.outcomes.OUTCOMES`, by name). A statistic a run cannot give (a share of seizures in a
run without seizures) is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.outcomes import OUTCOMES

Summary = dict[str, Any]


@dataclass(frozen=True)
class Statistic:
    """A number read from a run's summary.

    Attributes:
        name: its name in calibration files and outputs.
        unit: its unit.
        meaning: one line.
        read: the value from a summary; None when the run cannot give it.
        high: the largest value it can take (1 for a share; every statistic is at least 0).
    """

    name: str
    unit: str
    meaning: str
    read: Callable[[Summary], float | None]
    high: float = math.inf


def _ratio(numerator: Callable[[Summary], float], denominator: str) -> Callable[[Summary], float | None]:
    """``numerator(summary) / summary[denominator]``, None when the denominator is 0."""
    return lambda s: numerator(s) / s[denominator] if s[denominator] else None


STATISTICS: tuple[Statistic, ...] = (
    Statistic("drone_seizure_share", "-", "seizures by units answering a drone detection, as a share of all seizures",
              _ratio(lambda s: s["seized_by_drone_cue"], "shipments_seized"), 1.0),
    Statistic("flown_hours_share", "-", "flight hours flown as a share of those scheduled",
              _ratio(lambda s: s["drone_flight_hours"], "flight_hours_scheduled"), 1.0),
    Statistic("cost_per_flight_hour", "currency/h", "full cost of the air platforms per flight hour flown",
              _ratio(lambda s: s["cost_breakdown"]["drones"], "drone_flight_hours")),
    Statistic("reported_cost_per_flight_hour", "currency/h", "operator-reported cost of the air platforms per flight hour",
              _ratio(lambda s: s["air_cost_reported"], "drone_flight_hours")),
    Statistic("value_per_kg", "currency/kg", "value of a kilogram delivered at the sinks (the border)",
              _ratio(lambda s: s["value_delivered"], "weight_delivered_kg")),
)
# Outcomes whose value is a table by label (port, platform, lever, corridor), not one number.
BY_LABEL_OUTCOMES = ("crossing_arrivals", "crossing_seizures", "platform_hours", "cost_breakdown", "corridor_flow")
# Outcomes that are shares or levels from 0 to 1.
SHARE_OUTCOMES = ("seizure_rate", "port_seizure_share", "partner_dependence", "encryption_level", "counter_drone_level",
                  "trust")
OUTCOME_STATISTICS: tuple[Statistic, ...] = tuple(
    Statistic(o.name, o.unit, o.meaning, lambda s, name=o.name: s[name], 1.0 if o.name in SHARE_OUTCOMES else math.inf)
    for o in OUTCOMES
    if o.where != "metrics" and o.aggregation != "label" and o.name not in BY_LABEL_OUTCOMES
)
BY_NAME: dict[str, Statistic] = {s.name: s for s in (*STATISTICS, *OUTCOME_STATISTICS)}


def statistic_value(name: str, summary: Summary) -> float:
    """Statistic ``name`` of a run's summary as a float (NaN when the run cannot give it)."""
    value = BY_NAME[name].read(summary)
    return math.nan if value is None else float(value)
