"""Where learning patrols aim: waypoint weights over blocks of the raster.

``hotspot`` patrols weight blocks by past detections and seizures decaying over
``patrol.memory_h``; ``intel`` patrols by the live intercept and tip cues. Both keep
``patrol.explore`` of their draws uniform and, with ``patrol.avoid_zones``, never aim into a known
counter-drone zone.
"""

from __future__ import annotations

import numpy as np

from sim.counter_drone import inside_any
from sim.cues import CUE_DRONE, CueQueue
from sim.units import Units

LEARNING_POLICIES = ("hotspot", "intel")


class PatrolMemory:
    """Decayed detections and seizures per patrol block (the hotspot patrol's memory).

    Args:
        params: the scenario's typed parameters (``drones``, ``patrol``, ``counter``).
        units: the run's unit conversions.
        shape: (H, W) of the raster.
    """

    def __init__(self, params, units: Units, shape: tuple[int, int]) -> None:
        h, w = shape
        self.policy = params.drones.patrol
        self.patrol = params.patrol
        self.width = w
        self.block = max(1, round(units.cells(params.patrol.grid_km)))
        self.heat = np.zeros((-(-h // self.block), -(-w // self.block)))
        self.decay_factor = np.exp(-units.step_hours / params.patrol.memory_h)
        self.zone_radius = units.cells(params.counter.radius_km)

    @property
    def learns(self) -> bool:
        """Whether the policy remembers detections and seizures (hotspot)."""
        return self.policy == "hotspot"

    def block_of(self, cells: np.ndarray) -> np.ndarray:
        """Flat index of the patrol block holding each flat cell."""
        return (cells // self.width) // self.block * self.heat.shape[1] + (cells % self.width) // self.block

    def add(self, cells: np.ndarray) -> None:
        """Remember detections or seizures at flat ``cells`` (hotspot only)."""
        if self.learns:
            self.heat.reshape(-1)[:] += np.bincount(self.block_of(cells), minlength=self.heat.size)

    def decay(self) -> None:
        """One step of forgetting (hotspot only)."""
        if self.learns:
            self.heat *= self.decay_factor

    def waypoint_cdf(self, cues: CueQueue, zones: np.ndarray) -> np.ndarray:
        """Cumulative waypoint weights over the blocks (hotspot: heat; intel: live intercept and tip cues).

        Mixed with a uniform share ``patrol.explore``; blocks inside known counter-drone zones get no
        weight when ``patrol.avoid_zones``. All zero weights mean a uniform draw (random search).
        An empty array for the policies that do not learn.
        """
        if self.policy not in LEARNING_POLICIES:
            return np.zeros(0)
        if self.policy == "intel":
            pointed = cues.cell[cues.source != CUE_DRONE]
            weight = np.bincount(self.block_of(pointed), minlength=self.heat.size).astype(np.float64)
        else:
            weight = self.heat.reshape(-1).copy()
        explore = self.patrol.explore
        if weight.sum() > 0:
            weight = (1.0 - explore) * weight / weight.sum() + explore / weight.size
        if self.patrol.avoid_zones and len(zones):
            rows, cols = np.divmod(np.arange(weight.size), self.heat.shape[1])
            centres = np.column_stack([(cols + 0.5) * self.block, (rows + 0.5) * self.block])
            weight[inside_any(centres[:, 0], centres[:, 1], zones, self.zone_radius)] = 0.0
        return np.cumsum(weight)
