"""Skywatch's core step written as idiomatic Mesa 3.5: the yardstick the fast path is measured against.

One Mesa agent per shipment, drone and ground unit on an ``OrthogonalMooreGrid`` whose property
layers hold the terrain (hours to cross a cell, rough land) and the static checkpoint coverage;
the drones' looks of the step are kept by cell. Every agent acts in plain Python, in shuffled order (``shuffle_do``).
The world (terrain, routes, checkpoints, drone bases and first take-offs, unit posts) is taken
from a built :class:`~sim.model.SkywatchModel`, so both models run on the same map; the
probabilities are Skywatch's. One step, in order:

1. Cartels launch Poisson(rate) shipments on routes drawn by Skywatch's logit over route costs.
2. The drones' looks are cleared; drones fly random-direction legs from their bases (endurance
   with a reserve for the flight home, turnaround on the ground) and each looks at every cell
   within R of its legs once, ``p0 * (1 - falloff * (d / R)^2)`` at the hour of its closest
   approach (d the distance then), unless that approach is at the step's first point and behind
   the heading it flew in with (passed before) or at its last point and not behind the heading
   it flies on with (passed next step).
3. Shipments bank the step's hours and move cell by cell along their routes; each look made at a
   cell while a shipment was in it (from entering to leaving; one delivered is not looked at in
   its last cell) detects it with the look's probability times ``1 - concealment``. A
   checkpoint looks once as a shipment enters its radius (or sets off inside it), with its cover
   times ``1 - concealment``, and a detection is an interdiction attempt on the spot; a drone
   detection becomes a cue; arrival at the route's end is a delivery.
4. A drone detection, taken as made in the step's middle, is ready at the step end nearest its
   delay later. Ready cues, first come first served, get the nearest idle unit within range; it
   sets off as the step ends, its travel time is distance × terrain factor / speed, and it
   arrives, and is back at its post, at the step ends nearest those hours later (the same step's
   end for a trip under half a step).
5. Units reaching their target seize it with the interdiction probability.

The two models are the same only with the mechanisms the reference leaves out switched off in
Skywatch: :data:`MATCHING` (adaptation is off by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent, OrthogonalMooreGrid
from mesa.discrete_space.cell import Cell
from scipy import stats

from sim.kernels.coverage import closest_on_leg as closest_on_leg_kernel
from sim.kernels.flight import MAX_LEGS, PATROL, READY, RETURNING, TURNAROUND, reserve_hours
from sim.model import SkywatchModel
from sim.phases.ground import LINE_SAMPLES
from sim.scenario import Scenario
from sim.world import ROUGH

MATCHING: dict[str, Any] = {
    "intel.intercept_prob": 0.0,  # no intercepts: cues come from drones only
    "intel.sharing_latency_h": 0.0,  # a drone cue waits only the response delay
    "community.trust": 0.0,  # no tips
    "cartels.launch_cost": 0.0,  # launches never limited by the budget
}
EPS = 1e-9
closest_on_leg = closest_on_leg_kernel.py_func  # (distance, share of the leg) as the coverage kernel finds it, in Python


@dataclass
class Cue:
    """A drone detection waiting for a ground unit."""

    shipment: Shipment
    cell: Cell
    ready_step: int
    expiry_step: int


class Cartel(mesa.Agent):
    """Launches Poisson shipments on its routes, chosen per source by Skywatch's logit over route costs."""

    def __init__(self, model: ReferenceModel, route_ids: np.ndarray, costs: np.ndarray, sources: np.ndarray) -> None:
        super().__init__(model)
        spread = model.scenario["cartels.route_spread"]
        probs = np.zeros(route_ids.size)
        for source in np.unique(sources):
            mine = sources == source
            cost = costs[mine]
            weight = np.exp(-(cost - cost.min()) / (spread * max(cost.min(), 1e-9)))
            probs[mine] = weight / weight.sum()
        self.route_ids = route_ids
        self.route_probs = probs / probs.sum()

    def launch(self) -> None:
        """Launch this step's shipments."""
        m = self.model
        if self.route_ids.size == 0:
            return
        for route in m.rng.choice(self.route_ids, size=m.rng.poisson(m.launch_rate), p=self.route_probs):
            Shipment(m, int(route))
            m.launched += 1


