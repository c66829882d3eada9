"""Counter-drone zones: drones inside are jammed (blind for a while) or lost, at hazards per hour."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.fleet import Fleet
from sim.kernels import flight
from sim.kernels.counter_rng import uniforms


@dataclass
class ZoneEffects:
    """What the zones did to a fleet in one step.

    Attributes:
        lost: drones lost.
        jammed_hours: hours the airborne drones were blind in the step.
        blind_look: (D,) bool, the airborne drones blind for the step's looks (judged at its middle).
    """

    lost: int
    jammed_hours: float
    blind_look: np.ndarray


JAM_COUNTER_SHIFT = 32  # the k-th jam of drone d within one step draws counter 2d + 1 + (k << JAM_COUNTER_SHIFT)


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


def apply_zones(fleet: Fleet, centres: np.ndarray, radius: float, jam_rate: float, jam_hours: float, loss_hazard: float,
                step_hours: float, now: int, key: np.uint64) -> ZoneEffects:
    """Expose the airborne drones inside the zones to one step of jamming and loss hazards, in continuous time.

    A drone inside is lost with probability ``1 − exp(−loss_hazard × step_hours)``. A survivor is
    jammed at ``jam_rate`` per hour it is not blind: each jam comes at the next event of that
    Poisson process and blinds it for ``jam_hours`` from then, so a step may hold several and a
    jam may run into later steps (:attr:`Fleet.jammed_from_h`, :attr:`Fleet.jammed_until_h`: the
    last jam, hours since the run's start). The blind share of the hours spent inside is
    ``rJ / (1 + rJ)`` at any step length. The drone's sensor looks once a step, at its middle.
    Drone d's draws are counters 2d (loss) and 2d + 1 (its first jam of the step; then
    :data:`JAM_COUNTER_SHIFT`) of this step's ``key``, so they depend neither on who is inside nor
    on how many drones there are.
    """
    start_h = now * step_hours
    end_h, look_h = start_h + step_hours, start_h + 0.5 * step_hours
    airborne = fleet.airborne
    up = np.flatnonzero(airborne)
    exposed = up[inside_any(fleet.x[up], fleet.y[up], centres, radius)]
    lost = 0
    if exposed.size:  # only the drones inside draw: a draw is a pure function of (key, counter)
        survives = uniforms(key, 2 * exposed) >= 1.0 - np.exp(-loss_hazard * step_hours)
        fleet.state[exposed[~survives]] = flight.LOST
        airborne[exposed[~survives]] = False
        lost = exposed.size - int(np.count_nonzero(survives))
        exposed = exposed[survives]
    earlier = np.minimum(end_h, fleet.jammed_until_h) - np.maximum(start_h, fleet.jammed_from_h)  # jams from earlier steps
    blind_h = float(np.maximum(earlier[airborne], 0.0).sum())
    blind_look = airborne & blind_at(fleet, look_h)
    if jam_rate <= 0.0 or jam_hours <= 0.0:
        return ZoneEffects(lost, blind_h, blind_look)
    pending, free_from, k = exposed, np.maximum(start_h, fleet.jammed_until_h[exposed]), 0
    while pending.size:
        counters = 2 * pending + 1 + (k << JAM_COUNTER_SHIFT)
        onset = free_from - np.log1p(-uniforms(key, counters)) / jam_rate  # the next event of the jam process
        hit = onset < end_h
        pending, onset = pending[hit], onset[hit]
        until = onset + jam_hours
        fleet.jammed_from_h[pending], fleet.jammed_until_h[pending] = onset, until
        blind_h += float((np.minimum(end_h, until) - onset).sum())
        blind_look[pending] |= (onset <= look_h) & (look_h < until)
        again = until < end_h
        pending, free_from, k = pending[again], until[again], k + 1
    return ZoneEffects(lost, blind_h, blind_look)


def blind_at(fleet: Fleet, hour: float) -> np.ndarray:
    """(D,) bool, the drones whose sensor is jammed at ``hour`` (hours since the run's start)."""
    return (fleet.jammed_from_h <= hour) & (hour < fleet.jammed_until_h)


@dataclass
class ZoneMap:
    """The counter-drone zones the cartels field, replaced every planning period.

    Attributes:
        centres: (n, 2) x, y of the zones' centres, cell units.
    """

    centres: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
