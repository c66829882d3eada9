"""The one boundary where physical units (km, km/h, hours) become cells and steps."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.scenario import Scenario

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Units:
    """Conversion factors of one run.

    Attributes:
        cell_km: side of a cell, km.
        step_hours: hours per step.
    """

    cell_km: float
    step_hours: float

    @classmethod
    def of(cls, scenario: Scenario) -> Units:
        """The units of a scenario."""
        return cls(scenario["world.cell_km"], scenario["run.step_hours"])

    def cells(self, km: float) -> float:
        """A distance in km as cells."""
        return km / self.cell_km

    def cells_per_hour(self, kmh: float) -> float:
        """A speed in km/h as cells per hour."""
        return kmh / self.cell_km

    def hours_per_cell(self, kmh: float) -> float:
        """Hours to cross one cell at ``kmh``."""
        return self.cell_km / kmh

    def steps(self, hours: float) -> int:
        """A duration in hours as whole steps (at least one)."""
        return max(1, round(hours / self.step_hours))

    def step_ends(self, hours: float) -> int:
        """Steps from a step's end to the step end nearest ``hours`` after it (0 or more; half a step rounds up).

        What the phases do at a step's end falls this many step ends after what they do at the end
        of the step in which it was set off: the same hours later on average, at any step length.
        """
        return max(0, math.floor(hours / self.step_hours + 0.5))

    def ready_step(self, now: int, into_h: float, delay_h: float) -> int:
        """The step whose end is nearest ``delay_h`` after a report ``into_h`` hours into step ``now`` (not before it)."""
        return now + self.step_ends(into_h + delay_h - self.step_hours)

    def per_step(self, per_day: float) -> float:
        """A daily rate as a rate per step."""
        return per_day * self.step_hours / HOURS_PER_DAY
