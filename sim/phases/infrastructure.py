"""Phase 4: drones discover cartel infrastructure (labs, stash houses, airstrips) under their footprints."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.params import Params
from sim.phases import InvariantError
from sim.phases.air import AirSurveillance
from sim.streams import RandomStreams
from sim.world import World


class InfrastructureDiscovery:
    """Which sites the drones have found.

    Args:
        params: the scenario's typed parameters (``drones.infra_detect_prob``).
        world: the world (its infrastructure sites).
        air: the air surveillance (this step's coverage).
        streams: the run's random streams (``discovery``: one draw per site and step).
        tally: the run's totals.

    Attributes:
        discovered: (I,) bool, sites found so far.
    """

    name = "infrastructure"

    def __init__(self, params: Params, world: World, air: AirSurveillance, streams: RandomStreams, tally: Any) -> None:
        self.detect_prob = params.drones.infra_detect_prob
        self.sites = world.infra_cells
        self.air, self.streams, self.tally = air, streams, tally
        self.discovered = np.zeros(self.sites.size, dtype=bool)

    def step(self, now: int) -> None:
        """Each covered site not yet found is found with the coverage there × the discovery probability."""
        remaining = np.flatnonzero(~self.discovered)
        if remaining.size == 0 or self.air.n_touched == 0:
            return
        p = self.air.cover.reshape(-1)[self.sites[remaining]] * self.detect_prob
        found = remaining[self.streams.uniforms("discovery", remaining, step=now) < p]
        self.discovered[found] = True
        self.tally.infrastructure_discovered += found.size

    def check(self, now: int) -> None:
        """Every discovery is counted once."""
        if int(self.discovered.sum()) != self.tally.infrastructure_discovered:
            raise InvariantError(f"step {now}: infrastructure discoveries do not add up")
