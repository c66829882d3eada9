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
from sim.cues import CELL, CUE_INTERCEPT, CUE_TIP, SLOT, SOURCE, SOURCES, UID
from sim.fusion import CORROBORATED, CORROBORATION
from sim.intel import IntelCell
from sim.kernels.coverage import NOT_TIMED, STANDING_STILL, stamp_coverage
from sim.kernels.dispatch import QUEUE_ORDER, triage_cues
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
NEVER = np.iinfo(np.int64).max  # the step of an arrival no unit is on its way to


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
        checkpoint_cover: (H, W) float32 detection probability of a passage through a checkpoint's radius (static).
    """

    def __init__(self, model: mesa.Model, params: Params, units: Units, world: World) -> None:
        g = params.ground
        self.units = [GroundUnit(model, (float(x), float(y))) for x, y in world.posts]
        self.checkpoints = world.checkpoints
        self.checkpoint_cover = np.zeros(world.shape, dtype=np.float32)
        legs = np.repeat(self.checkpoints, 2, axis=1).reshape(-1, 1, 4)[:, :, [0, 2, 1, 3]]
        stamp_coverage(self.checkpoint_cover, np.zeros(self.checkpoint_cover.size, dtype=np.int64), 0, legs,
                       np.ones(len(legs), dtype=np.int64), np.ones(len(legs), dtype=bool),
                       units.cells(g.checkpoint_radius_km), g.checkpoint_detect_prob, 0.0, 0.0, NOT_TIMED, EVERYWHERE,
                       *STANDING_STILL)

    def move_slots(self, moved_to: np.ndarray) -> None:
        """The shipments moved to new slots (``moved_to[old]`` is the new one): the units' targets follow them."""
        for unit in self.units:
            if unit.target is not None:
                slot, uid, source = unit.target
                unit.target = (int(moved_to[slot]), uid, source)


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
        self.steps_per_source = QUEUE_ORDER  # without fusion, cues are answered in the queue's order
        if params.intel.fusion:  # the steps a cue gains per extra source (sim.fusion)
            self.steps_per_source = units.steps(params.intel.fusion_priority_h) if params.intel.fusion_priority_h > 0 else 0
        self.pursuit_sources: dict[int, int] = {}  # uid of each shipment a unit is on its way to → its cue's sources
        self.line_samples = np.linspace(0.0, 1.0, LINE_SAMPLES)  # where along its line a unit's terrain is sampled
        self.next_arrival = NEVER  # the first step a unit reaches its target

    def busy(self, now: int) -> int:
        """Units away from their posts at step ``now``."""
        return sum(1 for unit in self.forces.units if not unit.idle(now))

    def step(self, now: int) -> None:
        """Send units to ready cues, let the arriving ones interdict, and count the unit-hours."""
        self._dispatch(now)
        if now >= self.next_arrival:
            for unit in self.forces.units:
                target = unit.arrive(now)
                if target is not None:
                    self._interdict(*target, now)
            self.next_arrival = min((unit.arrive_step for unit in self.forces.units if unit.target is not None), default=NEVER)
        self.tally.ground_unit_hours += len(self.forces.units) * self.units.step_hours

    def _dispatch(self, now: int) -> None:
        """Send the nearest idle unit in range to each ready cue, first come first served (with fusion, by priority)."""
        p, q = self.pool, self.intel.cues
        if len(q) == 0:
            return
        idle = [unit for unit in self.forces.units if unit.idle(now)]
        posts = np.array([unit.post for unit in idle], dtype=np.float64).reshape(-1, 2)
        answered, sent, lapsed, kept = triage_cues(q.table, len(q), self.steps_per_source, now, self.world.shape[1], posts,
                                                   self.max_response, q.spare, q.row_of)
        q.take_spare(kept)
        if sent.size:
            hours = self._travel_hours(answered[:, CELL], posts[sent])
            for (slot, uid, source, sources), unit, trip_h in zip(answered[:, [SLOT, UID, SOURCE, SOURCES]].tolist(),
                                                                   sent.tolist(), hours, strict=True):
                travel = self.units.step_ends(trip_h)  # it sets off as this step ends: it arrives and is back as near
                idle[unit].dispatch(slot, uid, source, travel, self.units.step_ends(2.0 * trip_h), now)
                self.next_arrival = min(self.next_arrival, now + travel)
                p.pursued[slot] = True
                self.pursuit_sources[uid] = sources
        p.cued[lapsed] = False
        self.tally.cues_lapsed += lapsed.size

    def _travel_hours(self, cells: np.ndarray, posts: np.ndarray) -> list[float]:
        """Hours each unit takes from its post (``posts``, (k, 2) x, y cells) to a cue's flat cell, terrain included.

        A unit goes in a straight line at its road speed, slowed off-road where the line crosses rough cover.
        """
        g, u = self.p.ground, self.units
        h, w = self.world.shape
        targets = np.column_stack([cells % w + 0.5, cells // w + 0.5])
        distance = np.hypot(targets[:, 0] - posts[:, 0], targets[:, 1] - posts[:, 1])
        along = self.line_samples[None, :]
        cols = np.clip((posts[:, :1] + along * (targets[:, :1] - posts[:, :1])).astype(int), 0, w - 1)
        rows = np.clip((posts[:, 1:] + along * (targets[:, 1:] - posts[:, 1:])).astype(int), 0, h - 1)
        rough = (self.world.cover[rows, cols] == ROUGH).mean(axis=1)
        return (u.cell_km * distance * (1.0 + (g.offroad_slowdown - 1.0) * rough) / g.speed_kmh).tolist()

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
        pool.release(slots)  # no cue waits for a shipment a unit has reached: its cue was answered, and it is not sensed since

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
