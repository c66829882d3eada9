"""Mesa agents: the decision-makers. Shipments are not agents; they live in :mod:`sim.shipments`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.kernels import flight

if TYPE_CHECKING:
    from sim.model import SkywatchModel


class Cartel(mesa.Agent):
    """A trafficking organisation: it plans routes, launches shipments, and keeps the books.

    Args:
        model: the model.
        index: the cartel's index (the ``owner`` of its shipments and sources).
        sources: indices (into ``World.sources``) of the sources it controls.
    """

    def __init__(self, model: SkywatchModel, index: int, sources: np.ndarray) -> None:
        super().__init__(model)
        self.index = index
        self.sources = sources
        self.budget = float(model.scenario["cartels.budget"])
        self.revenue = 0.0
        self.route_ids = np.zeros(0, dtype=np.int64)
        self.route_probs = np.zeros(0)

    def plan(self) -> None:
        """Choose route probabilities: per source, a logit over its routes' costs."""
        routes = self.model.routes
        spread = self.model.scenario["cartels.route_spread"]
        ids, probs = [], []
        own = [s for s in self.sources if np.any(routes.source == s)]
        for s in own:
            mine = np.flatnonzero(routes.source == s)
            cost = routes.cost[mine]
            weight = np.exp(-(cost - cost.min()) / (spread * max(cost.min(), 1e-9)))
            ids.append(mine)
            probs.append(weight / weight.sum() / len(own))
        self.route_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        self.route_probs = np.concatenate(probs) if probs else np.zeros(0)

    def launch(self) -> np.ndarray:
        """Launch this step's shipments (Poisson, limited by budget); returns their route ids."""
        model = self.model
        rng = model.streams["cartels"]
        wanted = rng.poisson(model.launch_rate)
        cost = model.scenario["cartels.launch_cost"]
        affordable = wanted if cost <= 0 else min(wanted, int(self.budget // cost))
        if affordable <= 0 or self.route_ids.size == 0:
            return np.zeros(0, dtype=np.int64)
        self.budget -= affordable * cost
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
        self.target: tuple[int, int] | None = None  # (slot, uid) of the shipment it goes for
        self.arrive_step = -1

    @property
    def idle(self) -> bool:
        """At its post and free to answer a cue."""
        return self.model.steps >= self.busy_until

    def dispatch(self, slot: int, uid: int, travel_steps: int) -> None:
        """Send the unit to a shipment; it is back at its post after the return trip."""
        now = self.model.steps
        self.target = (slot, uid)
        self.arrive_step = now + travel_steps
        self.busy_until = now + 2 * travel_steps

    def step(self) -> None:
        """On arrival, try to interdict the target shipment."""
        if self.target is None or self.model.steps != self.arrive_step:
            return
        slot, uid = self.target
        self.target = None
        self.model.interdict(slot, uid)
