"""Phase 2: air surveillance, the drones' flight and the coverage it gives.

Drones fly their patrols; counter-drone zones jam or down them; the swept footprints of the
sensing drones make this step's coverage raster.

The phase owns the fleet and the coverage raster (the air bases are the world's); the route book
reads the coverage along every route after each step of flight (at the cells stamped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from sim.agents import Drone
from sim.airspace import PatrolAirspace
from sim.caps import HourCaps
from sim.counter_drone import ZoneMap, apply_zones
from sim.fleet import Fleet
from sim.intel import IntelCell
from sim.kernels import flight
from sim.kernels.counter_rng import uniforms
from sim.kernels.coverage import clear_coverage, stamp_coverage
from sim.params import Params
from sim.patrol import PatrolMemory
from sim.phases import InvariantError
from sim.platforms import Platform
from sim.routebook import RouteBook
from sim.streams import RandomStreams, tag
from sim.units import HOURS_PER_DAY, Units
from sim.world import World

TRACKED_DRONES = 4  # drones whose tracks are kept for the overview figure
NO_WAYPOINTS = np.zeros(0)  # the waypoint weights of a patrol that draws none (random search, lawnmower)
ENDURANCE_SLACK_H = 1e-6  # rounding a drone's remaining endurance may leave below zero


@dataclass
class Squadron:
    """The drones of one platform type: a slice of the fleet's arrays, flown with the type's own figures.

    Attributes:
        platform: the platform type.
        fleet: its drones (views into the whole fleet's arrays: the kernels' writes go through).
        index: its member of the air streams: () for the default platform, (tag of its name,) otherwise.
        radius: sensor footprint radius, cells.
        speed: cells per hour.
        drones: its drones' rows in the whole fleet's arrays.
        freely_scheduled: every sortie due takes off (availability 1, no flight-hour cap counts it).
        flown_h: flight hours flown so far, h.
        policy: the flight kernel's code of its patrol policy.
    """

    platform: Platform
    fleet: Fleet
    index: tuple[int, ...]
    radius: float
    speed: float
    drones: slice
    freely_scheduled: bool
    flown_h: float = 0.0
    policy: int = field(init=False)

    def __post_init__(self) -> None:
        self.policy = Fleet.policy_code(self.platform.patrol)


def _pass_time(left_h: np.ndarray, dt: float) -> float:
    """Let ``dt`` hours pass on the grounded sorties' hours ``left_h`` (in place); return the hours that passed."""
    passing = np.minimum(left_h, dt)
    left_h -= passing
    return float(passing.sum())


