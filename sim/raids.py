"""Raids on discovered cartel infrastructure: a raided site is out for a period, and its source launches less.

Each site feeds one source: the nearest one (the world gives a site to the cartel of its nearest
source, so it is a source of the owning cartel). While a site is out, its source launches the share
``1 − infrastructure.raid_launch_cut`` of what it would; several sites out at one source cut in turn,
``(1 − cut)^k``. When the period ends the cartel has rebuilt the site in place, and it can be
discovered and raided again. With ``infrastructure.raid_days`` 0 there are no raids.
"""

from __future__ import annotations

import numpy as np

from sim.params import Params
from sim.units import HOURS_PER_DAY, Units
from sim.world import World

NOT_OUT = -1  # ``until`` of a site in operation


def nearest_source(world: World) -> np.ndarray:
    """(I,) int64 index (into ``world.sources``) of the source each infrastructure site feeds: the nearest one."""
    w = world.shape[1]
    sr, sc = np.divmod(world.sources, w)
    r, c = np.divmod(world.infra_cells, w)
    return np.argmin((sr[None, :] - r[:, None]) ** 2 + (sc[None, :] - c[:, None]) ** 2, axis=1).astype(np.int64)


class Raids:
    """Which sites are out after a raid, and the launch factor of every source.

    Args:
        params: the scenario's typed parameters (``infrastructure.raid_days``, ``infrastructure.raid_launch_cut``).
        units: the run's unit conversions.
        world: the world (its sources and infrastructure sites).

    Attributes:
        on: whether discovered sites are raided.
        duration: steps a raided site stays out.
        feeds: (I,) int64 source each site feeds.
        until: (I,) int64 step from which a raided site is back in operation (:data:`NOT_OUT` in operation).
        source_factor: (S,) float64 share of its launches each source keeps; None while no source is cut.
    """

    def __init__(self, params: Params, units: Units, world: World) -> None:
        infra = params.infrastructure
        self.on = infra.raid_days > 0.0
        self.cut = infra.raid_launch_cut
        self.duration = units.steps(infra.raid_days * HOURS_PER_DAY) if self.on else 0
        self.feeds = nearest_source(world)
        self.sources = world.sources.size
        self.until = np.full(world.infra_cells.size, NOT_OUT, dtype=np.int64)
        self.source_factor: np.ndarray | None = None

    def out(self) -> np.ndarray:
        """(I,) bool, sites out after a raid."""
        return self.until != NOT_OUT

    def raid(self, sites: np.ndarray, now: int) -> None:
        """Raid ``sites`` (indices) at step ``now``: out from the next step's launches for :attr:`duration` steps."""
        self.until[sites] = now + self.duration
        self._refresh()

    def reopen(self, now: int) -> np.ndarray:
        """Bring back the sites whose period ends at step ``now``; returns their indices."""
        back = np.flatnonzero(self.out() & (self.until <= now))
        if back.size:
            self.until[back] = NOT_OUT
            self._refresh()
        return back

    def launch_shares(self) -> np.ndarray:
        """(S,) float64 share of its launches each source keeps with the sites out now."""
        raided = np.bincount(self.feeds[self.out()], minlength=self.sources)
        return (1.0 - self.cut) ** raided

    def _refresh(self) -> None:
        factor = self.launch_shares()
        self.source_factor = None if np.all(factor == 1.0) else factor
