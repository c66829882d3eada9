"""Phase 4: shipments move along their routes and are sensed in every cell they pass.

Checkpoint detections are interdicted on the spot; drone detections become cues (shared with the
partner's ground units after a latency, with a sharing fraction) and sightings the cartels
remember; tips from the people along the way become cues; arrivals at the ports of entry and the
open border are inspected there (:mod:`sim.ports`): seized at the crossing, or delivered and paid.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.agents import Cartel
from sim.cues import CUE_DRONE, CUE_TIP
from sim.intel import IntelCell
from sim.kernels.layout import launch_order, route_order
from sim.kernels.movement import (
    EVENT_CHECKPOINT_SEIZURE,
    EVENT_DELIVERED,
    EVENT_DRONE_DETECTION,
    EVENT_REPORT,
    EVENT_TIP,
    IN_TRANSIT,
    LANES,
    PARALLEL_SLOTS,
    advance_shipments,
    count_cover_before,
    joined_events,
    walk_tables,
)
from sim.params import Params
from sim.patrol import PatrolMemory
from sim.phases import InvariantError, StepTimer
from sim.phases.air import AirSurveillance
from sim.ports import BorderControl
from sim.routebook import RouteBook
from sim.seizures import Seizures
from sim.shipments import ShipmentPool
from sim.streams import RandomStreams
from sim.units import Units

EVENT_COLUMNS = 3  # slot, kind and cell of each event the kernel reports
KERNEL_TIME = "shipments.kernel"  # the timer's name for the seconds of the numba kernel inside this phase
MOVED_COUNT = "shipments.moved"  # the timer's name for the shipment-steps the kernel moved
# At most every REGROUP_STEPS steps a pool with at least REGROUP_LIVE shipments in transit is regrouped along the routes
# (:meth:`sim.shipments.ShipmentPool.regroup`): the kernel then reads each route's tables in order. Launches take the
# slots of ended shipments, anywhere in the pool; they read the first positions of their routes, which stay in cache,
# so the order that matters decays slowly. At the grid centre of run_scale.py a regrouping costs about half a kernel
# step. The full step there, periods taking turns on one model (median ms): with launches at the routes' starts (as
# the cartels launch) 16 and 8 within 3% of each other and 4 slower by 4-20%; with run_scale.py's top-ups (new
# shipments anywhere along their routes, which scatters the order fast) 8 faster than 16 by 1-9% in three runs.
# Smaller pools fit the caches as they are. Results do not depend on it.
REGROUP_STEPS = 8
REGROUP_LIVE = PARALLEL_SLOTS


class ShipmentPhase:
    """Movement, sensing, deliveries and checkpoint seizures of every live shipment.

    Args:
        params: the scenario's typed parameters.
        units: the run's unit conversions.
        pool: the shipments.
        book: the route book (routes and the kernel's inputs along them).
        streams: the run's random streams (the kernel's counter-based keys).
        tally: the run's totals.
        cartels: the cartels, by index (paid for deliveries; they remember sightings).
        seizures: where seizures are recorded.
        intel: the intelligence cell (cues from detections and tips).
        patrol: the patrols' memory (hotspot patrols aim where detections happen).
        air: the air phase (how conspicuous the platforms flying are: the weight of a sighting).
        border: inspections at the ports of entry and detection on the open border.
        timer: times the kernel when enabled.
    """

    name = "shipments"

    def __init__(self, params: Params, units: Units, pool: ShipmentPool, book: RouteBook, streams: RandomStreams, tally: Any,
                 cartels: Sequence[Cartel], seizures: Seizures, intel: IntelCell, patrol: PatrolMemory, air: AirSurveillance,
                 border: BorderControl, timer: StepTimer) -> None:
        self.p, self.units, self.pool, self.book, self.streams, self.tally = params, units, pool, book, streams, tally
        self.cartels, self.seizures, self.intel, self.patrol, self.air, self.timer = cartels, seizures, intel, patrol, air, timer
        self.border = border
        self._events = [np.zeros(0, dtype=np.int64) for _ in range(EVENT_COLUMNS)]
        self._lane_events = np.zeros(LANES, dtype=np.int64)
        self._cover_before = np.zeros(1, dtype=np.int64)
        self._regrouped = -REGROUP_STEPS  # the step the pool was last regrouped
        self._walk_hours: np.ndarray | None = None  # the route hours the walk tables were filled for
        self._reach, self._stride = np.zeros(0), np.zeros(0, dtype=np.int32)

    def step(self, now: int) -> None:
        """Move every live shipment one step and handle what happened to it."""
        p, r, a = self.pool, self.book.routes, self.book.along
        if p.live >= REGROUP_LIVE and now >= self._regrouped + REGROUP_STEPS:
            p.regroup(route_order(p.status, p.route, p.progress, r.start, a.hours.size))
            self._regrouped = now
        if self._events[0].size != p.capacity:  # one event at most per shipment
            self._events = [np.zeros(p.capacity, dtype=np.int64) for _ in range(EVENT_COLUMNS)]
        if self.timer.enabled:
            self.timer.add(MOVED_COUNT, p.live)
        started = time.perf_counter() if self.timer.enabled else 0.0
        advance_shipments(*self.kernel_inputs(now), a.flow_marks, *self._events, self._lane_events)
        if self.timer.enabled:
            self.timer.add(KERNEL_TIME, time.perf_counter() - started)
        slot, kind, cell = joined_events(self._events, self._lane_events)
        if slot.size > 1:  # in launch order, wherever the shipments sit in the pool
            launched = launch_order(p.uid[slot])
            slot, kind, cell = slot[launched], kind[launched], cell[launched]
        if slot.size:  # a step with nothing reported (a third of a small run's) only lets the patrols' memory fade
            self._settle(slot, kind, cell, now)
        self.patrol.decay()
        self.patrol.add(cell[(kind & EVENT_REPORT) == EVENT_DRONE_DETECTION])

    def kernel_inputs(self, now: int) -> tuple:
        """The arguments of :func:`sim.kernels.movement.advance_shipments` at step ``now``, up to its outputs.

        Everything the kernel reads (the pool's columns it also writes among them), the cover count
        filled afresh from this step's looks.
        """
        p, r, a = self.pool, self.book.routes, self.book.along
        if self._cover_before.size != a.drone.size + 1:
            self._cover_before = np.zeros(a.drone.size + 1, dtype=np.int64)
        count_cover_before(a.drone, a.checkpoint_passage, self._cover_before)
        return (p.status, p.uid, p.route, p.progress, p.carry_h, p.concealment, self._unsensed(), r.start, r.length,
                r.cells, a.hours, *self._walk_tables(), self.units.step_hours, a.drone, a.drone_looks,
                a.checkpoint_passage, self._cover_before, a.tip_per_h, a.tip_before, self.p.ground.interdict_prob,
                self.streams.step_key("drone_detection", now), self.streams.step_key("checkpoint_search", now),
                self.streams.step_key("tip", now))

    def _settle(self, slot: np.ndarray, kind: np.ndarray, cell: np.ndarray, now: int) -> None:
        """Deliver, seize and cue after the events (slot, kind, flat cell) the kernel reported at step ``now``."""
        p, r = self.pool, self.book.routes
        arrived = (kind & EVENT_DELIVERED) != 0
        report = kind & EVENT_REPORT  # an arrival carries the report made of it on its way in, if any
        arrived_slot = slot[arrived]
        caught = self.border.cross(p.uid[arrived_slot], r.sink[p.route[arrived_slot]], now)
        delivered, seized_crossing = arrived_slot[~caught], arrived_slot[caught]
        at_checkpoint = kind == EVENT_CHECKPOINT_SEIZURE
        seized = slot[at_checkpoint]
        detected = report == EVENT_DRONE_DETECTION
        detected_slot, detected_cell = slot[detected], cell[detected]
        delivered_value, delivered_owner = p.value[delivered], p.owner[delivered]
        for cartel in self.cartels:
            cartel.earn(float(delivered_value[delivered_owner == cartel.index].sum()))
        self.tally.shipments_delivered += delivered.size
        self.tally.value_delivered += float(delivered_value.sum())
        self.seizures.record(seized, cell[at_checkpoint], now)
        self.tally.seized_at_checkpoint += seized.size
        self.seizures.record(seized_crossing, cell[arrived][caught], now)
        ended = np.concatenate([delivered, seized, seized_crossing])
        self.intel.ended(ended)
        p.release(ended)
        self.tally.detections += detected_slot.size
        detected_owner = p.owner[detected_slot]
        for cartel in self.cartels:
            cartel.learn_sightings(detected_cell[detected_owner == cartel.index], now, self.air.conspicuousness)
        tipped = report == EVENT_TIP
        self.tally.tips += int(tipped.sum())
        delay_h = self.p.ground.response_delay_h
        en_route = ~arrived  # a shipment delivered as it was seen leaves nothing for the units to answer
        for reported, source, shared in ((detected & en_route, CUE_DRONE, True), (tipped & en_route, CUE_TIP, False)):
            self.intel.cue(slot[reported], cell[reported], delay_h, source, shared=shared, now=now)

    def _walk_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """The kernel's walk tables (:func:`sim.kernels.movement.walk_tables`), refilled when the routes changed."""
        a, r = self.book.along, self.book.routes
        if self._walk_hours is not a.hours:  # the book replaces the hours whenever it adds or drops routes
            self._reach, self._stride = np.empty(a.hours.size), np.empty(a.hours.size, dtype=np.int32)
            walk_tables(a.hours, r.start, r.length, self.units.step_hours, self._reach, self._stride)
            self._walk_hours = a.hours
        return self._reach, self._stride

    def _unsensed(self) -> np.ndarray:
        """(capacity,) bool: shipments the sensors pass over this step; the kernel marks the ones it reports.

        Without fusion, those with a cue waiting or answered (the pool's own ``cued``); with fusion
        (:mod:`sim.fusion`), only those a unit is on its way to (a copy, so ``pursued`` stays exact).
        """
        return self.pool.pursued.copy() if self.p.intel.fusion else self.pool.cued

    def check(self, now: int) -> None:
        """Launched = delivered + seized + in transit; seizures by source and deliveries by crossing add up; live on route."""
        t, p = self.tally, self.pool
        live = p.status == IN_TRANSIT
        if t.shipments_launched != t.shipments_delivered + t.shipments_seized + p.live or live.sum() != p.live:
            raise InvariantError(f"step {now}: launched {t.shipments_launched} != delivered {t.shipments_delivered} "
                                 f"+ seized {t.shipments_seized} + in transit {p.live}")
        if t.shipments_seized != (t.seized_at_checkpoint + t.seized_by_drone_cue + t.seized_by_intercept + t.seized_by_tip
                                  + t.seized_at_ports + t.seized_open_border):
            raise InvariantError(f"step {now}: seizures by source do not add up")
        if t.shipments_delivered != t.delivered_via_ports + t.delivered_open_border:
            raise InvariantError(f"step {now}: deliveries through the ports and the open border do not add up")
        progress = p.progress[live]
        if np.any(progress < 0) or np.any(progress >= self.book.routes.length[p.route[live]]):
            raise InvariantError(f"step {now}: a shipment is off its route")