class Shipment(CellAgent):
    """A shipment on its route: banks the step's hours, enters cells while the bank pays, is sensed in each."""

    def __init__(self, model: ReferenceModel, route: int, progress: int = 0) -> None:
        super().__init__(model)
        self.route = model.route_cells[route]
        self.progress = progress
        self.carry_h = 0.0
        self.concealment = model.scenario["shipments.concealment"]
        self.cued = False
        self.in_transit = True
        self.cell = self.route[progress]

    def step(self) -> None:
        """Move along the route, then meet checkpoints (one look at each passage), the sink or the drones."""
        m = self.model
        cell = self.cell
        hide = 1.0 - self.concealment
        passages = [cell.checkpoint_cover] if self.progress == 0 and self.carry_h == 0.0 else []  # it sets off in a radius
        bank = self.carry_h + m.step_hours
        last = len(self.route) - 1
        missed = 1.0  # the chance every drone look it met let it through
        entered, spent = 0.0, self.carry_h  # the hour into the step it entered its cell; hours it spent there before
        while self.progress < last and bank >= self.route[self.progress + 1].hours:
            if cell.checkpoint_cover == 0.0:
                passages.append(self.route[self.progress + 1].checkpoint_cover)
            left = entered + self.route[self.progress + 1].hours - spent
            missed *= m.missed_by_looks(cell, entered, left)
            entered, spent = left, 0.0
            cell = self.route[self.progress + 1]
            bank -= cell.hours
            self.progress += 1
            self.cell = cell
        if self.progress < last:  # there to the step's end
            missed *= m.missed_by_looks(cell, entered, m.step_hours + EPS)
        self.carry_h = bank
        if any(m.random.random() < look * hide and m.random.random() < m.interdict_prob for look in passages if look > 0.0):
            m.seize(self)
        elif self.progress == last:
            m.delivered += 1
            self.end()
        elif not self.cued and m.random.random() < (1.0 - missed) * hide:
            self.cued = True
            m.cue(self)

    def end(self) -> None:
        """Leave the model (delivered or seized)."""
        self.in_transit = False
        self.remove()


