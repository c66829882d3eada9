"""Phase 2: air surveillance, the drones' flight and the coverage it gives.

Drones fly their patrols; counter-drone zones jam or down them; the swept footprints of the
sensing drones make this step's coverage raster.

The phase owns the fleet and the coverage raster (the air bases are the world's); the route book
reads the coverage along every route after each step of flight.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from sim.agents import Drone
from sim.counter_drone import ZoneMap, apply_zones
from sim.fleet import Fleet
from sim.intel import IntelCell
from sim.kernels import flight
from sim.kernels.coverage import clear_coverage, stamp_coverage
from sim.params import Params
from sim.patrol import PatrolMemory
from sim.phases import InvariantError
from sim.routebook import RouteBook
from sim.streams import RandomStreams
from sim.units import Units
from sim.world import World

TRACKED_DRONES = 4  # drones whose tracks are kept for the overview figure
ENDURANCE_SLACK_H = 1e-6  # rounding a drone's remaining endurance may leave below zero


class AirSurveillance:
    """The drone fleet and the coverage it gives.

    Args:
        model: the Mesa model the drones are registered with.
        params: the scenario's typed parameters.
        units: the run's unit conversions.
        world: the world (its air bases).
        streams: the run's random streams (``takeoff``, ``flight``, ``zone_hazard``).
        tally: the run's totals.
        patrol: the patrols' memory (hotspot and intel waypoints).
        intel: the intelligence cell (intel patrols aim at its cues).
        zones: the cartels' counter-drone zones.
        cover: (H, W) float32 raster the coverage is stamped on (the route book reads it).
        book: the route book (it reads the coverage along the routes after each step of flight).

    Attributes:
        fleet: the drones' arrays.
        bases: (B, 2) x, y of the air bases, cell units (the world's).
        radius: sensor footprint radius, cells.
        cover: (H, W) float32 drone detection probability this step.
        track: positions of the first :data:`TRACKED_DRONES` drones after every step.
    """

    name = "air"

    def __init__(self, model: mesa.Model, params: Params, units: Units, world: World, streams: RandomStreams, tally: Any,
                 patrol: PatrolMemory, intel: IntelCell, zones: ZoneMap,
                 cover: np.ndarray, book: RouteBook) -> None:
        d = params.drones
        h, w = world.shape
        self.p, self.units, self.world, self.streams = params, units, world, streams
        self.tally, self.patrol, self.intel, self.zones, self.book = tally, patrol, intel, zones, book
        self.bases = world.bases
        stagger = streams.generator("takeoff").uniform(0.0, d.endurance_h + d.turnaround_h, d.count)  # drone i: draw i
        band = (0.0, float(w)) if d.focus_corridor == 0 else \
            (np.flatnonzero(world.corridor[0] == d.focus_corridor - 1)[[0, -1]] + [0, 1]).astype(float)
        self.fleet = Fleet.create(self.bases, d.count, d.patrol, (float(band[0]), float(band[1])), h, stagger)
        self.radius = units.cells(d.sensor_radius_km)
        self.speed = units.cells_per_hour(d.speed_kmh)
        self.counter_radius = units.cells(params.counter.radius_km)
        self.jam_steps = units.steps(params.counter.jam_hours)
        self.cover = cover
        self.touched = np.zeros(h * w, dtype=np.int64)  # flat cells of non-zero cover, the first n_touched in use
        self.n_touched = 0
        self.track: list[np.ndarray] = []
        self.drones = [Drone(model, i) for i in range(d.count)]

    def step(self, now: int) -> None:
        """Fly, meet the zones, stamp the sensing drones' footprints."""
        d, c, u, f = self.p.drones, self.p.counter, self.units, self.fleet
        clear_coverage(self.cover.reshape(-1), self.touched, self.n_touched)
        self.n_touched = 0
        if f.x.size == 0:
            return
        self.tally.drone_flight_hours += flight.fly_drones(
            f.x,
            f.y,
            f.wx,
            f.wy,
            f.state,
            f.airborne_h,
            f.ground_h,
            f.base_x,
            f.base_y,
            f.sector,
            f.lane,
            f.leg,
            Fleet.policy_code(d.patrol),
            2.0 * self.radius,
            self.speed,
            d.endurance_h,
            d.turnaround_h,
            u.step_hours,
            self.streams.step_key("flight", now),
            f.legs,
            f.leg_count,
            self.patrol.waypoint_cdf(self.intel.cues, self.zones.centres),
            self.patrol.heat.shape[1],
            float(self.patrol.block),
        )
        if len(self.zones.centres):
            effects = apply_zones(
                f,
                self.zones.centres,
                self.counter_radius,
                c.jam_rate_per_h,
                self.jam_steps,
                c.loss_hazard_per_h,
                u.step_hours,
                now,
                self.streams.step_key("zone_hazard", now),
            )
            self.tally.drones_lost += effects.lost
            self.tally.jammed_drone_hours += effects.jammed_hours
        self.n_touched, exposed = stamp_coverage(self.cover, self.touched, 0, f.legs, f.leg_count, f.sensing(now), self.radius,
                                                 d.detect_prob, d.range_falloff, self.world.population)
        self.tally.privacy_exposure += exposed * u.step_hours
        self.book.refresh_drone()
        self.track.append(np.column_stack([f.x[:TRACKED_DRONES], f.y[:TRACKED_DRONES]]))

    def check(self, now: int) -> None:
        """No drone created or lost silently; drones inside the raster and within their endurance; coverage a probability."""
        f = self.fleet
        if len(self.drones) != f.x.size or int((f.state == flight.LOST).sum()) != self.tally.drones_lost:
            raise InvariantError(f"step {now}: drones created or lost silently")
        h, w = self.world.shape
        if np.any((f.x < 0) | (f.x > w) | (f.y < 0) | (f.y > h)):
            raise InvariantError(f"step {now}: a drone left the raster")
        if np.any(f.airborne_h < -ENDURANCE_SLACK_H):
            raise InvariantError(f"step {now}: a drone flew past its endurance")
        if self.cover.min() < 0.0 or self.cover.max() > 1.0:
            raise InvariantError(f"step {now}: coverage outside [0, 1]")
