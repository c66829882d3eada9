"""The people in between: trust in the authorities per cell, the tips it brings, the harm and surveillance that erode it."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.kernels.stamps import subtract_stamps
from sim.units import Units

HARM_REACH_SIGMAS = 3.0  # a harmful event's Gaussian is cut off this many sigmas from its centre


class Community:
    """Per-cell trust over the population raster.

    Args:
        params: the ``community`` section of the scenario's typed parameters.
        population: (H, W) people per cell.
        units: the scenario's unit conversions.
    """

    def __init__(self, params: Any, population: np.ndarray, units: Units) -> None:
        self.p = params
        self.units = units
        self.population = population.astype(np.float32)
        self.people = float(self.population.sum())  # the population never changes
        self.trust = np.full(population.shape, params.trust, dtype=np.float32)
        self.harm_sigma = units.cells(params.harm_radius_km)
        self._mean: float | None = None  # cached mean trust; trust changes only at harm(), expose() and grow()
        self._weighted: np.ndarray | None = None  # (H, W) float64 trust × population, reused by every mean

    def tip_hazard(self, cells: np.ndarray) -> np.ndarray:
        """(n,) float64 rate (1/h) at which a shipment in each flat cell is reported.

        ``rate × trust × (1 + effect × awareness) × density / (density + reference)``.
        """
        c = self.p
        density = self.population.reshape(-1)[cells] / (self.units.cell_km**2)
        reach = density / (density + c.people_ref_per_km2)
        rate = c.tip_rate_per_h * (1.0 + c.awareness_effect * c.awareness)
        return rate * self.trust.reshape(-1)[cells] * reach

    def tip_probability(self, cells: np.ndarray) -> np.ndarray:
        """(n,) float32 probability that a shipment staying a whole step in each flat cell is reported: 1 − exp(−hazard × h)."""
        return (1.0 - np.exp(-self.tip_hazard(cells) * self.units.step_hours)).astype(np.float32)

    def harm(self, cells: np.ndarray, loss: float) -> None:
        """Events at ``cells`` (flat) each lower trust by ``loss`` at their centre, spread as a Gaussian.

        Crisis-response teams prevent the share ``crisis_effect × crisis_teams`` of the loss.
        """
        loss *= 1.0 - self.p.crisis_effect * self.p.crisis_teams
        if loss <= 0.0 or np.size(cells) == 0:
            return
        self._mean = None
        reach = min(int(np.ceil(HARM_REACH_SIGMAS * self.harm_sigma)), max(self.trust.shape) - 1)  # nothing lies further
        rows, cols = np.ogrid[-reach:reach + 1, -reach:reach + 1]
        stamp = loss * np.exp(-(rows**2 + cols**2) / (2.0 * self.harm_sigma**2))
        subtract_stamps(self.trust, np.asarray(cells, dtype=np.int64), stamp)

    def expose(self, cells: np.ndarray, hours: float | np.ndarray) -> float:
        """Cells (flat, each once) under drone sensors for ``hours`` (one figure or one per cell) lose trust.

        Each keeps trust × exp(−``privacy_trust_loss`` × hours), the rate in 1/h. The decay composes over steps, so a
        cell watched for the same hours loses the same trust at any step length.

        Returns:
            The trust lost, population-weighted like :meth:`mean_trust` (-).
        """
        rate = self.p.privacy_trust_loss
        if rate <= 0.0 or np.size(cells) == 0:
            return 0.0
        self._mean = None
        flat = self.trust.reshape(-1)
        before = flat[cells]
        flat[cells] = before * np.exp(-rate * np.asarray(hours, dtype=np.float64)).astype(np.float32)
        lost = before.astype(np.float64) - flat[cells]
        if self.people > 0.0:
            return float((lost * self.population.reshape(-1)[cells]).sum()) / self.people
        return float(lost.sum()) / flat.size

    def grow(self, days: float) -> None:
        """Community programs close part of the gap between trust and 1 over ``days``."""
        rate = self.p.program_trust_per_day * self.p.programs
        if rate > 0.0:
            self._mean = None
            self.trust += (1.0 - self.trust) * np.float32(1.0 - np.exp(-rate * days))

    def mean_trust(self) -> float:
        """Population-weighted mean trust (the plain mean where nobody lives)."""
        if self._mean is None:
            if self._weighted is None:
                self._weighted = np.empty(self.trust.shape)
            weighted = float(np.multiply(self.trust, self.population, out=self._weighted, dtype=np.float64).sum())
            self._mean = weighted / self.people if self.people > 0.0 else float(self.trust.mean())
        return self._mean