class Drone(CellAgent):
    """A drone flying sorties of random-direction legs from its base, stamping its footprint as it goes."""

    def __init__(self, model: ReferenceModel, base: tuple[float, float], first_takeoff_h: float,
                 sector: tuple[float, float, float, float]) -> None:
        super().__init__(model)
        self.base = base
        self.x, self.y = base
        self.waypoint = base
        self.sector = sector
        self.state = TURNAROUND
        self.ground_h = first_takeoff_h
        self.airborne_h = 0.0
        self.heading = (0.0, 0.0)  # of the last leg flown
        self.cell = model.cell_at(self.x, self.y)

    def step(self) -> None:
        """Fly one step (take off, patrol, return, turn around) and sense along the legs flown, landing ones too."""
        m = self.model
        free_h = m.step_hours
        entry = self.heading if self.state in (PATROL, RETURNING) else None  # in the air as the step began
        if self.state == TURNAROUND:
            self.ground_h -= m.step_hours
            if self.ground_h > EPS:
                return
            free_h = min(m.step_hours, -self.ground_h)  # the turnaround ended within this step
            self.state = READY
        if self.state == READY:
            self.state = PATROL
            self.airborne_h = m.endurance_h
            self.waypoint = self.next_waypoint()
        legs = self.fly(free_h)
        self.cell = m.cell_at(self.x, self.y)
        moved = [(bx - ax, by - ay) for ax, ay, bx, by in legs if (ax, ay) != (bx, by)]
        self.heading = moved[-1] if moved else self.heading
        if legs:
            self.look(legs, m.step_hours - free_h, entry, self.state in (PATROL, RETURNING))

    def fly(self, free_h: float) -> list[tuple[float, float, float, float]]:
        """Fly ``free_h`` hours of this step in straight legs towards the waypoints; return them."""
        m = self.model
        legs: list[tuple[float, float, float, float]] = []
        budget = free_h if self.state == RETURNING else min(free_h, self.airborne_h)
        while budget > EPS and len(legs) < MAX_LEGS:
            home_h = math.hypot(self.base[0] - self.x, self.base[1] - self.y) / m.drone_speed
            if self.state == PATROL and self.airborne_h <= home_h + reserve_hours(m.endurance_h) + EPS:
                self.state = RETURNING
                self.waypoint = self.base
            dist = math.hypot(self.waypoint[0] - self.x, self.waypoint[1] - self.y)
            hours = min(budget, dist / m.drone_speed)
            turn = self.state == PATROL and self.turn_before(hours)
            if turn:
                hours = self.hours_to_turn()
            share = 1.0 if dist <= 0.0 else min(1.0, hours * m.drone_speed / dist)
            start = (self.x, self.y)
            self.x += (self.waypoint[0] - self.x) * share
            self.y += (self.waypoint[1] - self.y) * share
            legs.append((*start, self.x, self.y))
            budget -= hours
            self.airborne_h -= hours
            if turn:
                self.state = RETURNING
                self.waypoint = self.base
                continue
            if hours * m.drone_speed < dist - EPS:
                continue
            if self.state == RETURNING:
                self.state = TURNAROUND
                self.ground_h = m.turnaround_h - budget
                break
            self.waypoint = self.next_waypoint()
        return legs

    def hours_to_turn(self) -> float:
        """Hours on along this leg until the flight left only covers the way home and the reserve.

        Found by bisection on the slack (spare hours less the way home), which only falls as it flies.
        """
        m = self.model
        dist = math.hypot(self.waypoint[0] - self.x, self.waypoint[1] - self.y)
        ux, uy = (self.waypoint[0] - self.x) / dist, (self.waypoint[1] - self.y) / dist

        def slack(s: float) -> float:
            px, py = self.x + ux * s * m.drone_speed, self.y + uy * s * m.drone_speed
            home_h = math.hypot(self.base[0] - px, self.base[1] - py) / m.drone_speed
            return self.airborne_h - reserve_hours(m.endurance_h) - s - home_h

        low, high = 0.0, dist / m.drone_speed
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if slack(middle) > 0.0 else (low, middle)
        return low

    def turn_before(self, hours: float) -> bool:
        """Whether the flight left would stop covering the way home and the reserve within ``hours`` on this leg."""
        m = self.model
        dist = math.hypot(self.waypoint[0] - self.x, self.waypoint[1] - self.y)
        if dist <= 0.0:
            return False
        share = hours * m.drone_speed / dist
        px, py = self.x + (self.waypoint[0] - self.x) * share, self.y + (self.waypoint[1] - self.y) * share
        home_h = math.hypot(self.base[0] - px, self.base[1] - py) / m.drone_speed
        return self.airborne_h - reserve_hours(m.endurance_h) - hours < home_h

    def next_waypoint(self) -> tuple[float, float]:
        """Random search: a leg in a random direction (Lambert's law off a wall), exponential length up to a wall."""
        x0, y0, x1, y1 = self.sector
        u, v = self.random.random(), self.random.random()
        if not (x0 - EPS <= self.x <= x1 + EPS and y0 - EPS <= self.y <= y1 + EPS):
            return x0 + (x1 - x0) * u, y0 + (y1 - y0) * v
        inward = ((self.x <= x0 + EPS, 0.0), (self.x >= x1 - EPS, math.pi), (self.y <= y0 + EPS, 0.5 * math.pi),
                  (self.y >= y1 - EPS, -0.5 * math.pi))
        walls = [normal for touching, normal in inward if touching]
        heading = walls[0] + math.asin(2.0 * u - 1.0) if walls else 2.0 * math.pi * u
        dx, dy = math.cos(heading), math.sin(heading)
        if (self.x <= x0 + EPS and dx < 0.0) or (self.x >= x1 - EPS and dx > 0.0):
            dx = -dx
        if (self.y <= y0 + EPS and dy < 0.0) or (self.y >= y1 - EPS and dy > 0.0):
            dy = -dy
        reach = [(x1 - self.x) / dx if dx > EPS else (x0 - self.x) / dx if dx < -EPS else math.inf,
                 (y1 - self.y) / dy if dy > EPS else (y0 - self.y) / dy if dy < -EPS else math.inf]
        length = min(*reach, -0.5 * ((x1 - x0) + (y1 - y0)) * math.log(1.0 - v))
        return min(max(self.x + length * dx, x0), x1), min(max(self.y + length * dy, y0), y1)

    def look(self, legs: list[tuple[float, float, float, float]], start_h: float, entry: tuple[float, float] | None,
             flies_on: bool) -> None:
        """Look at every cell within R of each of this step's legs (flown from ``start_h``), at the leg's closest approach.

        A pass is a leg's closest approach to a cell, but where that is the leg's first point and the
        cell lies behind the heading flown in with (the last leg before that moved; ``entry`` for
        the first leg, None after take-off), or its last point and the cell does not lie behind the
        heading flown on with, where the drone flies on (``flies_on`` after the last leg): those are
        the passes of the legs before and after, in this step or another.
        """
        m = self.model
        radius, h, w = m.drone_radius, m.height, m.width
        begins, heading_in, heading_on = [start_h], [], []
        heading = entry
        for k, (ax, ay, bx, by) in enumerate(legs):
            begins.append(begins[-1] + math.hypot(bx - ax, by - ay) / m.drone_speed)
            heading_in.append(heading)
            if (bx, by) != (ax, ay):
                heading = (bx - ax, by - ay)
            heading_on.append(self.heading if k == len(legs) - 1 else heading or (0.0, 0.0))
        for k, (ax, ay, bx, by) in enumerate(legs):
            flies_after = k < len(legs) - 1 or flies_on
            for row in range(max(0, math.floor(min(ay, by) - radius)), min(h - 1, math.floor(max(ay, by) + radius)) + 1):
                for col in range(max(0, math.floor(min(ax, bx) - radius)), min(w - 1, math.floor(max(ax, bx) + radius)) + 1):
                    px, py = col + 0.5, row + 0.5
                    d, share = closest_on_leg(px, py, ax, ay, bx, by)
                    if d > radius:
                        continue
                    before = heading_in[k]
                    if share == 0.0 and before is not None and (px - ax) * before[0] + (py - ay) * before[1] < 0.0:
                        continue  # the leg before's pass
                    if flies_after and (px - bx) * heading_on[k][0] + (py - by) * heading_on[k][1] >= 0.0:
                        continue  # the leg after's pass
                    hour = begins[k] + share * (begins[k + 1] - begins[k])
                    look = m.detect_prob * (1.0 - m.falloff * (d / radius) ** 2)
                    m.drone_looks.setdefault((row, col), []).append((hour, look))


