"""Mesa agents: the decision-makers. Shipments are not agents; they live in :mod:`sim.shipments`."""

from __future__ import annotations

import mesa
import numpy as np

from sim.adaptation import RiskMemory, logistic_target, moving_average, step_towards
from sim.counter_drone import zone_centres
from sim.kernels.blocks import add_blocks
from sim.params import Params
from sim.ports import Crossings
from sim.routebook import RouteBook
from sim.routes import RouteTable, coarsening
from sim.streams import RandomStreams
from sim.units import Units
from sim.world import World

MIN_ROUTE_COST = 1e-9  # guards the logit's scale against a zero-cost route


def choice_cdf(probs: np.ndarray) -> np.ndarray:
    """The CDF ``Generator.choice(..., p=probs)`` draws from (with replacement): a uniform u picks the first entry above u."""
    cdf = probs.cumsum()
    cdf /= cdf[-1]
    return cdf


class Cartel(mesa.Agent):
    """A trafficking organisation: it plans routes, launches shipments, keeps the books, and adapts.

    Each planning period it re-plans its routes around its risk map (route shifting) and hands
    them to the route book, and moves its encryption and counter-drone levels towards the targets
    of the logistic rule (:func:`sim.adaptation.logistic_target`), paying for both; each switch is
    a scenario parameter. It reads the route book and the world, and never changes the model.

    Args:
        model: the model it belongs to (Mesa's registry of agents).
        index: the cartel's index (the ``owner`` of its shipments and sources).
        sources: indices (into ``World.sources``) of the sources it controls.
        params: the scenario's typed parameters.
        units: the run's unit conversions.
        world: the world.
        crossings: the route ends: the ports of entry and the open crossings.
        book: the route book (read only).
        streams: the run's random streams (its own ``launch``, ``route_choice`` and ``violence`` generators).
    """

    def __init__(self, model: mesa.Model, index: int, sources: np.ndarray, params: Params, units: Units, world: World,
                 crossings: Crossings, book: RouteBook, streams: RandomStreams) -> None:
        super().__init__(model)
        self.p = params
        self.world = world
        self.crossings = crossings
        self.book = book
        self.launch_rng = streams.generator("launch", index)
        self.route_rng = streams.generator("route_choice", index)
        self.violence_rng = streams.generator("violence", index)
        self.index = index
        self.sources = sources
        self.launch_rate = units.per_step(params.cartels.shipments_per_day)  # shipments per step at full strength
        self.budget = float(params.cartels.budget)
        self.route_ids = np.flatnonzero(np.isin(book.routes.source, sources))
        self.route_probs = np.zeros(0)
        self._odds, self._cdf = self.route_probs, np.zeros(0)  # the last route odds launched on, and their CDF
        memory_steps, radius = units.steps(params.cartels.risk_memory_h), units.cells(params.cartels.risk_radius_km)
        self.risk = RiskMemory(world.shape, memory_steps, radius, maps=params.adaptation.route_shifting)
        # where drones last spotted its shipments (its counter-drone zones go there first): only the newest places are kept
        self.spotted = RiskMemory(world.shape, memory_steps, radius, recent_places=params.counter.max_zones, maps=False)
        self.encryption = 0.0
        self.counter_drone = float(params.counter.initial_level)
        self.zones = np.zeros((0, 2))
        self.intercept_loss = 0.0  # value lost to intercept-cued seizures since the last plan
        self.sightings = 0  # drone detections of its shipments since the last plan
        self.intercept_loss_per_day = 0.0  # moving averages over planning periods
        self.sightings_per_day = 0.0
        self.couriers = 1.0  # courier strength, as a share of full strength; scales launches
        self.launched_period = 0  # its shipments launched and seized since the last plan
        self.seized_period = 0
        self.violence_cells = np.zeros(0, dtype=np.int64)  # where its violence struck at the last plan

    def plan_routes(self, now: int) -> RouteTable | None:
        """New routes around its risk map (route shifting), for the route book; None when it keeps its routes.

        The table's ``source`` indexes :attr:`sources`.
        """
        if self.p.adaptation.route_shifting and len(self.risk):
            return self._plan_around_risk(now)
        return None

    def adapt(self, period_days: float) -> None:
        """Adapt levels, pay for them, place zones, choose route odds, recruit, and strike (once a planning period)."""
        p = self.p
        memory = p.adaptation.memory_periods
        self.intercept_loss_per_day = moving_average(self.intercept_loss_per_day, self.intercept_loss / period_days, memory)
        self.sightings_per_day = moving_average(self.sightings_per_day, self.sightings / period_days, memory)
        self.intercept_loss, self.sightings = 0.0, 0
        k, rate = p.adaptation.steepness, p.adaptation.rate
        if p.adaptation.encryption:
            target = logistic_target(self.intercept_loss_per_day, p.encryption.cost_per_day, k, p.encryption.max_level)
            self.encryption = step_towards(self.encryption, target, rate)
        if p.adaptation.counter_drone:
            target = logistic_target(self.sightings_per_day, p.counter.threshold_per_day, k, 1.0)
            self.counter_drone = step_towards(self.counter_drone, target, rate)
        self.budget -= period_days * (self.encryption * p.encryption.cost_per_day + self.counter_drone * p.counter.cost_per_day)
        self.zones = self._place_zones()
        self._choose_routes()
        self._recruit(period_days)
        self.violence_cells = self._violence(period_days)
        self.launched_period, self.seized_period = 0, 0

    def learn_losses(self, cells: np.ndarray, now: int) -> None:
        """Remember seizures of its shipments at flat ``cells`` (each weighs 1 in the risk map)."""
        self.risk.add(cells, 1.0, now)
        self.seized_period += cells.size

    def learn_sightings(self, cells: np.ndarray, now: int, noticed: float = 1.0) -> None:
        """Remember drone sightings of its shipments at flat ``cells``.

        Each weighs ``noticed`` (the conspicuousness of the platforms flying) in the counter-drone
        pressure, and ``noticed`` × ``cartels.sighting_weight`` in the risk map.
        """
        self.sightings += cells.size * noticed
        self.risk.add(cells, self.p.cartels.sighting_weight * noticed, now)
        self.spotted.add(cells, noticed, now)

    def _recruit(self, days: float) -> None:
        """Couriers leave at the turnover rate; recruits replace them, fewer where programs run."""
        c = self.p.community
        supply = 1.0 - c.program_recruit_cut * c.programs
        self.couriers = supply + (self.couriers - supply) * float(np.exp(-c.courier_turnover_per_day * days))

    def _violence(self, days: float) -> np.ndarray:
        """Cells of this period's violence events: Poisson, escalating with the share of its shipments seized."""
        c = self.p.community
        pressure = self.seized_period / max(self.launched_period, 1)
        rng = self.violence_rng
        count = rng.poisson(c.violence_per_day * (1.0 + c.escalation * pressure) * days)
        if count == 0 or self.route_ids.size == 0:
            return np.zeros(0, dtype=np.int64)
        routes = self.book.routes
        picked = rng.choice(self.route_ids, size=count)
        offsets = (rng.random(count) * routes.length[picked]).astype(np.int64)
        return routes.cells[routes.start[picked] + offsets]

    def _plan_around_risk(self, now: int) -> RouteTable:
        """Least-cost routes from its sources under cost = travel hours + risk aversion × risk."""
        world = self.world
        block = coarsening(world.shape)
        risk = self.risk.risk_map(now, block=block)
        plan_cost = add_blocks(world.cell_hours, risk, block, self.p.cartels.risk_aversion)
        return self.crossings.plan(plan_cost, world.sources[self.sources], world, coarse=True)

    def _place_zones(self) -> np.ndarray:
        """Counter-drone zone centres: where its shipments were last spotted, then its sites, then its routes."""
        count = round(self.counter_drone * self.p.counter.max_zones)
        if count == 0:
            return np.zeros((0, 2))
        world, routes = self.world, self.book.routes
        route_cells = (
            np.concatenate([routes.cells_of(r) for r in self.route_ids]) if self.route_ids.size else np.zeros(0, np.int64)
        )
        spaced = (
            route_cells[np.linspace(0, route_cells.size - 1, min(count, route_cells.size)).astype(int)]
            if route_cells.size
            else route_cells
        )
        candidates = np.concatenate([self.spotted.recent_cells(), world.infra_cells[world.infra_owner == self.index], spaced])
        return zone_centres(candidates, count, world.shape[1])

    def _choose_routes(self) -> None:
        """Route odds: per source, a logit over its routes' planning costs."""
        routes = self.book.routes
        spread = self.p.cartels.route_spread
        ids, probs = [], []
        own = [src for src in self.sources if np.any(routes.source[self.route_ids] == src)]
        for src in own:
            mine = self.route_ids[routes.source[self.route_ids] == src]
            cost = routes.cost[mine]
            weight = np.exp(-(cost - cost.min()) / (spread * max(cost.min(), MIN_ROUTE_COST)))
            ids.append(mine)
            probs.append(weight / weight.sum() / len(own))
        self.route_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        self.route_probs = np.concatenate(probs) if probs else np.zeros(0)

    def launch_rate_now(self) -> float:
        """Shipments per step it launches now at full sources: scaled by couriers, slowed by encryption, before the budget."""
        return self.launch_rate * self.couriers * (1.0 - self.p.encryption.slowdown * self.encryption)

    def _route_weights(self, source_factor: np.ndarray) -> np.ndarray:
        """Each route's launch probability × the share of launches its source keeps (``source_factor``, by source)."""
        return self.route_probs * source_factor[self.book.routes.source[self.route_ids]]

    def launches_lost(self, source_factor: np.ndarray) -> float:
        """Shipments per step (expected, before the budget) it loses when each source keeps the share ``source_factor`` (S,)."""
        return self.launch_rate_now() * float(self.route_probs.sum() - self._route_weights(source_factor).sum())

    def launch(self, source_factor: np.ndarray | None = None) -> np.ndarray:
        """Launch this step's shipments; returns their route ids.

        Poisson, scaled by couriers, slowed by encryption, limited by the budget. ``source_factor`` (S,),
        the share of its launches each source keeps (raids), thins each source's launches; None keeps all.
        Routes are drawn as ``Generator.choice(route_ids, p=probs)`` draws them, from a CDF kept while the odds stay.
        """
        rate, probs = self.launch_rate_now(), self.route_probs
        if source_factor is not None:
            weights = self._route_weights(source_factor)
            kept = float(weights.sum())
            rate *= kept
            if kept > 0.0:
                probs = weights / kept
        wanted = self.launch_rng.poisson(rate)
        cost = self.p.cartels.launch_cost
        affordable = wanted if cost <= 0 else min(wanted, int(max(self.budget, 0.0) // cost))
        if affordable <= 0 or self.route_ids.size == 0:
            return np.zeros(0, dtype=np.int64)
        self.budget -= affordable * cost
        self.launched_period += affordable
        if self._odds is not probs:
            self._odds, self._cdf = probs, choice_cdf(probs)
        return self.route_ids[self._cdf.searchsorted(self.route_rng.random(affordable), side="right")]

    def earn(self, value: float) -> None:
        """Take the value of delivered shipments."""
        self.budget += value


class Drone(mesa.Agent):
    """A surveillance platform (a drone, or a crewed aircraft): it names row ``index`` of the fleet's arrays.

    Its flight is moved by :func:`sim.kernels.flight.fly_drones` over :class:`sim.fleet.Fleet`;
    ``platform`` names its platform type.
    """

    def __init__(self, model: mesa.Model, index: int, platform: str) -> None:
        super().__init__(model)
        self.index = index
        self.platform = platform


class GroundUnit(mesa.Agent):
    """A mobile field unit of the partner's forces: waits at its post, answers cues, reports its arrival.

    Args:
        model: the model it belongs to (Mesa's registry of agents).
        post: (x, y) of its post in cell units.
    """

    def __init__(self, model: mesa.Model, post: tuple[float, float]) -> None:
        super().__init__(model)
        self.post = post
        self.busy_until = -1
        self.target: tuple[int, int, int] | None = None  # (slot, uid, cue source) of the shipment it goes for
        self.arrive_step = -1

    def idle(self, now: int) -> bool:
        """At its post and free to answer a cue at step ``now``: back from its last trip, and that trip's arrival handled."""
        return now >= self.busy_until and self.target is None

    def dispatch(self, slot: int, uid: int, source: int, travel_steps: int, back_steps: int, now: int) -> None:
        """Send the unit to a shipment (cued by ``source``) as step ``now`` ends.

        It arrives ``travel_steps`` step ends after this one (0: at this one) and is back at its post
        ``back_steps`` after it.
        """
        self.target = (slot, uid, source)
        self.arrive_step = now + travel_steps
        self.busy_until = now + back_steps

    def arrive(self, now: int) -> tuple[int, int, int] | None:
        """The (slot, uid, cue source) of the shipment it reaches at step ``now``, or None."""
        if self.target is None or now != self.arrive_step:
            return None
        target, self.target = self.target, None
        return target
