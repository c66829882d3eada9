"""Where learning patrols aim: waypoint weights over blocks of the raster.

``hotspot`` patrols weight blocks by past detections and seizures decaying over
``patrol.memory_h``; ``intel`` patrols by the live intercept and tip cues. Both keep
``patrol.explore`` of their draws uniform. ``stackelberg`` patrols weight blocks by the flight
hours of a coverage solved every ``patrol.plan_hours`` as a Stackelberg game against cartels whose
choice of blocks follows SUQR (:class:`StackelbergPlan`). With ``patrol.avoid_zones``, none aims
into a known counter-drone zone.

The Stackelberg game on the blocks (each figure known to the defender, in shipment values):

- coverage xᵢ: the expected share of block i under a sensor footprint; holding it for the period
  costs cᵢ xᵢ flight hours, cᵢ = period hours × authorised km² of the block / footprint km² (πr²,
  the platforms' hours-weighted mean); blocks with no authorised airspace cannot be covered;
- budget B: the flight hours the stackelberg platforms can fly in the period: sorties at their
  duty cycle (endurance / (endurance + turnaround)) and availability, within every flight-hour cap
  (platform and operator) pro rata of its period;
- the cartels' reward Rᵃᵢ: the share of the routes a terrain analysis gives (the route table
  planned when the run starts, before any adaptation) that cross block i, over the largest share;
- their penalty Pᵃᵢ: minus the ground risk of the block (mean 1 − (1 − checkpoint)(1 − tip) per step
  over its cells), over the largest;
- the defender's payoffs: +1 (the chosen block covered), −1 (not covered).

The SUQR weights are refitted each period (:func:`sim.suqr.fit_omega`) on the last
``patrol.memory_periods`` periods, with a weak prior: ``observed`` learning counts the defender's
drone detections and seizures by block, seen with the exposure 1 − (1 − xᵢ d)(1 − groundᵢ) (d the
sensors' detection probability; at least :data:`EXPOSURE_FLOOR`, since intercept-cued seizures
happen anywhere); ``informed`` learning counts the cartels' true choices, their shipment-steps by
block, every one seen.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence

import numpy as np

from sim.counter_drone import inside_any
from sim.cues import CUE_DRONE, CueQueue
from sim.platforms import Platform
from sim.routebook import RouteBook
from sim.routes import RouteTable
from sim.stackelberg import Game, solve
from sim.suqr import Choices, fit_omega
from sim.units import HOURS_PER_DAY, Units
from sim.world import World

LEARNING_POLICIES = ("hotspot", "intel")
PLANNED_POLICY = "stackelberg"
# The most patrol blocks a Stackelberg plan solves over: one solve of a random game (Nguyen et al.'s weights) took 3.6,
# 9.2 and 26 times as long at 1024, 2048 and 4096 blocks as at 256 (one run, a 2-vCPU Intel Xeon): faster than the blocks.
MAX_PLANNED_BLOCKS = 4096
WEIGHTED_POLICIES = (*LEARNING_POLICIES, PLANNED_POLICY)  # the policies that draw waypoints from weighted blocks
# A weak prior on the SUQR weights (coverage, route share, minus ground risk), in the signs of Nguyen et
# al. (AAAI 2013): coverage deters, known routes attract, ground risk deters. An assumption; the data
# outweigh it after a period or two.
PRIOR_OMEGA = (-2.0, 2.0, 1.0)
PRIOR_SD = (5.0, 5.0, 5.0)
EXPOSURE_FLOOR = 1e-3  # chance a choice is seen where no sensor or ground risk is (intercept-cued seizures)
DEFENDER_REWARD, DEFENDER_PENALTY = 1.0, -1.0  # a covered / uncovered choice, in shipment values


def _largest_one(values: np.ndarray) -> np.ndarray:
    """``values`` over their largest (all zeros stay zeros)."""
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0.0 else np.zeros_like(values)


def flight_budget(platform_types: Sequence[Platform], period_h: float, cap_period_h: float,
                  operator_caps: dict[str, float]) -> tuple[float, float, float]:
    """(hours, footprint km², detection probability) the ``stackelberg`` platforms give in one planning period.

    Hours: each platform type's sorties at its duty cycle and availability, within its own cap and
    its operator's (caps pro rata of ``cap_period_h``; 0 = no cap). Footprint and detection
    probability: their means weighted by those hours (0 without hours).
    """
    share = period_h / cap_period_h
    planned = [p for p in platform_types if p.patrol == PLANNED_POLICY and p.count > 0]
    hours = []
    for p in planned:
        flown = p.count * period_h * p.availability * p.sortie_h / p.cycle_h
        hours.append(min(flown, p.hour_cap * share) if p.hour_cap > 0 else flown)
    hours_of = np.array(hours)
    for operator, cap in operator_caps.items():
        mine = np.array([p.operator == operator for p in planned], dtype=bool)
        if cap > 0 and mine.any() and hours_of[mine].sum() > cap * share:
            hours_of[mine] *= cap * share / hours_of[mine].sum()
    total = float(hours_of.sum())
    if total <= 0.0:
        return 0.0, 0.0, 0.0
    footprint = float(hours_of @ [np.pi * p.sensor_radius_km**2 for p in planned]) / total
    detect = float(hours_of @ [p.detect_prob for p in planned]) / total
    return total, footprint, detect


def block_side(units: Units, grid_km: float) -> int:
    """The side of a patrol block in cells: ``grid_km``, rounded, at least one cell."""
    return max(1, round(units.cells(grid_km)))


def block_grid(shape: tuple[int, int], side: int) -> tuple[int, int]:
    """(rows, columns) of the patrol blocks of ``side`` cells over a raster of ``shape`` (the last ones cut short)."""
    return -(-shape[0] // side), -(-shape[1] // side)


class PatrolMemory:
    """Decayed detections and seizures per patrol block (the hotspot patrol's memory), and the waypoint weights.

    Args:
        params: the scenario's typed parameters (``patrol``, ``counter``, ``caps``).
        units: the run's unit conversions.
        shape: (H, W) of the raster.
        platform_types: the platform types (the default drones first); each flies its own patrol policy.

    Attributes:
        policies: the patrol policies the platform types fly.
        plan: the Stackelberg plan when a platform patrols ``stackelberg`` (:meth:`plan_with`), else None.
    """

    def __init__(self, params, units: Units, shape: tuple[int, int], platform_types: Sequence[Platform]) -> None:
        self.policies = frozenset(p.patrol for p in platform_types)
        self.patrol = params.patrol
        self.width = shape[1]
        self.block = block_side(units, params.patrol.grid_km)
        self.heat = np.zeros(block_grid(shape, self.block))
        self.decay_factor = np.exp(-units.step_hours / params.patrol.memory_h)
        self.zone_radius = units.cells(params.counter.radius_km)
        self.plan: StackelbergPlan | None = None

    def plan_with(self, params, units: Units, world: World, book: RouteBook, platform_types: Sequence[Platform]) -> None:
        """Plan Stackelberg coverage when any of ``platform_types`` patrols ``stackelberg`` (nothing otherwise)."""
        if any(p.patrol == PLANNED_POLICY for p in platform_types):
            self.plan = StackelbergPlan(params, units, world, book, platform_types, self)

    @property
    def learns(self) -> bool:
        """Whether a policy flown remembers detections and seizures (hotspot)."""
        return "hotspot" in self.policies

    def block_of(self, cells: np.ndarray) -> np.ndarray:
        """Flat index of the patrol block holding each flat cell."""
        return (cells // self.width) // self.block * self.heat.shape[1] + (cells % self.width) // self.block

    def add(self, cells: np.ndarray) -> None:
        """Remember detections or seizures at flat ``cells`` (hotspot; and the Stackelberg plan's observations)."""
        if self.learns:
            self.heat.reshape(-1)[:] += np.bincount(self.block_of(cells), minlength=self.heat.size)
        if self.plan is not None:
            self.plan.seen += np.bincount(self.block_of(cells), minlength=self.heat.size)

    def decay(self) -> None:
        """One step of forgetting (hotspot only)."""
        if self.learns:
            self.heat *= self.decay_factor

    def waypoint_cdfs(self, now: int, cues: CueQueue, zones: np.ndarray) -> dict[str, np.ndarray]:
        """Cumulative waypoint weights over the blocks at step ``now`` of each weighted policy flown, by policy.

        Hotspot: heat; intel: live intercept and tip cues, both mixed with a uniform share
        ``patrol.explore``; stackelberg: the flight hours of the period's coverage (re-planned when a
        period starts). Blocks inside known counter-drone zones get no weight when
        ``patrol.avoid_zones``. All zero weights mean a uniform draw (random search). Random and
        lawnmower patrols draw no weighted waypoints: they have no entry.
        """
        return {policy: self._waypoint_cdf(now, cues, zones, policy) for policy in WEIGHTED_POLICIES if policy in self.policies}

    def _waypoint_cdf(self, now: int, cues: CueQueue, zones: np.ndarray, policy: str) -> np.ndarray:
        """Cumulative waypoint weights over the blocks of the weighted ``policy`` at step ``now`` (:meth:`waypoint_cdfs`)."""
        explore = self.patrol.explore
        if policy == PLANNED_POLICY:
            assert self.plan is not None
            weight, explore = self.plan.update(now).copy(), 0.0
        elif policy == "intel":
            pointed = cues.cell[cues.source != CUE_DRONE]
            weight = np.bincount(self.block_of(pointed), minlength=self.heat.size).astype(np.float64)
        else:
            weight = self.heat.reshape(-1).copy()
        total = weight.sum()
        if total > 0:  # in place: every branch made ``weight`` a new array
            weight *= 1.0 - explore
            weight /= total
            weight += explore / weight.size
        if self.patrol.avoid_zones and len(zones):
            rows, cols = np.divmod(np.arange(weight.size), self.heat.shape[1])
            centres = np.column_stack([(cols + 0.5) * self.block, (rows + 0.5) * self.block])
            weight[inside_any(centres[:, 0], centres[:, 1], zones, self.zone_radius)] = 0.0
        return np.cumsum(weight)


class StackelbergPlan:
    """The stackelberg patrol's coverage of the patrol blocks, solved every planning period (see the module docstring).

    Args:
        params: the scenario's typed parameters (``patrol``, ``caps``).
        units: the run's unit conversions.
        world: the world (its authorised airspace).
        book: the route book (the routes planned at the start, the ground layers, the flow).
        platform_types: the platform types (those patrolling ``stackelberg`` fly the plan).
        memory: the patrol memory whose blocks the plan covers.

    Attributes:
        seen: (K,) detections and seizures seen by block since the period began.
        coverage: (K,) the period's coverage x.
        hours: (K,) flight hours the period's coverage spends on each block (the waypoint weights).
        omega: the SUQR weights of the last fit.
        standard_error: their standard errors.
        solve_seconds: wall time of every solve, s.
    """

    def __init__(self, params, units: Units, world: World, book: RouteBook, platform_types: Sequence[Platform],
                 memory: PatrolMemory) -> None:
        p = params.patrol
        self.memory, self.book, self.learning, self.segments = memory, book, p.learning, p.segments or None
        self.period_steps = max(1, units.steps(p.plan_hours))
        k = memory.heat.size
        cells = np.arange(world.shape[0] * world.shape[1])
        authorised = cells if world.airspace.size == 0 else np.flatnonzero(world.airspace)
        area_km2 = np.bincount(memory.block_of(authorised), minlength=k) * units.cell_km**2
        self.coverable = area_km2 > 0.0
        caps = params.caps
        self.budget, footprint, self.detect = flight_budget(
            platform_types, p.plan_hours, caps.period_days * HOURS_PER_DAY,
            {"partner": caps.partner_hours, "host": caps.host_hours})
        self.costs = p.plan_hours * area_km2 / footprint if footprint > 0.0 else np.ones(k)
        self.costs[~self.coverable] = 1.0  # never spent: those blocks stay uncovered
        self.route_share = _largest_one(self._routes_by_block(book.routes))
        self.block_cells = np.bincount(memory.block_of(cells), minlength=k)
        self.history: deque[Choices] = deque(maxlen=p.memory_periods)
        self.seen = np.zeros(k)
        self.flow_then = book.flow.copy()
        self.coverage, self.hours = np.zeros(k), np.zeros(k)
        self.ground = np.zeros(k)
        self.omega, self.standard_error = PRIOR_OMEGA, (np.inf,) * 3
        self.solve_seconds: list[float] = []
        self.next_plan: int | None = None  # step of the next plan (None: plan at the first step)

    def _routes_by_block(self, routes: RouteTable) -> np.ndarray:
        """(K,) routes of ``routes`` crossing each block."""
        owner = np.repeat(np.arange(routes.source.size), routes.length)
        pairs = np.unique(owner * self.memory.heat.size + self.memory.block_of(routes.cells))
        return np.bincount(pairs % self.memory.heat.size, minlength=self.memory.heat.size).astype(float)

    def _ground_risk(self) -> np.ndarray:
        """(K,) mean ground risk per step over each block's cells: 1 − (1 − checkpoint)(1 − tip)."""
        layers = self.book.layers
        flat = np.arange(layers.checkpoint.size)
        risk = 1.0 - (1.0 - layers.checkpoint.reshape(-1)) * (1.0 - layers.tip(flat))
        return np.bincount(self.memory.block_of(flat), weights=risk, minlength=self.seen.size) / np.maximum(self.block_cells, 1)

    def _choices(self) -> Choices:
        """The period that ends now: the cartels' choices the defender sees, under the coverage it flew."""
        if self.learning == "informed":
            flow = self.book.flow
            counts = np.bincount(self.memory.block_of(np.arange(flow.size)), weights=flow - self.flow_then,
                                 minlength=self.seen.size)
            self.flow_then, exposure = flow.copy(), None
        else:
            counts = self.seen
            exposure = np.maximum(1.0 - (1.0 - self.coverage * self.detect) * (1.0 - self.ground), EXPOSURE_FLOOR)
        return Choices(self.coverage, self.route_share, -_largest_one(self.ground), counts, exposure)

    def update(self, now: int) -> np.ndarray:
        """(K,) the waypoint weights at step ``now``: the coverage's flight hours, planned at the first step and every period."""
        if self.next_plan is not None and now < self.next_plan:
            return self.hours
        if self.next_plan is not None:
            self.history.append(self._choices())
            fit = fit_omega(self.history, start=self.omega, prior=(PRIOR_OMEGA, PRIOR_SD))
            self.omega, self.standard_error = fit.omega, fit.standard_error
        self.next_plan = now + self.period_steps
        self.seen = np.zeros(self.seen.size)
        self.ground = self._ground_risk()
        game = Game(self.route_share, -_largest_one(self.ground), np.full(self.seen.size, DEFENDER_REWARD),
                    np.full(self.seen.size, DEFENDER_PENALTY), self.omega)
        started = time.perf_counter()
        self.coverage = solve(game, self.costs, self.budget, coverable=self.coverable, segments=self.segments,
                              start=self.coverage).coverage
        self.solve_seconds.append(time.perf_counter() - started)
        self.hours = self.costs * self.coverage
        return self.hours
