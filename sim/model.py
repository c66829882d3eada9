"""The Skywatch model: drones and ground units against cartels moving shipments.

One step, in order:

1. Cartels plan (every planning period: route shifting, encryption and counter-drone levels,
   route choice) and launch this step's shipments; the intelligence cell intercepts some of their
   planning traffic (less as encryption rises) and cues the ground units after a latency.
   Each planning period also brings cartel violence and community programs' effect on trust.
2. Drones fly (patrol policy, return to base, turnaround); inside counter-drone zones they may be
   jammed or lost; the swept footprints of the sensing ones make this step's coverage raster
   (checkpoints' coverage is static).
3. Shipments move along their routes and are sensed in every cell they pass: checkpoint
   detections are interdicted on the spot, drone detections become cues (shared with the
   partner's ground units after a latency, with a sharing fraction), tips from the people
   along the way become cues; arrivals at sinks are delivered and paid.
4. Drones discover cartel infrastructure under their footprints.
5. Cues (drone detections, intercepts, tips) wait out their delay, then the nearest idle ground unit
   within range is sent.
6. Units that reach their target try to interdict it → seizures.
7. Invariants are checked (validating mode) and the step's metrics recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import mesa
import numpy as np

from sim.agents import Cartel, Drone, GroundUnit
from sim.community import Community
from sim.counter_drone import apply_zones, inside_any
from sim.cues import CUE_DRONE, CUE_INTERCEPT, CUE_TIP, CueQueue
from sim.fleet import Fleet
from sim.kernels import flight
from sim.kernels.counter_rng import step_key
from sim.kernels.coverage import clear_coverage, stamp_coverage
from sim.kernels.dispatch import triage_cues
from sim.kernels.movement import (
    EVENT_CHECKPOINT_SEIZURE,
    EVENT_DELIVERED,
    EVENT_DRONE_DETECTION,
    EVENT_TIP,
    IN_TRANSIT,
    LANES,
    advance_shipments,
    joined_events,
)
from sim.preflight import check_world
from sim.routes import RouteTable, plan_routes
from sim.scenario import Scenario
from sim.shipments import ShipmentPool
from sim.streams import split_seed
from sim.units import Units
from sim.world import ROAD, ROUGH, World, build_world

TRACKED_DRONES = 4  # drones whose tracks are kept for the overview figure
LINE_SAMPLES = 32  # points sampled along a unit's straight line to average the terrain


class InvariantError(AssertionError):
    """A model invariant failed in validating mode."""


@dataclass
class Tally:
    """Running totals of one run."""

    launched: int = 0
    delivered: int = 0
    seized: int = 0
    seized_checkpoint: int = 0
    seized_drone_cue: int = 0
    seized_intercept: int = 0
    seized_tip: int = 0
    intercepts: int = 0
    tips: int = 0
    violence_events: int = 0
    civilian_harm: int = 0
    jammed_drone_hours: float = 0.0
    value_delivered: float = 0.0
    value_seized: float = 0.0
    detections: int = 0
    cues_lapsed: int = 0
    drones_lost: int = 0
    drone_flight_hours: float = 0.0
    unit_hours: float = 0.0
    privacy_exposure: float = 0.0
    infrastructure_discovered: int = 0


@dataclass
class AlongRoutes:
    """The shipment kernel's per-cell inputs, gathered at every route position (aligned with ``RouteTable.cells``)."""

    hours: np.ndarray  # float32, hours to cross the cell
    checkpoint: np.ndarray  # float32, checkpoint detection probability per step (static)
    drone: np.ndarray  # float32, drone detection probability this step (refreshed every step)
    tip: np.ndarray  # float32, tip probability per step (refreshed every planning period)
    flow: np.ndarray  # (LANES, positions) int64, shipment-steps carried so far, one row per kernel lane

    def extend(self, other: AlongRoutes) -> AlongRoutes:
        """These positions followed by ``other``'s (for routes appended to the table)."""
        return AlongRoutes(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)], axis=-1) for f in fields(self)))

    def subset(self, positions: np.ndarray) -> AlongRoutes:
        """Only these positions, in this order (for routes kept by :meth:`RouteTable.subset`)."""
        return AlongRoutes(*(getattr(self, f.name)[..., positions] for f in fields(self)))


