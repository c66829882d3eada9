"""The drone fleet's state as arrays, read and written by :func:`sim.kernels.flight.fly_drones`."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.kernels import flight
from sim.params import PATROL_POLICIES


@dataclass
class Fleet:
    """Per-drone arrays (D rows); positions in cell units, x = column, y = row."""

    x: np.ndarray
    y: np.ndarray
    wx: np.ndarray
    wy: np.ndarray
    state: np.ndarray
    airborne_h: np.ndarray
    ground_h: np.ndarray
    base_x: np.ndarray
    base_y: np.ndarray
    sector: np.ndarray
    lane: np.ndarray
    leg: np.ndarray
    legs: np.ndarray
    leg_count: np.ndarray
    timing: np.ndarray  # (D, 5) float64, when the step's legs start and the headings around them (fly_drones)
    jammed_from_h: np.ndarray  # (D,) float64, hour (since the run's start) the drone's sensor was last jammed
    jammed_until_h: np.ndarray  # (D,) float64, hour that jam ends
    cancelled_h: np.ndarray  # (D,) float64, hours still to pass of a sortie cancelled for lack of availability
    refused_h: np.ndarray  # (D,) float64, hours still to pass of a sortie a flight-hour cap refused

    @classmethod
    def create(cls, bases: np.ndarray, count: int, policy: str, x_range: tuple[float, float], height: int,
               stagger_h: np.ndarray) -> Fleet:
        """A fleet of ``count`` drones shared round-robin among ``bases`` ((B, 2) x, y).

        Drones patrol the band of columns ``x_range`` (the whole raster, or one corridor): the
        random policy searches all of it; the lawnmower policy gives each drone a strip of equal
        width. ``stagger_h`` ((D,) hours) delays first take-offs so that sorties do not all end
        at once.
        """
        home = bases[np.arange(count) % len(bases)]
        sector = np.zeros((count, 4))
        if policy == "lawnmower":
            edges = np.linspace(x_range[0], x_range[1], count + 1)
            sector[:, 0], sector[:, 2] = edges[:-1], edges[1:]
        else:
            sector[:, 0], sector[:, 2] = x_range
        sector[:, 3] = height
        return cls(
            x=home[:, 0].astype(float).copy(), y=home[:, 1].astype(float).copy(),
            wx=home[:, 0].astype(float).copy(), wy=home[:, 1].astype(float).copy(),
            state=np.full(count, flight.TURNAROUND, dtype=np.int8),
            airborne_h=np.zeros(count), ground_h=stagger_h.astype(float),
            base_x=home[:, 0].astype(float).copy(), base_y=home[:, 1].astype(float).copy(),
            sector=sector, lane=np.zeros(count, dtype=np.int64), leg=np.zeros(count, dtype=np.int64),
            legs=np.zeros((count, flight.MAX_LEGS, 4)), leg_count=np.zeros(count, dtype=np.int64),
            timing=np.zeros((count, 5)),
            jammed_from_h=np.zeros(count), jammed_until_h=np.zeros(count), cancelled_h=np.zeros(count), refused_h=np.zeros(count),
        )

    @classmethod
    def concat(cls, fleets: list[Fleet]) -> Fleet:
        """One fleet holding the drones of ``fleets``, in order."""
        return cls(**{f.name: np.concatenate([getattr(one, f.name) for one in fleets]) for f in fields(cls)})

    def view(self, start: int, stop: int) -> Fleet:
        """The drones ``start`` to ``stop`` − 1 as a fleet whose arrays are views into this one's (writes go through)."""
        return Fleet(**{f.name: getattr(self, f.name)[start:stop] for f in fields(self)})

    @staticmethod
    def policy_code(policy: str) -> int:
        """The kernel's code of a patrol policy name."""
        return PATROL_POLICIES.index(policy)

    @property
    def airborne(self) -> np.ndarray:
        """(D,) bool, drones in the air."""
        return (self.state == flight.PATROL) | (self.state == flight.RETURNING)
