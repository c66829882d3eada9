"""The people in between: trust in the authorities per cell, the tips it brings, the harm that erodes it."""

from __future__ import annotations

import numpy as np

from sim.kernels.stamps import subtract_stamps
from sim.scenario import Scenario
from sim.units import Units


class Community:
    """Per-cell trust over the population raster.

    Args:
        scenario: the resolved scenario (``community.*`` parameters).
        population: (H, W) people per cell.
        units: the scenario's unit conversions.
    """

    def __init__(self, scenario: Scenario, population: np.ndarray, units: Units) -> None:
        self.scenario = scenario
        self.units = units
        self.population = population.astype(np.float32)
        self.trust = np.full(population.shape, scenario["community.trust"], dtype=np.float32)
        self.harm_sigma = units.cells(scenario["community.harm_radius_km"])
        self._mean: float | None = None  # cached mean trust; trust changes only at harm() and grow()

    def tip_probability(self, cells: np.ndarray) -> np.ndarray:
        """(n,) float32 probability per step that a shipment in each flat cell is reported.

        ``1 − exp(−rate × step_hours × trust × (1 + effect × awareness) × density / (density + reference))``.
        """
        s, u = self.scenario, self.units
        density = self.population.reshape(-1)[cells] / (u.cell_km**2)
        reach = density / (density + s["community.people_ref_per_km2"])
        rate = s["community.tip_rate_per_h"] * (1.0 + s["community.awareness_effect"] * s["community.awareness"])
        return (1.0 - np.exp(-rate * u.step_hours * self.trust.reshape(-1)[cells] * reach)).astype(np.float32)

    def harm(self, cells: np.ndarray, loss: float) -> None:
        """Events at ``cells`` (flat) each lower trust by ``loss`` at their centre, spread as a Gaussian.

        Crisis-response teams prevent the share ``crisis_effect × crisis_teams`` of the loss.
        """
        s = self.scenario
        loss *= 1.0 - s["community.crisis_effect"] * s["community.crisis_teams"]
        if loss <= 0.0 or np.size(cells) == 0:
            return
        self._mean = None
        reach = int(np.ceil(3.0 * self.harm_sigma))
        rows, cols = np.ogrid[-reach:reach + 1, -reach:reach + 1]
        stamp = loss * np.exp(-(rows**2 + cols**2) / (2.0 * self.harm_sigma**2))
        subtract_stamps(self.trust, np.asarray(cells, dtype=np.int64), stamp)

    def grow(self, days: float) -> None:
        """Community programs close part of the gap between trust and 1 over ``days``."""
        rate = self.scenario["community.program_trust_per_day"] * self.scenario["community.programs"]
        if rate > 0.0:
            self._mean = None
            self.trust += (1.0 - self.trust) * np.float32(1.0 - np.exp(-rate * days))

    def mean_trust(self) -> float:
        """Population-weighted mean trust (the plain mean where nobody lives)."""
        if self._mean is None:
            total = float(self.population.sum())
            weighted = float((self.trust.astype(np.float64) * self.population).sum())
            self._mean = weighted / total if total > 0.0 else float(self.trust.mean())
        return self._mean