class AirSurveillance:
    """The air fleet (one squadron per platform type) and the coverage it gives.

    Args:
        model: the Mesa model the drones are registered with.
        params: the scenario's typed parameters.
        platform_types: the platform types, the default drones first (:func:`sim.platforms.platforms`).
        units: the run's unit conversions.
        world: the world (its air bases).
        streams: the run's random streams (``takeoff``, ``flight``, ``zone_hazard``, ``availability``).
        tally: the run's totals.
        patrol: the patrols' memory (hotspot and intel waypoints).
        intel: the intelligence cell (intel patrols aim at its cues).
        zones: the cartels' counter-drone zones.
        cover: (H, W) float32 raster the coverage is stamped on (the route book reads it).
        book: the route book (it reads the coverage along every route after each step of flight).

    Attributes:
        fleet: every platform's arrays, squadron after squadron.
        airspace: the authorised airspace the platforms patrol and sense in (:mod:`sim.airspace`).
        squadrons: one per platform type, in the order of ``platform_types``.
        bases: (B, 2) x, y of the air bases, cell units (the world's).
        cover: (H, W) float32 drone detection probability this step.
        conspicuousness: airborne-weighted mean conspicuousness of the platforms this step (weight of a sighting).
        airborne_count: platforms in the air after this step.
        track: positions of the first :data:`TRACKED_DRONES` drones after every step.
    """

    name = "air"

    def __init__(self, model: mesa.Model, params: Params, platform_types: tuple[Platform, ...], units: Units, world: World,
                 streams: RandomStreams, tally: Any, patrol: PatrolMemory, intel: IntelCell, zones: ZoneMap,
                 cover: np.ndarray, book: RouteBook) -> None:
        h, w = world.shape
        self.p, self.units, self.world, self.streams = params, units, world, streams
        self.tally, self.patrol, self.intel, self.zones, self.book = tally, patrol, intel, zones, book
        self.bases = world.bases
        focus = params.drones.focus_corridor
        band = (0.0, float(w)) if focus == 0 else \
            (np.flatnonzero(world.corridor[0] == focus - 1)[[0, -1]] + [0, 1]).astype(float)
        fleets, members = [], []
        for platform in platform_types:
            index = () if platform.is_default else (tag(platform.name),)
            stagger = streams.generator("takeoff", *index).uniform(0.0, platform.cycle_h, platform.count)  # drone i: draw i
            fleets.append(Fleet.create(self.bases[: platform.bases], platform.count, platform.patrol,
                                       (float(band[0]), float(band[1])), h, stagger))
            members.append(index)
        self.fleet = Fleet.concat(fleets)
        self.airspace = PatrolAirspace.fitted(world.airspace, self.fleet.sector)  # sectors shrunk to the authorised cells
        caps = params.caps
        self.caps = HourCaps(caps.period_days * HOURS_PER_DAY, {"partner": caps.partner_hours, "host": caps.host_hours},
                             platform_types)
        starts = np.cumsum([0, *(p.count for p in platform_types)])
        self.squadrons = [Squadron(p, self.fleet.view(int(a), int(b)), index, units.cells(p.sensor_radius_km),
                                   units.cells_per_hour(p.speed_kmh), slice(int(a), int(b)),
                                   p.availability >= 1.0 and not self.caps.binds(p))
                          for p, index, a, b in zip(platform_types, members, starts[:-1], starts[1:], strict=True)]
        self.conspicuousness_of = np.array([p.conspicuousness for p in platform_types])  # (types,)
        self.counter_radius = units.cells(params.counter.radius_km)
        self.cover = cover
        self.touched = np.zeros(h * w, dtype=np.int64)  # flat cells of non-zero cover, the first n_touched in use
        self.n_touched = 0
        self.dwell_h = np.zeros((h, w), dtype=np.float32)  # platform-hours each touched cell lay under a footprint this step
        self.conspicuousness = 1.0
        self.airborne_count = int(np.count_nonzero(self.fleet.airborne))
        self.track: list[np.ndarray] = []
        names = [sq.platform.name for sq in self.squadrons for _ in range(sq.platform.count)]
        self.drones = [Drone(model, i, name) for i, name in enumerate(names)]

    def step(self, now: int) -> None:
        """Schedule sorties, fly, meet the zones, stamp the sensing platforms' footprints."""
        c, u, tally = self.p.counter, self.units, self.tally
        clear_coverage(self.cover.reshape(-1), self.touched, self.n_touched)
        clear_coverage(self.dwell_h.reshape(-1), self.touched, self.n_touched)
        self.n_touched = 0
        if self.fleet.x.size == 0:
            return
        waypoints = self.patrol.waypoint_cdfs(now, self.intel.cues, self.zones.centres)
        flown = 0.0
        for sq in self.squadrons:
            f, pl = sq.fleet, sq.platform
            if f.x.size == 0:
                continue
            unavailable, refused = (0.0, 0.0) if sq.freely_scheduled else self._schedule(sq, now)
            hours = flight.fly_drones(f.x, f.y, f.wx, f.wy, f.state, f.airborne_h, f.ground_h, f.base_x, f.base_y, f.sector,
                                      f.lane, f.leg, sq.policy, 2.0 * sq.radius, sq.speed, pl.endurance_h, pl.turnaround_h,
                                      u.step_hours, self.streams.step_key("flight", now, *sq.index), f.legs, f.leg_count,
                                      f.timing, waypoints.get(pl.patrol, NO_WAYPOINTS), self.patrol.heat.shape[1],
                                      float(self.patrol.block), self.airspace.allowed,
                                      self.airspace.cells)
            sq.flown_h += hours
            flown += hours
            tally.flight_hours_unavailable += unavailable
            tally.flight_hours_refused += refused
            tally.flight_hours_scheduled += hours + unavailable + refused
        tally.drone_flight_hours += flown
        blind = np.zeros(self.fleet.x.size, dtype=bool)
        for sq in self.squadrons:  # the zones, and jams that outlast them
            key = self.streams.step_key("zone_hazard", now, *sq.index)
            effects = apply_zones(sq.fleet, self.zones.centres, self.counter_radius, c.jam_rate_per_h, c.jam_hours,
                                  c.loss_hazard_per_h, u.step_hours, now, key)
            tally.drones_lost += effects.lost
            tally.jammed_drone_hours += effects.jammed_hours
            blind[sq.drones] = effects.blind_look
        airborne = self.fleet.airborne
        # every drone that flew this step senses along its legs, one that landed on the way in too; one lost senses nothing
        sensing = (self.fleet.leg_count > 0) & (self.fleet.state != flight.LOST) & ~blind
        on_routes = self.book.drone_positions()  # where the looks' hours are kept: the cells routes pass
        for sq in self.squadrons:
            f, pl = sq.fleet, sq.platform
            self.n_touched = stamp_coverage(self.cover, self.touched, self.n_touched, f.legs, f.leg_count, sensing[sq.drones],
                                            sq.radius, pl.detect_prob, pl.range_falloff, sq.speed, self.dwell_h,
                                            self.airspace.allowed, f.timing, airborne[sq.drones], on_routes.on_route,
                                            on_routes.route_cells, on_routes.looks)
        # Person-hours under the footprints, in float64 and not by a BLAS dot: its threads would spin on the other core after
        # it, where the shipment lanes run next (and a threaded dot's sum would depend on the machine's cores).
        cells = self.touched[:self.n_touched]
        people, hours = self.world.population.reshape(-1)[cells], self.dwell_h.reshape(-1)[cells]
        tally.privacy_exposure += float((people.astype(np.float64) * hours.astype(np.float64)).sum())
        up = np.array([np.count_nonzero(airborne[sq.drones]) for sq in self.squadrons], dtype=float)
        self.airborne_count = int(up.sum())
        if self.airborne_count > 0:
            self.conspicuousness = float(up @ self.conspicuousness_of / up.sum())
        self.book.refresh_drone(self.touched[:self.n_touched])
        self.track.append(np.column_stack([self.fleet.x[:TRACKED_DRONES], self.fleet.y[:TRACKED_DRONES]]))

    def _schedule(self, sq: Squadron, now: int) -> tuple[float, float]:
        """Ground the sorties due to take off this step that availability cancels or a cap refuses; return hours not flown.

        Availability is drawn first (drone d's draw is counter d of this step's key); the caps then
        allow the remaining sorties in drone order while they have room. A grounded sortie keeps
        its platform on the ground for the hours a flown sortie flies (its endurance less the
        reserve it lands with) and the turnaround after, so flown and grounded sorties keep the
        same rhythm. Those hours count as scheduled and not flown as they pass: this step's
        (unavailable, refused) shares are returned, so flown / scheduled hours estimate the
        availability when nothing is capped.
        """
        f, pl, dt = sq.fleet, sq.platform, self.units.step_hours
        grounded = (f.cancelled_h > 0.0) | (f.refused_h > 0.0)
        due = np.flatnonzero((f.state == flight.TURNAROUND) & (f.ground_h - dt <= flight.EPS) & ~grounded)
        if due.size and pl.availability < 1.0:
            cancel = uniforms(self.streams.step_key("availability", now, *sq.index), due) >= pl.availability
            f.cancelled_h[due[cancel]] = pl.sortie_h
            f.ground_h[due[cancel]] += pl.cycle_h
            due = due[~cancel]
        if due.size:
            refused = due[self.caps.allow(pl, due.size, now * dt):]
            f.refused_h[refused] = pl.sortie_h
            f.ground_h[refused] += pl.cycle_h
        return _pass_time(f.cancelled_h, dt), _pass_time(f.refused_h, dt)

    def footprint_radii(self) -> np.ndarray:
        """(D,) sensor footprint radius of every platform in the fleet, cells."""
        return np.concatenate([np.full(sq.fleet.x.size, sq.radius) for sq in self.squadrons])

    def flight_cost(self, reported: bool = False) -> float:
        """Flight hours so far at each platform's full (or operator-reported) hourly cost, currency."""
        return sum(sq.flown_h * (sq.platform.reported_cost_per_hour if reported else sq.platform.cost_per_hour)
                   for sq in self.squadrons)

    def check(self, now: int) -> None:
        """No drone made or lost silently; drones in the raster, within endurance; coverage a probability, authorised, capped."""
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
        outside = self.airspace.sensed_outside(self.cover)
        if outside:
            raise InvariantError(f"step {now}: {outside} cells sensed outside the authorised airspace")
        if overrun := self.caps.overrun():
            raise InvariantError(f"step {now}: flight-hour cap exceeded: {', '.join(overrun)}")
