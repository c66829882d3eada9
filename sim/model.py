"""The Skywatch model: drones and ground units against cartels moving shipments.

One step runs the phases of :attr:`SkywatchModel.phases`, in order:

1. **cartels** (:mod:`sim.phases.cartels`): every planning period the cartels re-plan routes
   (route shifting) into the route book, adapt their encryption and counter-drone levels and place
   their zones; violence and community programs change trust. Every step they launch shipments,
   and the intelligence cell intercepts some of their planning traffic (less as encryption rises)
   and cues the ground units after a latency.
2. **air** (:mod:`sim.phases.air`): drones fly their patrols; inside counter-drone zones they may be
   jammed or lost; the swept footprints of the sensing ones make this step's coverage raster
   (the checkpoints' coverage is static).
3. **privacy** (:mod:`sim.phases.privacy`): the people under the sensors lose trust in the
   authorities (with ``community.privacy_trust_loss`` > 0).
4. **shipments** (:mod:`sim.phases.shipments`): shipments move along their routes and are sensed in
   every cell they pass: checkpoint detections are interdicted on the spot, drone detections
   become cues (shared with the partner's ground units after a latency, with a sharing fraction),
   tips from the people along the way become cues; arrivals at the ports of entry and the open
   border are inspected there (:mod:`sim.ports`): seized, or delivered and paid.
5. **infrastructure** (:mod:`sim.phases.infrastructure`): drones discover cartel infrastructure
   under their footprints; with raids on, a discovered site is raided and out for a period, and
   its source launches less (:mod:`sim.raids`).
6. **ground** (:mod:`sim.phases.ground`): cues (drone detections, intercepts, tips; reports about
   one shipment fused into one cue, :mod:`sim.fusion`) wait out their delay, then the nearest idle
   ground unit within range is sent; units that reach their target try to interdict it → seizures.

Then the invariants are checked (validating mode) and the step's outcomes recorded.

The world is drawn from ``world.seed``; everything that happens, from ``run.seed``, each
mechanism from a named stream of its own (:mod:`sim.streams` lists them). Runs in one process that
share a world get copies of one build of it and of its first routes (:mod:`sim.world_cache`).
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents import Cartel
from sim.community import Community
from sim.counter_drone import ZoneMap
from sim.fleet import Fleet
from sim.intel import IntelCell
from sim.kernels.movement import IN_TRANSIT
from sim.metrics import MetricsRecorder
from sim.outcomes import Tally, metric_reporters
from sim.patrol import PatrolMemory
from sim.phases import PhaseLoop, StepTimer
from sim.phases.air import AirSurveillance
from sim.phases.cartels import CartelPhase
from sim.phases.ground import GroundForces, GroundResponse
from sim.phases.infrastructure import InfrastructureDiscovery
from sim.phases.privacy import PrivacyBacklash
from sim.phases.shipments import ShipmentPhase
from sim.platforms import platforms
from sim.ports import BorderControl
from sim.raids import Raids
from sim.routebook import RouteBook, RouteLayers
from sim.routes import RouteTable
from sim.scenario import Scenario, ScenarioError
from sim.seizures import Seizures
from sim.shipments import PoolFull, ShipmentPool
from sim.streams import run_streams
from sim.units import Units
from sim.world_cache import WORLDS


class SkywatchModel(mesa.Model):
    """Drone surveillance over trafficking routes (see the module docstring for the step order).

    Args:
        scenario: a resolved scenario; its ``world.seed`` seeds the world, its ``run.seed`` what happens.
        timing: time every phase of every step (read :attr:`timer`).
    """

    def __init__(self, scenario: Scenario, timing: bool = False) -> None:
        p = scenario.params
        super().__init__(rng=p.run.seed)
        self.scenario, self.params, self.units = scenario, p, Units.of(scenario)
        self.streams = run_streams(p.run.seed)
        planned = WORLDS.planned(scenario)  # built, checked and planned once per process for runs sharing a world
        self.world = world = planned.world
        self.crossings, table = planned.crossings, planned.routes

        self.tally = Tally()
        self.pool = ShipmentPool()
        self.community = Community(p.community, world.population, self.units)
        self.counter = ZoneMap()
        self.raids = Raids(p, self.units, world)
        self.timer = StepTimer(timing)
        self.ground = GroundForces(self, p, self.units, world)
        drone_cover = np.zeros(world.shape, dtype=np.float32)
        self.book = RouteBook(
            table, RouteLayers(world.cell_hours, self.ground.checkpoint_cover, drone_cover, self.community.tip_probability,
                               self.community.tip_hazard, self.crossings.extra_hours)
        )
        self.cartels = [
            Cartel(self, c, np.flatnonzero(world.source_owner == c), p, self.units, world, self.crossings, self.book,
                   self.streams)
            for c in range(p.cartels.count)
        ]
        self.intel = IntelCell(p, self.units, self.pool, self.tally, self.streams)
        self.platforms = platforms(scenario.values)
        self.patrol = PatrolMemory(p, self.units, world.shape, self.platforms)
        self.seizures = Seizures(self.pool, self.tally, self.cartels, self.patrol)
        self.patrol.plan_with(p, self.units, world, self.book, self.platforms)
        self.air = AirSurveillance(self, p, self.platforms, self.units, world, self.streams, self.tally, self.patrol, self.intel,
                                   self.counter, drone_cover, self.book)
        self.launches = CartelPhase(p, self.units, self.cartels, self.book, self.pool, self.tally, self.intel, self.community,
                                    self.counter, self.raids, len(world.corridor_names))
        self.infrastructure = InfrastructureDiscovery(p, world, self.air, self.streams, self.tally, self.raids)
        self.response = GroundResponse(p, self.units, world, self.ground, self.pool, self.book, self.intel, self.seizures,
                                       self.cartels, self.community, self.streams, self.tally)
        self.border_control = BorderControl(self.crossings, self.streams, self.tally)
        shipments = ShipmentPhase(p, self.units, self.pool, self.book, self.streams, self.tally, self.cartels, self.seizures,
                                  self.intel, self.patrol, self.air, self.border_control, self.timer)
        privacy = PrivacyBacklash(p, self.air, self.community, self.tally)
        self.phases = PhaseLoop((self.launches, self.air, privacy, shipments, self.infrastructure, self.response), self.timer)
        self.pool.keep_slots_with(self.intel.cues.move_slots)
        self.pool.keep_slots_with(self.ground.move_slots)

        self._mean_levels: dict[str, tuple[tuple[float, ...], float]] = {}  # name → (levels, their mean)
        self.datacollector = MetricsRecorder(metric_reporters(world.corridor_names), rows=p.run.steps + 1)
        self.datacollector.collect(self)

    def step(self) -> None:
        """Advance one step through the phases (the module docstring lists them).

        Raises:
            ScenarioError: the cartels' launches would put more than :data:`sim.shipments.MAX_LIVE` shipments in transit.
        """
        try:
            self.phases.step(self.steps)
        except PoolFull as full:
            raise ScenarioError(self.scenario.source, "cartels.shipments_per_day",
                                f"expected launches that keep at most {full.limit:,} shipments in transit at once, got "
                                f"{full.wanted:,} at step {self.steps} (fewer cartels.shipments_per_day or cartels.count)"
                                ) from None
        if self.params.run.validate:
            self.check_invariants()
        self.datacollector.collect(self)

    def check_invariants(self) -> None:
        """Raise :class:`sim.phases.InvariantError` if any phase's state is inconsistent (validating mode)."""
        self.phases.check(self.steps)

    # --- what the outcomes, figures and live view read ----------------------------------------

    @property
    def routes(self) -> RouteTable:
        """The route table in use."""
        return self.book.routes

    @property
    def flow(self) -> np.ndarray:
        """(H*W,) int64: shipment-steps each cell has carried so far."""
        return self.book.flow

    @property
    def fleet(self) -> Fleet:
        """The drones' arrays."""
        return self.air.fleet

    @property
    def counter_zones(self) -> np.ndarray:
        """(n, 2) x, y centres of the counter-drone zones fielded now, cell units."""
        return self.counter.centres

    @property
    def corridor_launched(self) -> np.ndarray:
        """(corridors,) shipments launched so far, by their route's corridor."""
        return self.launches.corridor_launched

    @property
    def corridor_launched_step(self) -> np.ndarray:
        """(corridors,) shipments launched in the last step, by their route's corridor."""
        return self.launches.corridor_launched_step

    def live_cells(self) -> np.ndarray:
        """Flat cell index (row * width + column) of every shipment in transit."""
        live = np.flatnonzero(self.pool.status == IN_TRANSIT)
        return self.routes.cells[self.routes.start[self.pool.route[live]] + self.pool.progress[live]]

    def units_busy(self) -> int:
        """Ground units away from their posts."""
        return self.response.busy(self.steps)

    def mean_level(self, name: str) -> float:
        """Mean over cartels of an adaptation level (``encryption`` or ``counter_drone``).

        The levels move only when the cartels plan: the mean is kept until one of them changes.
        """
        levels = tuple(getattr(c, name) for c in self.cartels)
        kept = self._mean_levels.get(name)
        if kept is None or kept[0] != levels:
            kept = self._mean_levels[name] = (levels, float(np.mean(levels)))
        return kept[1]
