"""Phase 5: drones discover cartel infrastructure (labs, stash houses, airstrips) under their footprints; raids follow.

With raids on (``infrastructure.raid_days`` > 0), a site is raided the step it is discovered and
is out for the raid period (:mod:`sim.raids`); then it is rebuilt in place, no longer known, and
can be discovered again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.params import Params
from sim.phases import InvariantError
from sim.phases.air import AirSurveillance
from sim.raids import Raids
from sim.streams import RandomStreams
from sim.world import World


class InfrastructureDiscovery:
    """Which sites the drones have found, and the raids that follow.

    Args:
        params: the scenario's typed parameters (``drones.infra_detect_prob``).
        world: the world (its infrastructure sites).
        air: the air surveillance (this step's coverage).
        streams: the run's random streams (``discovery``: one draw per site and step).
        tally: the run's totals.
        raids: the raids on discovered sites.

    Attributes:
        discovered: (I,) bool, sites known now: found so far, or, with raids on, out after a raid.
    """

    name = "infrastructure"

    def __init__(self, params: Params, world: World, air: AirSurveillance, streams: RandomStreams, tally: Any,
                 raids: Raids) -> None:
        self.detect_prob = params.drones.infra_detect_prob
        self.sites = world.infra_cells
        self.air, self.streams, self.tally, self.raids = air, streams, tally, raids
        self.discovered = np.zeros(self.sites.size, dtype=bool)

    def step(self, now: int) -> None:
        """Rebuilt sites come back unknown; a covered unknown site is found (coverage × discovery probability), and raided."""
        if self.raids.on:
            self.discovered[self.raids.reopen(now)] = False
        if self.air.n_touched == 0:
            return
        p = self.air.cover.reshape(-1)[self.sites] * self.detect_prob
        exposed = np.flatnonzero((p > 0.0) & ~self.discovered)  # only these can be found: a site draws by its index
        if exposed.size == 0:
            return
        found = exposed[self.streams.uniforms("discovery", exposed, step=now) < p[exposed]]
        self.discovered[found] = True
        self.tally.infrastructure_discovered += found.size
        if self.raids.on and found.size:
            self.raids.raid(found, now)
            self.tally.raids += found.size

    def check(self, now: int) -> None:
        """Discoveries add up; with raids on, each is a raid, sites out are the known ones, within their period and cut."""
        raids, tally = self.raids, self.tally
        if not raids.on:
            if int(self.discovered.sum()) != tally.infrastructure_discovered or tally.raids != 0:
                raise InvariantError(f"step {now}: infrastructure discoveries do not add up")
            return
        out = raids.out()
        if tally.raids != tally.infrastructure_discovered or not np.array_equal(out, self.discovered):
            raise InvariantError(f"step {now}: raids and discoveries do not add up")
        if np.any((raids.until[out] <= now) | (raids.until[out] > now + raids.duration)):
            raise InvariantError(f"step {now}: a raided site is out past its period")
        factor = raids.launch_shares()
        kept = np.ones_like(factor) if raids.source_factor is None else raids.source_factor
        if not np.array_equal(kept, factor) or np.any((factor < 0.0) | (factor > 1.0)):
            raise InvariantError(f"step {now}: a source's launch share does not match its raided sites")