class GroundUnit(FixedAgent):
    """A field unit at its post: sent to a cue, it tries to seize the shipment on arrival."""

    def __init__(self, model: ReferenceModel, post: tuple[float, float]) -> None:
        super().__init__(model)
        self.post = post
        self.cell = model.cell_at(*post)
        self.target: Shipment | None = None
        self.arrive_step = -1
        self.busy_until = -1

    @property
    def idle(self) -> bool:
        """At its post and free to answer a cue: back from its last trip, and that trip's arrival handled."""
        return self.model.steps >= self.busy_until and self.target is None

    def send(self, cue: Cue) -> None:
        """Go for the shipment of ``cue``: travel time by road speed, slowed over rough land on the straight line."""
        m = self.model
        row, col = cue.cell.coordinate
        tx, ty = col + 0.5, row + 0.5
        samples = [i / (LINE_SAMPLES - 1) for i in range(LINE_SAMPLES)]
        rough = sum(
            m.cell_at(self.post[0] + t * (tx - self.post[0]), self.post[1] + t * (ty - self.post[1])).rough for t in samples
        )
        slowdown = 1.0 + (m.scenario["ground.offroad_slowdown"] - 1.0) * rough / LINE_SAMPLES
        hours = m.units.cell_km * math.hypot(tx - self.post[0], ty - self.post[1]) * slowdown / m.scenario["ground.speed_kmh"]
        self.target = cue.shipment  # it sets off as the step ends: there and back at the step ends nearest
        self.arrive_step = m.steps + m.units.step_ends(hours)
        self.busy_until = m.steps + m.units.step_ends(2.0 * hours)

    def step(self) -> None:
        """On arrival, try to seize the target if it is still on its way."""
        if self.target is None or self.model.steps != self.arrive_step:
            return
        target, self.target = self.target, None
        if not target.in_transit:
            return
        target.cued = False
        if self.random.random() < self.model.interdict_prob:
            self.model.seize(target)