class SkywatchModel(mesa.Model):
    """Drone surveillance over trafficking routes (see the module docstring for the step order).

    Args:
        scenario: a resolved scenario; its ``run.seed`` seeds every random stream.
    """

    def __init__(self, scenario: Scenario) -> None:
        seed = scenario["run.seed"]
        super().__init__(rng=seed)
        self.scenario = scenario
        self.units = Units.of(scenario)
        children = split_seed(seed)
        self.streams = {name: np.random.default_rng(child) for name, child in children.items()}
        self.kernel_keys = {name: np.uint64(child.generate_state(1, np.uint64)[0]) for name, child in children.items()}

        self.world: World = build_world(scenario, self.streams["world"])
        check_world(scenario, self.world)  # before planning: the checks `skywatch validate` makes
        h, w = self.world.shape
        self.routes: RouteTable = plan_routes(self.world.cell_hours.astype(np.float64), self.world.sources,
                                              self.world.sinks, self.world.corridor, len(self.world.corridor_names))
        self.drone_cover = np.zeros((h, w), dtype=np.float32)
        self.checkpoint_cover = np.zeros((h, w), dtype=np.float32)
        self._drone_touched = np.zeros(h * w, dtype=np.int64)
        self._n_drone_touched = 0

        self.launch_rate = self.units.per_step(scenario["cartels.shipments_per_day"])
        self.pool = ShipmentPool()
        self._events = [np.zeros(0, dtype=np.int64) for _ in range(3)]
        self._lane_events = np.zeros(LANES, dtype=np.int64)
        self.tally = Tally()
        self.corridor_launched = np.zeros(len(self.world.corridor_names), dtype=np.int64)
        self._corridor_launched_step = np.zeros_like(self.corridor_launched)
        self.counter_zones = np.zeros((0, 2))
        self.community = Community(scenario, self.world.population, self.units)
        self.block = max(1, round(self.units.cells(scenario["patrol.grid_km"])))
        self.heat = np.zeros((-(-h // self.block), -(-w // self.block)))  # hotspot patrol: decayed detections + seizures
        self.infra_discovered = np.zeros(self.world.infra_cells.size, dtype=bool)
        self.seizure_cells: list[int] = []
        self.cues = CueQueue()

        for c in range(scenario["cartels.count"]):
            Cartel(self, c, np.flatnonzero(self.world.source_owner == c))
        self.cartels = self.agents_by_type[Cartel]
        self.cartel_of = list(self.cartels)  # by index, the ``owner`` of shipments
        self._make_fleet()
        self._make_ground_units()
        self.along = self._along(self.routes)
        self.routes_planned = int(self.routes.source.size)
        self._retired_flow = np.zeros(self.drone_cover.size, dtype=np.int64)  # flow raster of dropped routes
        self.track: list[np.ndarray] = []

        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())
        self.datacollector.collect(self)

    # --- construction -------------------------------------------------------------------------

    def _make_fleet(self) -> None:
        s, u = self.scenario, self.units
        h, w = self.world.shape
        rng = self.streams["drones"]
        count = s["drones.count"]
        bases = np.column_stack([rng.uniform(0.1 * w, 0.9 * w, s["drones.bases"]), rng.uniform(0.3 * h, 0.9 * h, s["drones.bases"])])
        stagger = rng.uniform(0.0, s["drones.endurance_h"] + s["drones.turnaround_h"], count) if count else np.zeros(0)
        focus = s["drones.focus_corridor"]
        band = (0.0, float(w)) if focus == 0 else (np.flatnonzero(self.world.corridor[0] == focus - 1)[[0, -1]] + [0, 1]).astype(float)
        self.fleet = Fleet.create(bases, count, s["drones.patrol"], (float(band[0]), float(band[1])), h, stagger)
        self.drone_bases = bases
        self.drone_radius = u.cells(s["drones.sensor_radius_km"])
        for i in range(count):
            Drone(self, i)

    def _make_ground_units(self) -> None:
        """Checkpoints (static, always watching) and response units, both on roads."""
        s, rng = self.scenario, self.streams["ground"]
        w = self.world.shape[1]
        roads = np.flatnonzero(self.world.cover.ravel() == ROAD)
        cells = roads if roads.size else np.flatnonzero(np.isfinite(self.world.cell_hours.ravel()))

        def on_roads(count: int) -> np.ndarray:
            rows, cols = np.divmod(rng.choice(cells, size=count, replace=cells.size < count), w)
            return np.column_stack([cols + 0.5, rows + 0.5])

        for x, y in on_roads(s["ground.units"]):
            GroundUnit(self, (float(x), float(y)))
        self.ground_units = self.agents_by_type.get(GroundUnit, mesa.agent.AgentSet([], random=self.random))
        self.checkpoints = on_roads(s["ground.checkpoints"])
        legs = np.repeat(self.checkpoints, 2, axis=1).reshape(-1, 1, 4)[:, :, [0, 2, 1, 3]]
        stamp_coverage(self.checkpoint_cover, np.zeros(self.checkpoint_cover.size, dtype=np.int64), 0, legs,
                       np.ones(len(legs), dtype=np.int64), np.ones(len(legs), dtype=bool),
                       self.units.cells(s["ground.checkpoint_radius_km"]), s["ground.checkpoint_detect_prob"], 0.0,
                       self.world.population)

    def _reporters(self) -> dict:
        t = lambda name: (lambda m: getattr(m.tally, name))
        reporters = {
            "hour": lambda m: m.steps * m.units.step_hours,
            "launched": t("launched"),
            "delivered": t("delivered"),
            "seized": t("seized"),
            "in_transit": lambda m: m.pool.live,
            "detections": t("detections"),
            "seized_checkpoint": t("seized_checkpoint"),
            "seized_drone_cue": t("seized_drone_cue"),
            "value_delivered": t("value_delivered"),
            "value_seized": t("value_seized"),
            "drones_airborne": lambda m: int(m.fleet.airborne.sum()),
            "drones_lost": t("drones_lost"),
            "drone_flight_hours": t("drone_flight_hours"),
            "units_busy": lambda m: sum(1 for u in m.ground_units if not u.idle),
            "cues_waiting": lambda m: len(m.cues),
            "infrastructure_discovered": t("infrastructure_discovered"),
            "privacy_exposure": t("privacy_exposure"),
            "cartel_budget": lambda m: float(sum(c.budget for c in m.cartels)),
            "intercepts": t("intercepts"),
            "tips": t("tips"),
            "seized_tip": t("seized_tip"),
            "violence_events": t("violence_events"),
            "civilian_harm": t("civilian_harm"),
            "trust": lambda m: m.community.mean_trust(),
            "seized_intercept": t("seized_intercept"),
            "encryption_level": lambda m: m.mean_level("encryption"),
            "counter_drone_level": lambda m: m.mean_level("counter_drone"),
            "counter_zones": lambda m: len(m.counter_zones),
            "jammed_drone_hours": t("jammed_drone_hours"),
            "routes_planned": lambda m: m.routes_planned,
        }
        for k, name in enumerate(self.world.corridor_names):
            reporters[f"launched_{name}"] = lambda m, k=k: int(m._corridor_launched_step[k])
        return reporters

    @property
    def flow(self) -> np.ndarray:
        """(H*W,) int64: shipment-steps each cell has carried so far."""
        return self._retired_flow + self._flow_raster(self.routes.cells, self.along.flow.sum(axis=0))

    def _flow_raster(self, cells: np.ndarray, flow: np.ndarray) -> np.ndarray:
        """(H*W,) int64: the flow of the route positions at ``cells`` summed per cell."""
        return np.bincount(cells, weights=flow, minlength=self.drone_cover.size).astype(np.int64)

    # --- the step -----------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one step through the phases listed in the module docstring."""
        self._phase_cartels()
        self._phase_drones()
        self._phase_shipments()
        self._phase_infrastructure()
        self._phase_dispatch()
        self.ground_units.do("step")
        self.tally.unit_hours += len(self.ground_units) * self.units.step_hours
        if self.scenario["run.validate"]:
            self.check_invariants()
        self.datacollector.collect(self)

    def _phase_cartels(self) -> None:
        s = self.scenario
        period = self.units.steps(s["cartels.planning_hours"])
        if (self.steps - 1) % period == 0:
            days = period * self.units.step_hours / 24.0
            self.cartels.do("plan", days)
            self._drop_unused_routes()
            self.counter_zones = np.concatenate([c.zones for c in self.cartels])
            violence = np.concatenate([c.violence_cells for c in self.cartels])
            self.tally.violence_events += violence.size
            self.community.harm(violence, s["community.violence_trust_loss"])
            self.community.grow(days)
            self.along.tip = self.community.tip_probability(self.routes.cells)
        self._corridor_launched_step[:] = 0
        for cartel in self.cartels:
            route_ids = cartel.launch()
            n = route_ids.size
            if n == 0:
                continue
            slots = self.pool.launch(np.full(n, cartel.index), route_ids, np.full(n, s["shipments.value"]),
                                     np.full(n, s["shipments.concealment"]), self.steps)
            self.tally.launched += n
            self._corridor_launched_step += np.bincount(self.routes.corridor[route_ids], minlength=self._corridor_launched_step.size)
            self._intercept(slots, route_ids, cartel.encryption)
        self.corridor_launched += self._corridor_launched_step

    def _intercept(self, slots: np.ndarray, route_ids: np.ndarray, encryption: float) -> None:
        """The intelligence cell intercepts the planning traffic of some new shipments and cues units."""
        s = self.scenario
        hit = self.streams["sensing"].random(slots.size) < s["intel.intercept_prob"] * (1.0 - encryption)
        if not hit.any():
            return
        self.tally.intercepts += int(hit.sum())
        self._cue(slots[hit], self.routes.cells[self.routes.start[route_ids[hit]]], s["intel.latency_h"], CUE_INTERCEPT, shared=True)

    def _cue(self, slots: np.ndarray, cells: np.ndarray, delay_h: float, source: int, shared: bool) -> None:
        """Queue cues at shipments ``slots`` seen at ``cells``, ready for the ground units after ``delay_h``.

        A cue from the surveillance partner (``shared``) reaches the ground partner with the
        sharing fraction and after the sharing latency (shortened by joint task forces).
        """
        s = self.scenario
        if shared:
            if s["intel.sharing_fraction"] < 1.0:
                kept = self.streams["sensing"].random(slots.size) < s["intel.sharing_fraction"]
                self.pool.cued[slots[~kept]] = False
                slots, cells = slots[kept], cells[kept]
            delay_h += s["intel.sharing_latency_h"] * (s["intel.jtf_latency_factor"] if s["intel.joint_task_force"] else 1.0)
        self.pool.cued[slots] = True
        ready = self.steps + (self.units.steps(delay_h) if delay_h > 0 else 0)
        self.cues.append(slot=slots, uid=self.pool.uid[slots], cell=cells, ready_step=ready,
                         expiry_step=ready + self.units.steps(s["ground.cue_expiry_h"]), source=source)

    def add_routes(self, table: RouteTable, sources: np.ndarray) -> np.ndarray:
        """Append routes planned from ``sources`` (indices into ``World.sources``); return their ids.

        Shipments already under way keep the route they set off on (see :meth:`_drop_unused_routes`).
        """
        table.source = sources[table.source]
        self.routes, ids = self.routes.extend(table)
        self.along = self.along.extend(self._along(table))
        self.routes_planned += int(table.source.size)
        return ids

    def _drop_unused_routes(self) -> None:
        """Drop the routes no shipment is on and no cartel launches on, renumbering the rest in order.

        Their flow is kept in the flow raster. Route ids only index the table, so nothing a run
        reports changes; the table stops growing with every re-plan.
        """
        p, routes = self.pool, self.routes
        live = p.status == IN_TRANSIT
        used = np.zeros(routes.source.size, dtype=bool)
        used[p.route[live]] = True
        for cartel in self.cartels:
            used[cartel.route_ids] = True
        if used.all():
            return
        kept = np.flatnonzero(used)
        self.routes, positions = routes.subset(kept)
        dropped = np.ones(routes.cells.size, dtype=bool)
        dropped[positions] = False
        self._retired_flow += self._flow_raster(routes.cells[dropped], self.along.flow.sum(axis=0)[dropped])
        self.along = self.along.subset(positions)
        renumbered = np.full(routes.source.size, -1, dtype=np.int64)
        renumbered[kept] = np.arange(kept.size)
        p.route[live] = renumbered[p.route[live]]
        for cartel in self.cartels:
            cartel.route_ids = renumbered[cartel.route_ids]

    def _along(self, table: RouteTable) -> AlongRoutes:
        """The kernel's inputs at the positions of ``table``'s routes, with no flow yet."""
        return AlongRoutes(hours=table.along(self.world.cell_hours), checkpoint=table.along(self.checkpoint_cover),
                           drone=table.along(self.drone_cover), tip=self.community.tip_probability(table.cells),
                           flow=np.zeros((LANES, table.cells.size), dtype=np.int64))

    def mean_level(self, name: str) -> float:
        """Mean over cartels of an adaptation level (``encryption`` or ``counter_drone``)."""
        return float(np.mean([getattr(c, name) for c in self.cartels]))

    def _phase_drones(self) -> None:
        s, u, f = self.scenario, self.units, self.fleet
        flat_drone = self.drone_cover.reshape(-1)
        clear_coverage(flat_drone, self._drone_touched, self._n_drone_touched)
        self._n_drone_touched = 0
        if f.x.size:
            key = self._step_key("drones")
            self.tally.drone_flight_hours += flight.fly_drones(
                f.x, f.y, f.wx, f.wy, f.state, f.airborne_h, f.ground_h, f.base_x, f.base_y, f.sector, f.lane, f.leg,
                Fleet.policy_code(s["drones.patrol"]), 2.0 * self.drone_radius, u.cells_per_hour(s["drones.speed_kmh"]),
                s["drones.endurance_h"], s["drones.turnaround_h"], u.step_hours, key, f.legs, f.leg_count,
                self._patrol_cdf() if s["drones.patrol"] in ("hotspot", "intel") else np.zeros(0), self.heat.shape[1], float(self.block))
            if len(self.counter_zones):
                effects = apply_zones(f, self.counter_zones, u.cells(s["counter.radius_km"]), s["counter.jam_rate_per_h"],
                                      u.steps(s["counter.jam_hours"]), s["counter.loss_hazard_per_h"], u.step_hours, self.steps,
                                      self.streams["drones"])
                self.tally.drones_lost += effects.lost
                self.tally.jammed_drone_hours += effects.jammed_hours
            self._n_drone_touched, exposed = stamp_coverage(
                self.drone_cover, self._drone_touched, 0, f.legs, f.leg_count, f.sensing(self.steps),
                self.drone_radius, s["drones.detect_prob"], s["drones.range_falloff"], self.world.population)
            self.tally.privacy_exposure += exposed * u.step_hours
            np.take(self.drone_cover.reshape(-1), self.routes.cells, out=self.along.drone)
            self.track.append(np.column_stack([f.x[:TRACKED_DRONES], f.y[:TRACKED_DRONES]]))

    def _phase_shipments(self) -> None:
        p, r, s, a = self.pool, self.routes, self.scenario, self.along
        if self._events[0].size != p.capacity:  # one event at most per shipment
            self._events = [np.zeros(p.capacity, dtype=np.int64) for _ in range(3)]
        advance_shipments(
            p.status, p.uid, p.route, p.progress, p.carry_h, p.concealment, p.cued,
            r.start, r.length, r.cells, a.hours, self.units.step_hours, a.drone, a.checkpoint, a.tip, s["ground.interdict_prob"],
            self._step_key("sensing"), self._step_key("ground"), self._step_key("community"), a.flow, *self._events,
            self._lane_events)
        slot, kind, cell = joined_events(self._events, self._lane_events)
        delivered = slot[kind == EVENT_DELIVERED]
        seized = slot[kind == EVENT_CHECKPOINT_SEIZURE]
        detected = kind == EVENT_DRONE_DETECTION
        for cartel in self.cartels:
            cartel.earn(float(p.value[delivered][p.owner[delivered] == cartel.index].sum()))
        self.tally.delivered += delivered.size
        self.tally.value_delivered += float(p.value[delivered].sum())
        self._record_seizures(seized, cell[kind == EVENT_CHECKPOINT_SEIZURE])
        self.tally.seized_checkpoint += seized.size
        p.release(np.concatenate([delivered, seized]))
        self.tally.detections += int(detected.sum())
        for cartel in self.cartels:
            spotted = cell[detected][p.owner[slot[detected]] == cartel.index]
            cartel.sightings += spotted.size
            cartel.risk.add(spotted, s["cartels.sighting_weight"], self.steps)
        tipped = kind == EVENT_TIP
        self.tally.tips += int(tipped.sum())
        self._cue(slot[detected], cell[detected], s["ground.response_delay_h"], CUE_DRONE, shared=True)
        self._cue(slot[tipped], cell[tipped], s["ground.response_delay_h"], CUE_TIP, shared=False)
        if s["drones.patrol"] == "hotspot":
            self.heat *= np.exp(-self.units.step_hours / s["patrol.memory_h"])
            self._add_heat(cell[detected])

    def _block_of(self, cells: np.ndarray) -> np.ndarray:
        """Flat index of the patrol block holding each flat cell."""
        w = self.world.shape[1]
        return (cells // w) // self.block * self.heat.shape[1] + (cells % w) // self.block

    def _add_heat(self, cells: np.ndarray) -> None:
        self.heat.reshape(-1)[:] += np.bincount(self._block_of(cells), minlength=self.heat.size)

    def _patrol_cdf(self) -> np.ndarray:
        """Cumulative waypoint weights over the patrol blocks (hotspot: heat; intel: live intercept and tip cues).

        Mixed with a uniform share ``patrol.explore``; blocks inside known counter-drone zones get no
        weight when ``patrol.avoid_zones``. All zero weights mean a uniform draw (random search).
        """
        s, q = self.scenario, self.cues
        if s["drones.patrol"] == "intel":
            pointed = q.cell[q.source != CUE_DRONE]
            weight = np.bincount(self._block_of(pointed), minlength=self.heat.size).astype(np.float64)
        else:
            weight = self.heat.reshape(-1).copy()
        if weight.sum() > 0:
            weight = (1.0 - s["patrol.explore"]) * weight / weight.sum() + s["patrol.explore"] / weight.size
        if s["patrol.avoid_zones"] and len(self.counter_zones):
            rows, cols = np.divmod(np.arange(weight.size), self.heat.shape[1])
            centres = np.column_stack([(cols + 0.5) * self.block, (rows + 0.5) * self.block])
            weight[inside_any(centres[:, 0], centres[:, 1], self.counter_zones, self.units.cells(s["counter.radius_km"]))] = 0.0
        return np.cumsum(weight)

    def _record_seizures(self, slots: np.ndarray, cells: np.ndarray) -> None:
        """Count seizures and teach each owner where it lost them."""
        self.tally.seized += slots.size
        self.tally.value_seized += float(self.pool.value[slots].sum())
        self.seizure_cells.extend(np.asarray(cells, dtype=np.int64).tolist())
        for cartel in self.cartels:
            lost = cells[self.pool.owner[slots] == cartel.index]
            cartel.risk.add(lost, 1.0, self.steps)
            cartel.seized_period += lost.size
        if self.scenario["drones.patrol"] == "hotspot":
            self._add_heat(np.asarray(cells, dtype=np.int64))

    def _phase_infrastructure(self) -> None:
        remaining = np.flatnonzero(~self.infra_discovered)
        if remaining.size == 0 or self._n_drone_touched == 0:
            return
        p = self.drone_cover.reshape(-1)[self.world.infra_cells[remaining]] * self.scenario["drones.infra_detect_prob"]
        found = remaining[self.streams["drones"].random(remaining.size) < p]
        self.infra_discovered[found] = True
        self.tally.infrastructure_discovered += found.size

    def _phase_dispatch(self) -> None:
        """Send the nearest idle unit in range to each ready cue, first come first served."""
        s, u, p, q = self.scenario, self.units, self.pool, self.cues
        if len(q) == 0:
            return
        idle = [unit for unit in self.ground_units if unit.idle]
        posts = np.array([unit.post for unit in idle], dtype=np.float64).reshape(-1, 2)
        w = self.world.shape[1]
        sent, lapsed, stale = triage_cues(q.slot, q.uid, q.cell, q.ready_step, q.expiry_step, p.status, p.uid, self.steps, w,
                                          posts, u.cells(s["ground.max_response_km"]))
        for cue in np.flatnonzero(sent >= 0):
            unit = idle[sent[cue]]
            target = np.array([q.cell[cue] % w + 0.5, q.cell[cue] // w + 0.5])
            distance = float(np.hypot(*(target - posts[sent[cue]])))
            hours = u.cell_km * distance * self._terrain_factor(unit.post, target) / s["ground.speed_kmh"]
            unit.dispatch(int(q.slot[cue]), int(q.uid[cue]), int(q.source[cue]), u.steps(hours))
        p.cued[q.slot[lapsed]] = False
        self.tally.cues_lapsed += int(lapsed.sum())
        q.keep((sent < 0) & ~lapsed & ~stale)

    def _terrain_factor(self, start: tuple[float, float], end: np.ndarray) -> float:
        """How much slower than its road speed a unit crosses the straight line start → end."""
        t = np.linspace(0.0, 1.0, LINE_SAMPLES)
        cols = np.clip((start[0] + t * (end[0] - start[0])).astype(int), 0, self.world.shape[1] - 1)
        rows = np.clip((start[1] + t * (end[1] - start[1])).astype(int), 0, self.world.shape[0] - 1)
        rough = self.world.cover[rows, cols] == ROUGH
        return 1.0 + (self.scenario["ground.offroad_slowdown"] - 1.0) * float(rough.mean())

    def _step_key(self, stream: str) -> np.uint64:
        """The key of this step's counter-based draws in ``stream``."""
        return np.uint64(step_key(self.kernel_keys[stream], self.steps))

    def _still_target(self, slot: int, uid: int) -> bool:
        return bool(self.pool.status[slot] == IN_TRANSIT and self.pool.uid[slot] == uid)

    def interdict(self, slot: int, uid: int, source: int) -> None:
        """A unit cued by ``source`` reaches shipment (slot, uid): seize it with the interdiction probability."""
        if not self._still_target(slot, uid):
            return
        self.pool.cued[slot] = False
        if self.streams["ground"].random() >= self.scenario["ground.interdict_prob"]:
            return
        r = self.routes
        route = self.pool.route[slot]
        cell = r.cells[r.start[route] + self.pool.progress[slot]]
        slots = np.array([slot])
        self._record_seizures(slots, np.array([cell]))
        if self.streams["community"].random() < self.scenario["community.civilian_harm_prob"]:
            self.tally.civilian_harm += 1
            self.community.harm(np.array([cell]), self.scenario["community.harm_trust_loss"])
        if source == CUE_TIP:
            self.tally.seized_tip += 1
        elif source == CUE_INTERCEPT:
            self.tally.seized_intercept += 1
            self.cartel_of[int(self.pool.owner[slot])].intercept_loss += float(self.pool.value[slot])
        else:
            self.tally.seized_drone_cue += 1
        self.pool.release(slots)

    # --- checks -------------------------------------------------------------------------------

    def check_invariants(self) -> None:
        """Raise :class:`InvariantError` if the state is inconsistent (validating mode)."""
        t, p = self.tally, self.pool
        live = p.status == IN_TRANSIT
        if t.launched != t.delivered + t.seized + p.live or live.sum() != p.live:
            raise InvariantError(f"step {self.steps}: launched {t.launched} != delivered {t.delivered} + seized {t.seized} + in transit {p.live}")
        if t.seized != t.seized_checkpoint + t.seized_drone_cue + t.seized_intercept + t.seized_tip:
            raise InvariantError(f"step {self.steps}: seizures by source do not add up")
        routes = p.route[live]
        if np.any(p.progress[live] < 0) or np.any(p.progress[live] >= self.routes.length[routes]):
            raise InvariantError(f"step {self.steps}: a shipment is off its route")
        f = self.fleet
        if len(self.agents_by_type.get(Drone, [])) != f.x.size or int((f.state == flight.LOST).sum()) != t.drones_lost:
            raise InvariantError(f"step {self.steps}: drones created or lost silently")
        h, w = self.world.shape
        if np.any((f.x < 0) | (f.x > w) | (f.y < 0) | (f.y > h)):
            raise InvariantError(f"step {self.steps}: a drone left the raster")
        if np.any(f.airborne_h < -1e-6):
            raise InvariantError(f"step {self.steps}: a drone flew past its endurance")
        for cover in (self.drone_cover, self.checkpoint_cover):
            if cover.min() < 0.0 or cover.max() > 1.0:
                raise InvariantError(f"step {self.steps}: coverage outside [0, 1]")
