"""Mesa agents: the decision-makers. Shipments are not agents; they live in :mod:`sim.shipments`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.adaptation import RiskMemory, logistic_target, moving_average, step_towards
from sim.counter_drone import zone_centres
from sim.kernels import flight
from sim.kernels.blocks import add_blocks
from sim.routes import RouteTable, coarsening, plan_routes

if TYPE_CHECKING:
    from sim.model import SkywatchModel


class Cartel(mesa.Agent):
    """A trafficking organisation: it plans routes, launches shipments, keeps the books, and adapts.

    Each planning period it re-plans its routes around its risk map (route shifting), and moves
    its encryption and counter-drone levels towards the targets of the logistic rule
    (:func:`sim.adaptation.logistic_target`), paying for both; each switch is a scenario parameter.

    Args:
        model: the model.
        index: the cartel's index (the ``owner`` of its shipments and sources).
        sources: indices (into ``World.sources``) of the sources it controls.
    """

    def __init__(self, model: SkywatchModel, index: int, sources: np.ndarray) -> None:
        super().__init__(model)
        s, u = model.scenario, model.units
        self.index = index
        self.sources = sources
        self.budget = float(s["cartels.budget"])
        self.revenue = 0.0
        self.route_ids = np.flatnonzero(np.isin(model.routes.source, sources))
        self.route_probs = np.zeros(0)
        self.risk = RiskMemory(model.world.shape, u.steps(s["cartels.risk_memory_h"]), u.cells(s["cartels.risk_radius_km"]),
                               recent_places=s["counter.max_zones"], maps=s["adaptation.route_shifting"])
        self.encryption = 0.0
        self.counter_drone = float(s["counter.initial_level"])
        self.zones = np.zeros((0, 2))
        self.intercept_loss = 0.0  # value lost to intercept-cued seizures since the last plan
        self.sightings = 0  # drone detections of its shipments since the last plan
        self.intercept_loss_per_day = 0.0  # moving averages over planning periods
        self.sightings_per_day = 0.0
        self.couriers = 1.0  # courier strength, as a share of full strength; scales launches
        self.launched_period = 0  # its shipments launched and seized since the last plan
        self.seized_period = 0
        self.violence_cells = np.zeros(0, dtype=np.int64)  # where its violence struck at the last plan

    def plan(self, period_days: float) -> None:
        """Re-plan routes (if route shifting is on), adapt levels, pay for them, choose route odds."""
        s = self.model.scenario
        if s["adaptation.route_shifting"] and len(self.risk):
            self.route_ids = self.model.add_routes(self._plan_around_risk(), self.sources)
        memory = s["adaptation.memory_periods"]
        self.intercept_loss_per_day = moving_average(self.intercept_loss_per_day, self.intercept_loss / period_days, memory)
        self.sightings_per_day = moving_average(self.sightings_per_day, self.sightings / period_days, memory)
        self.intercept_loss, self.sightings = 0.0, 0
        k, rate = s["adaptation.steepness"], s["adaptation.rate"]
        if s["adaptation.encryption"]:
            target = logistic_target(self.intercept_loss_per_day, s["encryption.cost_per_day"], k, s["encryption.max_level"])
            self.encryption = step_towards(self.encryption, target, rate)
        if s["adaptation.counter_drone"]:
            target = logistic_target(self.sightings_per_day, s["counter.threshold_per_day"], k, 1.0)
            self.counter_drone = step_towards(self.counter_drone, target, rate)
        self.budget -= period_days * (self.encryption * s["encryption.cost_per_day"] + self.counter_drone * s["counter.cost_per_day"])
        self.zones = self._place_zones()
        self._choose_routes()
        self._recruit(period_days)
        self.violence_cells = self._violence(period_days)
        self.launched_period, self.seized_period = 0, 0

    def _recruit(self, days: float) -> None:
        """Couriers leave at the turnover rate; recruits replace them, fewer where programs run."""
        s = self.model.scenario
        supply = 1.0 - s["community.program_recruit_cut"] * s["community.programs"]
        self.couriers = supply + (self.couriers - supply) * float(np.exp(-s["community.courier_turnover_per_day"] * days))

    def _violence(self, days: float) -> np.ndarray:
        """Cells of this period's violence events: Poisson, escalating with the share of its shipments seized."""
        s, model = self.model.scenario, self.model
        pressure = self.seized_period / max(self.launched_period, 1)
        count = model.streams["cartels"].poisson(s["community.violence_per_day"] * (1.0 + s["community.escalation"] * pressure) * days)
        if count == 0 or self.route_ids.size == 0:
            return np.zeros(0, dtype=np.int64)
        routes = model.routes
        picked = model.streams["cartels"].choice(self.route_ids, size=count)
        offsets = (model.streams["cartels"].random(count) * routes.length[picked]).astype(np.int64)
        return routes.cells[routes.start[picked] + offsets]

    def _plan_around_risk(self) -> RouteTable:
        """Least-cost routes from its sources under cost = travel hours + risk aversion × risk."""
        model = self.model
        world = model.world
        block = coarsening(world.shape)
        risk = self.risk.risk_map(model.steps, block=block)
        plan_cost = add_blocks(world.cell_hours, risk, block, model.scenario["cartels.risk_aversion"])
        return plan_routes(plan_cost, world.sources[self.sources], world.sinks, world.corridor, len(world.corridor_names), coarse=True)

    def _place_zones(self) -> np.ndarray:
        """Counter-drone zone centres: where its shipments were last spotted, then its sites, then its routes."""
        count = round(self.counter_drone * self.model.scenario["counter.max_zones"])
        if count == 0:
            return np.zeros((0, 2))
        world, routes = self.model.world, self.model.routes
        route_cells = np.concatenate([routes.cells_of(r) for r in self.route_ids]) if self.route_ids.size else np.zeros(0, np.int64)
        spaced = route_cells[np.linspace(0, route_cells.size - 1, min(count, route_cells.size)).astype(int)] if route_cells.size else route_cells
        candidates = np.concatenate([self.risk.recent_cells(), world.infra_cells[world.infra_owner == self.index], spaced])
        return zone_centres(candidates, count, world.shape[1])

    def _choose_routes(self) -> None:
        """Route odds: per source, a logit over its routes' planning costs."""
        routes = self.model.routes
        spread = self.model.scenario["cartels.route_spread"]
        ids, probs = [], []
        own = [src for src in self.sources if np.any(routes.source[self.route_ids] == src)]
        for src in own:
            mine = self.route_ids[routes.source[self.route_ids] == src]
            cost = routes.cost[mine]
            weight = np.exp(-(cost - cost.min()) / (spread * max(cost.min(), 1e-9)))
            ids.append(mine)
            probs.append(weight / weight.sum() / len(own))
        self.route_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        self.route_probs = np.concatenate(probs) if probs else np.zeros(0)

    def launch(self) -> np.ndarray:
        """Launch this step's shipments (Poisson, scaled by couriers, slowed by encryption, limited by budget); returns route ids."""
        model = self.model
        rng = model.streams["cartels"]
        rate = model.launch_rate * self.couriers * (1.0 - model.scenario["encryption.slowdown"] * self.encryption)
        wanted = rng.poisson(rate)
        cost = model.scenario["cartels.launch_cost"]
        affordable = wanted if cost <= 0 else min(wanted, int(max(self.budget, 0.0) // cost))
        if affordable <= 0 or self.route_ids.size == 0:
            return np.zeros(0, dtype=np.int64)
        self.budget -= affordable * cost
        self.launched_period += affordable
        return rng.choice(self.route_ids, size=affordable, p=self.route_probs)

    def earn(self, value: float) -> None:
        """Take the value of delivered shipments."""
        self.budget += value
        self.revenue += value


class Drone(mesa.Agent):
    """A surveillance drone: a thin view onto row ``index`` of the model's drone arrays.

    Its flight is moved by :func:`sim.kernels.flight.fly_drones`; this object names it for
    Mesa's agent sets, the data collector and the live view.
    """

    def __init__(self, model: SkywatchModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def xy(self) -> tuple[float, float]:
        """(x, y) position in cell units."""
        fleet = self.model.fleet
        return float(fleet.x[self.index]), float(fleet.y[self.index])

    @property
    def state(self) -> int:
        """Flight state code (see :mod:`sim.kernels.flight`)."""
        return int(self.model.fleet.state[self.index])

    @property
    def airborne(self) -> bool:
        """Whether the drone is in the air (patrolling or returning)."""
        return self.state in (flight.PATROL, flight.RETURNING)


class GroundUnit(mesa.Agent):
    """A mobile field unit of the partner's forces: waits at its post, answers cues, interdicts.

    Args:
        model: the model.
        post: (x, y) of its post in cell units.
    """

    def __init__(self, model: SkywatchModel, post: tuple[float, float]) -> None:
        super().__init__(model)
        self.post = post
        self.busy_until = -1
        self.target: tuple[int, int, int] | None = None  # (slot, uid, cue source) of the shipment it goes for
        self.arrive_step = -1

    @property
    def idle(self) -> bool:
        """At its post and free to answer a cue."""
        return self.model.steps >= self.busy_until

    def dispatch(self, slot: int, uid: int, source: int, travel_steps: int) -> None:
        """Send the unit to a shipment (cued by ``source``); it is back at its post after the return trip."""
        now = self.model.steps
        self.target = (slot, uid, source)
        self.arrive_step = now + travel_steps
        self.busy_until = now + 2 * travel_steps

    def step(self) -> None:
        """On arrival, try to interdict the target shipment."""
        if self.target is None or self.model.steps != self.arrive_step:
            return
        slot, uid, source = self.target
        self.target = None
        self.model.interdict(slot, uid, source)