class ReferenceModel(mesa.Model):
    """Skywatch's core step as plain Mesa agents, on the world of ``skywatch`` (read before it steps).

    Args:
        skywatch: a built, not yet stepped Skywatch model; its world, routes, checkpoint coverage,
            drone bases and first take-off times, and unit posts are copied.
        seed: seed of the reference's own random draws.
    """

    def __init__(self, skywatch: SkywatchModel, seed: int) -> None:
        super().__init__(rng=seed)
        s = self.scenario = skywatch.scenario
        self.units = u = skywatch.units
        self.height, self.width = skywatch.world.shape
        self.step_hours = u.step_hours
        self.launch_rate = skywatch.cartels[0].launch_rate
        self.interdict_prob = s["ground.interdict_prob"]
        self.drone_radius = u.cells(s["drones.sensor_radius_km"])
        self.drone_speed = u.cells_per_hour(s["drones.speed_kmh"])
        self.endurance_h, self.turnaround_h = s["drones.endurance_h"], s["drones.turnaround_h"]
        self.detect_prob, self.falloff = s["drones.detect_prob"], s["drones.range_falloff"]
        self.launched = self.delivered = self.seized = 0
        self.cues: list[Cue] = []

        self.grid = OrthogonalMooreGrid((self.height, self.width), torus=False, random=self.random)
        self.grid.create_property_layer("hours", dtype=float).data[:] = skywatch.world.cell_hours
        self.grid.create_property_layer("rough", dtype=bool).data[:] = skywatch.world.cover == ROUGH
        self.grid.create_property_layer("checkpoint_cover", dtype=float).data[:] = skywatch.ground.checkpoint_cover
        self.drone_looks: dict[tuple[int, int], list[tuple[float, float]]] = {}  # (row, col) → this step's (hour, look)
        r = skywatch.routes
        self.route_cells = [tuple(self.grid[divmod(int(c), self.width)] for c in r.cells_of(k)) for k in range(r.length.size)]
        for cartel in skywatch.cartels:
            ids = np.flatnonzero(np.isin(r.source, cartel.sources))
            Cartel(self, ids, r.cost[ids], r.source[ids])
        f = skywatch.fleet
        for d in range(f.x.size):
            Drone(self, (float(f.base_x[d]), float(f.base_y[d])), float(f.ground_h[d]), tuple(float(v) for v in f.sector[d]))
        for unit in skywatch.ground.units:
            GroundUnit(self, unit.post)

    def cell_at(self, x: float, y: float) -> Cell:
        """The grid cell holding point (x, y) in cell units (x = column, y = row), clipped to the grid."""
        return self.grid[min(max(int(y), 0), self.height - 1), min(max(int(x), 0), self.width - 1)]

    def step(self) -> None:
        """Launch, fly, move and sense, dispatch, interdict (see the module docstring)."""
        self.agents_by_type[Cartel].shuffle_do("launch")
        self.drone_looks.clear()
        if Drone in self.agents_by_type:
            self.agents_by_type[Drone].shuffle_do("step")
        if Shipment in self.agents_by_type:
            self.agents_by_type[Shipment].shuffle_do("step")
        self.dispatch()
        if GroundUnit in self.agents_by_type:
            self.agents_by_type[GroundUnit].shuffle_do("step")

    def missed_by_looks(self, cell: Cell, entered_h: float, left_h: float) -> float:
        """The chance that every drone look at ``cell`` from ``entered_h`` to before ``left_h`` (hours into the step) missed."""
        missed = 1.0
        for hour, look in self.drone_looks.get(cell.coordinate, ()):
            if entered_h <= hour < left_h:
                missed *= 1.0 - look
        return missed

    def cue(self, shipment: Shipment) -> None:
        """Queue a drone detection of ``shipment`` where it is now."""
        s, u = self.scenario, self.units
        delay_h = s["ground.response_delay_h"] + s["intel.sharing_latency_h"]  # after a sighting in the step's middle:
        ready = u.ready_step(self.steps, 0.5 * self.step_hours, delay_h)  # the step end nearest the delay after it
        self.cues.append(Cue(shipment, shipment.cell, ready, ready + u.steps(s["ground.cue_expiry_h"])))

    def dispatch(self) -> None:
        """Each ready cue in arrival order takes the nearest idle unit within range; unanswered cues lapse at expiry."""
        reach = self.units.cells(self.scenario["ground.max_response_km"])
        idle = [unit for unit in self.agents_by_type.get(GroundUnit, []) if unit.idle]
        waiting = []
        for cue in self.cues:
            if not cue.shipment.in_transit:
                continue
            row, col = cue.cell.coordinate
            distance, nearest = min(((math.hypot(col + 0.5 - unit.post[0], row + 0.5 - unit.post[1]), i)
                                     for i, unit in enumerate(idle)), default=(math.inf, -1))
            if cue.ready_step <= self.steps and distance <= reach:
                idle.pop(nearest).send(cue)
            elif cue.expiry_step <= self.steps:
                cue.shipment.cued = False
            else:
                waiting.append(cue)
        self.cues = waiting

    def seize(self, shipment: Shipment) -> None:
        """Count a seizure and take the shipment off the map."""
        self.seized += 1
        shipment.end()


