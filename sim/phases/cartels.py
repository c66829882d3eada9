"""Phase 1: the cartels plan (every planning period) and launch; the intelligence cell intercepts.

Each planning period every cartel re-plans its routes (route shifting) and hands them to the
route book, adapts its levels and places its counter-drone zones; the book drops the routes
nobody uses any more; cartel violence and community programs change trust. Every step each
cartel launches its shipments (less from sources whose sites are out after a raid), and the
intelligence cell intercepts some of their planning traffic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.agents import Cartel
from sim.community import Community
from sim.counter_drone import ZoneMap
from sim.intel import IntelCell
from sim.kernels.movement import IN_TRANSIT
from sim.params import Params
from sim.phases import InvariantError
from sim.raids import Raids
from sim.routebook import RouteBook
from sim.shipments import ShipmentPool
from sim.units import HOURS_PER_DAY, Units


class CartelPhase:
    """The cartels' planning and launches.

    Args:
        params: the scenario's typed parameters.
        units: the run's unit conversions.
        cartels: the cartels, by index.
        book: the route book.
        pool: the shipments.
        tally: the run's totals.
        intel: the intelligence cell.
        community: the people (violence lowers trust; programs raise it).
        zones: the counter-drone zones, replaced every planning period.
        raids: the raids on infrastructure (the share of its launches each source keeps).
        corridors: number of corridors launches are counted by.

    Attributes:
        corridor_launched: (corridors,) int64 shipments launched so far, by their route's corridor.
        corridor_launched_step: the same, in the last step only.
    """

    name = "cartels"

    def __init__(self, params: Params, units: Units, cartels: Sequence[Cartel], book: RouteBook, pool: ShipmentPool,
                 tally: Any, intel: IntelCell, community: Community, zones: ZoneMap, raids: Raids, corridors: int) -> None:
        self.p = params
        self.cartels = cartels
        self.book = book
        self.pool = pool
        self.tally = tally
        self.intel = intel
        self.community = community
        self.zones = zones
        self.raids = raids
        self.period = units.steps(params.cartels.planning_hours)
        self.period_days = self.period * units.step_hours / HOURS_PER_DAY
        self.corridor_launched = np.zeros(corridors, dtype=np.int64)
        self.corridor_launched_step = np.zeros_like(self.corridor_launched)

    def step(self, now: int) -> None:
        """Plan at the start of each planning period, then launch this step's shipments."""
        if (now - 1) % self.period == 0:
            self._plan(now)
        self.corridor_launched_step[:] = 0
        routes = self.book.routes
        shipments = self.p.shipments
        factor = self.raids.source_factor
        for cartel in self.cartels:
            if factor is not None:
                self.tally.launches_lost_to_raids += cartel.launches_lost(factor)
            route_ids = cartel.launch(factor)
            n = route_ids.size
            if n == 0:
                continue
            slots = self.pool.launch(cartel.index, route_ids, shipments.value, shipments.concealment)
            self.tally.shipments_launched += n
            self.book.count_launches(route_ids)
            self.corridor_launched_step += np.bincount(routes.corridor[route_ids], minlength=self.corridor_launched_step.size)
            self.intel.intercept(slots, routes.cells[routes.start[route_ids]], cartel.encryption, now)
        self.corridor_launched += self.corridor_launched_step

    def _plan(self, now: int) -> None:
        days = self.period_days
        for cartel in self.cartels:
            table = cartel.plan_routes(now)
            if table is not None:
                cartel.route_ids = self.book.add(table, cartel.sources)
            cartel.adapt(days)
        self._drop_unused_routes()
        self.zones.centres = np.concatenate([c.zones for c in self.cartels])
        violence = np.concatenate([c.violence_cells for c in self.cartels])
        self.tally.violence_events += violence.size
        self.community.harm(violence, self.p.community.violence_trust_loss)
        self.community.grow(days)
        self.book.refresh_tip()

    def _drop_unused_routes(self) -> None:
        """Drop the routes no shipment is on and no cartel launches on; renumber the rest everywhere."""
        pool = self.pool
        live = pool.status == IN_TRANSIT
        used = np.zeros(self.book.routes.source.size, dtype=bool)
        used[pool.route[live]] = True
        for cartel in self.cartels:
            used[cartel.route_ids] = True
        renumbered = self.book.drop_unused(used)
        if renumbered is None:
            return
        pool.route[live] = renumbered[pool.route[live]]
        for cartel in self.cartels:
            cartel.route_ids = renumbered[cartel.route_ids]

    def check(self, now: int) -> None:
        """Every cartel launches on routes the book holds."""
        count = self.book.routes.source.size
        for cartel in self.cartels:
            if np.any((cartel.route_ids < 0) | (cartel.route_ids >= count)):
                raise InvariantError(f"step {now}: cartel {cartel.index} launches on a route the book does not hold")
