"""Counter-drone zones: drones inside are jammed (blind for a while) or lost, at hazards per hour."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.fleet import Fleet
from sim.kernels import flight
from sim.kernels.counter_rng import uniforms


@dataclass
class ZoneEffects:
    """What the zones did to the fleet in one step."""

    lost: int
    jammed_hours: float


def zone_centres(candidates: np.ndarray, count: int, width: int) -> np.ndarray:
    """(n, 2) x, y centres (cell units) of the first ``count`` distinct candidate cells (flat)."""
    head = max(count, 64)  # look only as far along the candidates as it takes to find ``count`` distinct ones
    while True:
        _, first = np.unique(candidates[:head], return_index=True)
        if first.size >= count or head >= candidates.size:
            break
        head *= 4
    chosen = candidates[np.sort(first)][:count]
    rows, cols = np.divmod(chosen, width)
    return np.column_stack([cols + 0.5, rows + 0.5]).astype(np.float64)


def inside_any(x: np.ndarray, y: np.ndarray, centres: np.ndarray, radius: float) -> np.ndarray:
    """(D,) bool, which points lie within ``radius`` of any centre."""
    if centres.size == 0 or x.size == 0:
        return np.zeros(x.size, dtype=bool)
    d2 = (x[:, None] - centres[None, :, 0]) ** 2 + (y[:, None] - centres[None, :, 1]) ** 2
    return (d2 <= radius * radius).any(axis=1)


def apply_zones(fleet: Fleet, centres: np.ndarray, radius: float, jam_rate: float, jam_steps: int, loss_hazard: float,
                step_hours: float, now: int, key: np.uint64) -> ZoneEffects:
    """Expose the airborne drones inside the zones to one step of jamming and loss hazards.

    A drone inside is lost with probability ``1 − exp(−loss_hazard × step_hours)``; a survivor not
    already jammed is jammed with probability ``1 − exp(−jam_rate × step_hours)`` and stays blind
    for ``jam_steps`` steps. Drone d's draws are counters 2d (loss) and 2d + 1 (jamming) of this
    step's ``key``, so they depend neither on who is inside nor on how many drones there are.
    """
    airborne = fleet.airborne
    up = np.flatnonzero(airborne)
    exposed = up[inside_any(fleet.x[up], fleet.y[up], centres, radius)]
    lost = 0
    if exposed.size:  # only the drones inside draw: a draw is a pure function of (key, counter)
        survives = uniforms(key, 2 * exposed) >= 1.0 - np.exp(-loss_hazard * step_hours)
        fleet.state[exposed[~survives]] = flight.LOST
        airborne[exposed[~survives]] = False
        lost = exposed.size - int(np.count_nonzero(survives))
        jam = (fleet.jammed_until[exposed] <= now) & (uniforms(key, 2 * exposed + 1) < 1.0 - np.exp(-jam_rate * step_hours))
        fleet.jammed_until[exposed[survives & jam]] = now + jam_steps
    blind_airborne = np.count_nonzero(airborne & (fleet.jammed_until > now))
    return ZoneEffects(lost, float(blind_airborne) * step_hours)


@dataclass
class ZoneMap:
    """The counter-drone zones the cartels field, replaced every planning period.

    Attributes:
        centres: (n, 2) x, y of the zones' centres, cell units.
    """

    centres: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