# --- agreement with Skywatch ---------------------------------------------------------------------

AGREEMENT_WORLD: dict[str, Any] = {"world.height": 96, "world.width": 96, "drones.count": 8, "ground.checkpoints": 4}
OUTCOMES = ("seizure_rate", "delivered")


@dataclass
class Agreement:
    """Both models' samples of one outcome over the seeds, and a Mann-Whitney U test between them."""

    outcome: str
    skywatch: np.ndarray
    reference: np.ndarray
    p_value: float

    @property
    def relative_gap(self) -> float:
        """|mean(reference) - mean(skywatch)| / mean(skywatch)."""
        return abs(self.reference.mean() - self.skywatch.mean()) / self.skywatch.mean()

    def line(self) -> str:
        """One line: the outcome, both means and standard deviations, the test and its p-value."""
        return (f"{self.outcome:<13} skywatch {self.skywatch.mean():9.3f} ± {self.skywatch.std(ddof=1):7.3f}   "
                f"reference {self.reference.mean():9.3f} ± {self.reference.std(ddof=1):7.3f}   "
                f"gap {100 * self.relative_gap:5.1f} %   Mann-Whitney U two-sided p = {self.p_value:.3f}")


def run_pair(overrides: dict[str, Any], seed: int, steps: int) -> tuple[dict[str, float], dict[str, float]]:
    """Run Skywatch and the reference for ``steps`` on the world of ``seed``; each one's outcomes."""
    skywatch = SkywatchModel(Scenario().with_overrides({**MATCHING, **overrides, "run.seed": seed}, "reference"))
    reference = ReferenceModel(skywatch, seed)
    for _ in range(steps):
        skywatch.step()
        reference.step()
    t = skywatch.tally
    return ({"seizure_rate": t.shipments_seized / max(t.shipments_launched, 1), "delivered": t.shipments_delivered},
            {"seizure_rate": reference.seized / max(reference.launched, 1), "delivered": reference.delivered})


def agreement(seeds: range, steps: int, overrides: dict[str, Any] | None = None) -> list[Agreement]:
    """Both models over ``seeds`` (Skywatch with :data:`MATCHING`); a two-sample test per outcome."""
    runs = [run_pair(overrides or AGREEMENT_WORLD, seed, steps) for seed in seeds]
    result = []
    for name in OUTCOMES:
        a = np.array([sky[name] for sky, _ in runs], dtype=float)
        b = np.array([ref[name] for _, ref in runs], dtype=float)
        result.append(Agreement(name, a, b, float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)))
    return result
