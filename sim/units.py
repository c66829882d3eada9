"""The one boundary where physical units (km, km/h, hours) become cells and steps."""

from __future__ import annotations

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

    def per_step(self, per_day: float) -> float:
        """A daily rate as a rate per step."""
        return per_day * self.step_hours / HOURS_PER_DAY
