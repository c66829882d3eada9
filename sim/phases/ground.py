"""Phase 6: the ground forces' dispatch of cues and their interdictions.

Cues wait out their delay and go to the nearest idle unit in range, first come first served (with
fusion, by priority: :mod:`sim.fusion`); units that reach their target try to interdict it. Road
checkpoints watch the traffic all the time (their seizures happen as shipments pass, in the
shipment phase).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mesa
import numpy as np

from sim.agents import Cartel, GroundUnit
from sim.airspace import EVERYWHERE
from sim.community import Community
from sim.cues import CUE_INTERCEPT, CUE_TIP
from sim.fusion import CORROBORATED, CORROBORATION, priority_order
from sim.intel import IntelCell
from sim.kernels.coverage import stamp_coverage
from sim.kernels.dispatch import triage_cues
from sim.kernels.movement import IN_TRANSIT
from sim.params import Params
from sim.phases import InvariantError
from sim.routebook import RouteBook
from sim.seizures import Seizures
from sim.shipments import ShipmentPool
from sim.streams import RandomStreams
from sim.units import Units
from sim.world import ROUGH, World

LINE_SAMPLES = 32  # points sampled along a unit's straight line to average the terrain


class GroundForces:
    """Road checkpoints and the mobile units that answer cues.

    Args:
        model: the Mesa model the units are registered with.
        params: the scenario's typed parameters.
        units: the run's unit conversions.
        world: the world (the units' posts and the checkpoints).

    Attributes:
        units: the mobile units, in the order they are served.
        checkpoints: (C, 2) x, y of the checkpoints, cell units (the world's).
        checkpoint_cover: (H, W) float32 checkpoint detection probability per step (static).
    """

    def __init__(self, model: mesa.Model, params: Params, units: Units, world: World) -> None:
        g = params.ground
        self.units = [GroundUnit(model, (float(x), float(y))) for x, y in world.posts]
        self.checkpoints = world.checkpoints
        self.checkpoint_cover = np.zeros(world.shape, dtype=np.float32)
        legs = np.repeat(self.checkpoints, 2, axis=1).reshape(-1, 1, 4)[:, :, [0, 2, 1, 3]]
        stamp_coverage(self.checkpoint_cover, np.zeros(self.checkpoint_cover.size, dtype=np.int64), 0, legs,
                       np.ones(len(legs), dtype=np.int64), np.ones(len(legs), dtype=bool),
                       units.cells(g.checkpoint_radius_km), g.checkpoint_detect_prob, 0.0, world.population, EVERYWHERE)


class GroundResponse:
    """Dispatch of cues to units, and the interdictions of the units that arrive.

    Args:
        params: the scenario's typed parameters.
        units: the run's unit conversions.
        world: the world.
        forces: the ground forces.
        pool: the shipments.
        book: the route book (where a shipment is).
        intel: the intelligence cell (its cue queue).
        seizures: where seizures are recorded.
        cartels: the cartels, by index (an intercept-cued seizure is a loss the cartel traces).
        community: the people (an interdiction may harm civilians).
        streams: the run's random streams (``interdiction``, ``civilian_harm``).
        tally: the run's totals.
    """

    name = "ground"

    def __init__(self, params: Params, units: Units, world: World, forces: GroundForces, pool: ShipmentPool, book: RouteBook,
                 intel: IntelCell, seizures: Seizures, cartels: Sequence[Cartel], community: Community, streams: RandomStreams,
                 tally: Any) -> None:
        self.p, self.units, self.world, self.forces, self.pool, self.book = params, units, world, forces, pool, book
        self.intel, self.seizures, self.cartels, self.community, self.tally = intel, seizures, cartels, community, tally
        self.interdiction_rng, self.harm_rng = streams.generator("interdiction"), streams.generator("civilian_harm")
        self.max_response = units.cells(params.ground.max_response_km)
        self.steps_per_source = units.steps(params.intel.fusion_priority_h) if params.intel.fusion_priority_h > 0 else 0
        self.pursuit_sources: dict[int, int] = {}  # uid of each shipment a unit is on its way to → its cue's sources

    def busy(self, now: int) -> int:
        """Units away from their posts at step ``now``."""
        return sum(1 for unit in self.forces.units if not unit.idle(now))

    def step(self, now: int) -> None:
        """Send units to ready cues, let the arriving ones interdict, and count the unit-hours."""
        self._dispatch(now)
        for unit in self.forces.units:
            target = unit.arrive(now)
            if target is not None:
                self._interdict(*target, now)
        self.tally.ground_unit_hours += len(self.forces.units) * self.units.step_hours

    def _dispatch(self, now: int) -> None:
        """Send the nearest idle unit in range to each ready cue, first come first served (with fusion, by priority)."""
        g, u, p, q = self.p.ground, self.units, self.pool, self.intel.cues
        if len(q) == 0:
            return
        if self.p.intel.fusion:
            q.reorder(priority_order(q, self.steps_per_source))
        idle = [unit for unit in self.forces.units if unit.idle(now)]
        posts = np.array([unit.post for unit in idle], dtype=np.float64).reshape(-1, 2)
        w = self.world.shape[1]
        sent, lapsed, stale = triage_cues(q.slot, q.uid, q.cell, q.ready_step, q.expiry_step, p.status, p.uid, now, w,
                                          posts, self.max_response)
        for cue in np.flatnonzero(sent >= 0):
            unit = idle[sent[cue]]
            target = np.array([q.cell[cue] % w + 0.5, q.cell[cue] // w + 0.5])
            distance = float(np.hypot(*(target - posts[sent[cue]])))
            hours = u.cell_km * distance * self._terrain_factor(unit.post, target) / g.speed_kmh
            unit.dispatch(int(q.slot[cue]), int(q.uid[cue]), int(q.source[cue]), u.steps(hours), now)
            p.pursued[q.slot[cue]] = True
            self.pursuit_sources[int(q.uid[cue])] = int(q.sources[cue])
        p.cued[q.slot[lapsed]] = False
        self.tally.cues_lapsed += int(lapsed.sum())
        q.keep((sent < 0) & ~lapsed & ~stale)

    def _terrain_factor(self, start: tuple[float, float], end: np.ndarray) -> float:
        """How much slower than its road speed a unit crosses the straight line start → end."""
        t = np.linspace(0.0, 1.0, LINE_SAMPLES)
        h, w = self.world.shape
        cols = np.clip((start[0] + t * (end[0] - start[0])).astype(int), 0, w - 1)
        rows = np.clip((start[1] + t * (end[1] - start[1])).astype(int), 0, h - 1)
        rough = self.world.cover[rows, cols] == ROUGH
        return 1.0 + (self.p.ground.offroad_slowdown - 1.0) * float(rough.mean())

    def _interdict(self, slot: int, uid: int, source: int, now: int) -> None:
        """A unit cued by ``source`` reaches shipment (slot, uid): seize it with the interdiction probability."""
        pool = self.pool
        sources = self.pursuit_sources.pop(uid)
        if not (pool.status[slot] == IN_TRANSIT and pool.uid[slot] == uid):
            return
        pool.cued[slot] = pool.pursued[slot] = False
        if self.interdiction_rng.random() >= self.p.ground.interdict_prob:
            return
        r = self.book.routes
        cell = r.cells[r.start[pool.route[slot]] + pool.progress[slot]]
        slots = np.array([slot])
        self.seizures.record(slots, np.array([cell]), now)
        if self.harm_rng.random() < self.p.community.civilian_harm_prob:
            self.tally.civilian_harm_events += 1
            self.community.harm(np.array([cell]), self.p.community.harm_trust_loss)
        if CORROBORATION[sources] >= CORROBORATED:
            self.tally.corroborated_seizures += 1
        if source == CUE_TIP:
            self.tally.seized_by_tip += 1
        elif source == CUE_INTERCEPT:
            self.tally.seized_by_intercept += 1
            self.cartels[int(pool.owner[slot])].intercept_loss += float(pool.value[slot])
        else:
            self.tally.seized_by_drone_cue += 1
        pool.release(slots)

    def check(self, now: int) -> None:
        """Checkpoint coverage is a probability; no shipment is pursued twice or cued while pursued, nor cued twice."""
        cover = self.forces.checkpoint_cover
        if cover.min() < 0.0 or cover.max() > 1.0:
            raise InvariantError(f"step {now}: checkpoint coverage outside [0, 1]")
        pool, q = self.pool, self.intel.cues
        targets = np.array([unit.target[:2] for unit in self.forces.units if unit.target is not None], np.int64).reshape(-1, 2)
        if np.unique(targets[:, 1]).size != len(targets):
            raise InvariantError(f"step {now}: two units are on their way to one shipment")
        if set(targets[:, 1].tolist()) != set(self.pursuit_sources):
            raise InvariantError(f"step {now}: the cues' sources are not kept for exactly the shipments units go for")
        live = targets[(pool.status[targets[:, 0]] == IN_TRANSIT) & (pool.uid[targets[:, 0]] == targets[:, 1]), 0]
        if not np.array_equal(np.sort(live), np.flatnonzero(pool.pursued)):
            raise InvariantError(f"step {now}: the shipments marked pursued are not those units are on their way to")
        waiting = (pool.status[q.slot] == IN_TRANSIT) & (pool.uid[q.slot] == q.uid)
        if np.unique(q.uid[waiting]).size != np.count_nonzero(waiting):
            raise InvariantError(f"step {now}: two live cues wait for one shipment")
        if pool.pursued[q.slot[waiting]].any():
            raise InvariantError(f"step {now}: a cue waits for a shipment a unit is already on its way to")
