"""Shipments move along their routes and are sensed in every cell they pass."""

import numpy as np
from numba import njit

from sim.kernels.claims import take_ticket
from sim.kernels.counter_rng import uniform
from sim.kernels.threads import MAX_THREADS, CoreLoad, MeasuredThreads, thread_count

# The shipment slots are split into this many contiguous lanes. Each thread makes one call into compiled code
# (which releases the GIL) and there takes the next lane not yet taken, by an atomic ticket
# (:func:`sim.kernels.claims.take_ticket`), as soon as it has finished the last: a thread on a core that other
# work keeps busy takes fewer lanes; when the caller alone has lately been faster, it runs them all
# (:class:`sim.kernels.threads.MeasuredThreads`). Each lane writes its own stretch of the event arrays and each
# thread its own row of flow marks (integer counts, summed over the rows), so no two threads write the same
# memory, and the results depend neither on the number of lanes nor on the number of threads, nor on which
# thread ran which lane.
LANES_PER_THREAD = 64
LANES = LANES_PER_THREAD * MAX_THREADS
FLOW_ROWS = MAX_THREADS  # one row of route flow per thread
PARALLEL_SLOTS = 32_768  # below this many slots one lane holds them all, run in the calling thread: waking threads costs more
# The lanes on every thread, or in the caller alone when that has been faster or other work holds the other cores.
LANE_THREADS = MeasuredThreads(load=CoreLoad())

# Shipment status codes (uint8).
FREE = 0
IN_TRANSIT = 1

# A shipment's walk along its route compares the hours reached from the route's first position (float64 sums of
# the crossing times) instead of banking cell by cell, starting from the position it would reach with exactly one
# step's hours banked (it carries no less). Its stop and the hours it carries are the cell-by-cell walk's whenever
# every figure involved is a whole multiple of REACH_GRID_H from 0 to below REACH_LIMIT_H: float64 sums of those
# are exact (2^52 grid units). Every float32 crossing time of at least 2^-7 h (28 s) is such a multiple; the hours
# carried stay multiples when the step's hours are one. Routes or shipments outside this bank cell by cell.
REACH_GRID_H = 2.0**-30  # hours
REACH_LIMIT_H = 2.0**22  # hours

# Event kinds written by :func:`advance_shipments`. EVENT_DELIVERED is a flag: a shipment that reaches its route's end
# carries the report made of it in that step, if any (EVENT_DELIVERED | EVENT_DRONE_DETECTION or | EVENT_TIP).
EVENT_DRONE_DETECTION = 1
EVENT_CHECKPOINT_SEIZURE = 2
EVENT_TIP = 3
EVENT_DELIVERED = 4
EVENT_REPORT = 3  # the bits of a kind that say which report, if any


def advance_shipments(
    status: np.ndarray,
    uid: np.ndarray,
    route: np.ndarray,
    progress: np.ndarray,
    carry_h: np.ndarray,
    concealment: np.ndarray,
    cued: np.ndarray,
    route_start: np.ndarray,
    route_len: np.ndarray,
    route_cells: np.ndarray,
    route_hours: np.ndarray,
    route_reach: np.ndarray,
    route_stride: np.ndarray,
    step_hours: float,
    route_drone: np.ndarray,
    route_looks: np.ndarray,
    route_checkpoint: np.ndarray,
    cover_before: np.ndarray,
    tip_per_h: np.ndarray,
    tip_before: np.ndarray,
    interdict_prob: float,
    drone_key: np.uint64,
    checkpoint_key: np.uint64,
    tip_key: np.uint64,
    flow_marks: np.ndarray,
    event_slot: np.ndarray,
    event_kind: np.ndarray,
    event_cell: np.ndarray,
    lane_events: np.ndarray,
) -> None:
    """Move every live shipment one step and sense it along the cells it passes.

    A shipment banks ``step_hours`` and enters the next cell of its route while the bank pays
    that cell's crossing time. In each cell it occupies during the step it meets the drone
    coverage there; a drone's look counts where the shipment is at the hour of the look (a look is
    one pass, in the step of its closest approach), and the looks it was there for detect it with
    probability ``(1 - prod(1 - look)) * (1 - concealment)`` (one draw per step), an event the
    ground units answer later (see :func:`looks_while_there` for a cell looked at more than once in
    a step). A checkpoint looks once at each
    passage through its radius (the passages begun in the step, or at setting off), detects with
    its cover times ``1 - concealment`` and interdicts on the spot with ``interdict_prob``: one draw
    per step, against one minus the chance that every passage let it through. A shipment not seen by a
    drone may be reported by the people living along the way (a tip): with probability
    ``1 - exp(-H)``, concealment applied, where H sums ``tip_per_h`` over the hours it spent in each
    cell during the step (read from ``tip_before``, so the same per hour at any step length). A
    shipment already cued is not detected or reported again until its cue is resolved. A shipment
    that reaches its route's end is sensed over the cells it passed on the way (up to arriving) and
    delivered: its event is EVENT_DELIVERED with the report's kind, if any, in its low bits.

    Every per-cell input is route-aligned (gathered at ``route_cells``), so a shipment reads
    contiguous memory along its route instead of scattering over the raster. Three things are done
    per shipment rather than per cell it passes: where it stops is found from the hours reached
    along its route, from the position one step's hours reach (:func:`walk_tables`; cell by cell
    where those sums may round, see :data:`REACH_GRID_H`); its flow is two marks, at the first
    position it occupies and after the last (:func:`flow_from_marks` sums them along each route);
    and the cover is read cell by cell only when ``cover_before`` says some position it passed has any.

    Args:
        status: (N,) uint8, FREE or IN_TRANSIT; set to FREE on delivery or seizure.
        uid: (N,) int64, unique shipment id (the counter of its random draws).
        route: (N,) int32, route index.
        progress: (N,) int32, index of the current cell within the route.
        carry_h: (N,) float32, hours banked towards the next cell.
        concealment: (N,) float32 in [0, 1).
        cued: (N,) bool, a drone detection is awaiting a ground response.
        route_start, route_len: (R,) int64, offset and length of each route in ``route_cells``.
        route_cells: (sum L,) int64, flat raster cell of every route position.
        route_hours: (sum L,) float32, hours to cross the cell at each route position.
        route_reach, route_stride: (sum L,) float64 and int32 from :func:`walk_tables` for these routes and ``step_hours``.
        step_hours: hours per step.
        route_drone: (sum L,) float32, the drones' looks there this step, combined (>= 0).
        route_looks: (4, sum L) float32, the hour into the step of the first of those looks and its probability,
            then the same of the last (:func:`sim.kernels.coverage.stamp_coverage`).
        route_checkpoint: (sum L,) float32, detection probability of a passage by a checkpoint, at the
            passage's first position and 0 elsewhere (:func:`checkpoint_passages`): one look per passage.
        cover_before: (sum L + 1,) int64, number of positions before each one with drone or checkpoint
            cover (:func:`count_cover_before`).
        tip_per_h: (sum L,) float64, rate (1/h) at which a shipment there is reported.
        tip_before: (sum L,) float64, :func:`tip_hazard_before` of ``tip_per_h`` and ``route_hours``.
        interdict_prob: probability a checkpoint detection ends in a seizure.
        drone_key, checkpoint_key, tip_key: uint64 keys of this step's draws for each source.
        flow_marks: (:data:`FLOW_ROWS`, sum L) int64, in the row of the thread that ran a lane, +1 at the
            first route position a shipment of that lane occupies in a step and -1 after the last one (none
            past its route's end): :func:`flow_from_marks` turns them into shipment-steps per position.
        event_slot, event_kind, event_cell: (N,) int64 outputs, one row per event: the events of
            lane ``j`` start at slot :func:`lane_start` ``(j)``, in slot order.
        lane_events: (:data:`LANES`,) int64 output, number of events each lane wrote.
    """
    n = status.shape[0]
    args = (status, uid, route, progress, carry_h, concealment, cued, route_start, route_len, route_cells, route_hours,
            route_reach, route_stride, step_hours, route_drone, route_looks, route_checkpoint, cover_before, tip_per_h,
            tip_before, interdict_prob, drone_key, checkpoint_key, tip_key)
    if n >= PARALLEL_SLOTS:
        tickets = np.zeros(1, dtype=np.int64)

        def lanes(_task: int, thread: int) -> None:
            if tickets[0] < lane_events.size:  # none left (the caller alone took them all): skip the kernel's dispatch
                _advance_lanes(tickets, thread, *args, flow_marks, event_slot, event_kind, event_cell, lane_events)

        LANE_THREADS.run(thread_count(), lanes, units=n)
    else:  # every slot in lane 0, whose events start at slot 0 either way
        lane_events[:] = 0
        lane_events[0] = _advance_lane(0, n, *args, flow_marks[0], event_slot, event_kind, event_cell)


@njit(cache=True, inline="always")
def on_reach_grid(hours: float) -> bool:
    """Whether ``hours`` is a whole multiple of :data:`REACH_GRID_H` from 0 to below :data:`REACH_LIMIT_H` (sums exact)."""
    units = hours / REACH_GRID_H
    return 0.0 <= hours < REACH_LIMIT_H and units == np.floor(units)


@njit(cache=True)
def walk_tables(route_hours: np.ndarray, route_start: np.ndarray, route_len: np.ndarray, step_hours: float, reach: np.ndarray,
                stride: np.ndarray) -> None:
    """Fill the tables of :func:`advance_shipments`' walk along each route.

    Args:
        route_hours: (sum L,) float32, hours to cross the cell at each route position.
        route_start, route_len: (R,) int64, offset and length of each route.
        step_hours: hours per step.
        reach: (sum L,) float64 output, hours from the route's first position to entering each one.
        stride: (sum L,) int32 output, positions a shipment passes from each one with exactly ``step_hours``
            banked; -1 along the routes where the sums may round (see :data:`REACH_GRID_H`): banked cell by cell.
    """
    exact_step = on_reach_grid(step_hours)
    for r in range(route_start.size):
        first, last = route_start[r], route_start[r] + route_len[r] - 1
        exact = exact_step
        reach[first] = 0.0
        for q in range(first + 1, last + 1):
            exact = exact and on_reach_grid(route_hours[q])
            reach[q] = reach[q - 1] + route_hours[q]
        if not (exact and reach[last] < REACH_LIMIT_H):
            stride[first:last + 1] = -1
            continue
        q = first
        for p in range(first, last + 1):
            q = max(q, p)
            while q < last and reach[q + 1] <= reach[p] + step_hours:
                q += 1
            stride[p] = q - p


@njit(cache=True)
def lane_start(lane: int, lanes: int, n: int) -> int:
    """First slot of ``lane`` when ``n`` slots are split into ``lanes`` contiguous lanes."""
    return lane * n // lanes


@njit(cache=True, nogil=True)
def _advance_lanes(tickets, thread, status, uid, route, progress, carry_h, concealment, cued, route_start, route_len,
                   route_cells, route_hours, route_reach, route_stride, step_hours, route_drone, route_looks, route_checkpoint,
                   cover_before, tip_per_h, tip_before, interdict_prob, drone_key, checkpoint_key, tip_key, flow_marks,
                   event_slot, event_kind, event_cell, lane_events):
    """:func:`_advance_lane` over every lane not yet taken from ``tickets``, on this ``thread`` (its row of flow marks)."""
    n, lanes = status.shape[0], lane_events.size
    while True:
        lane = take_ticket(tickets)
        if lane >= lanes:
            return
        first = lane_start(lane, lanes, n)
        lane_events[lane] = _advance_lane(
            first, lane_start(lane + 1, lanes, n), status, uid, route, progress, carry_h, concealment, cued, route_start,
            route_len, route_cells, route_hours, route_reach, route_stride, step_hours, route_drone, route_looks,
            route_checkpoint, cover_before, tip_per_h, tip_before, interdict_prob, drone_key, checkpoint_key, tip_key,
            flow_marks[thread], event_slot, event_kind, event_cell)


@njit(cache=True, nogil=True)
def _advance_lane(first, stop, status, uid, route, progress, carry_h, concealment, cued, route_start, route_len,
                  route_cells, route_hours, route_reach, route_stride, step_hours, route_drone, route_looks, route_checkpoint,
                  cover_before, tip_per_h, tip_before, interdict_prob, drone_key, checkpoint_key, tip_key, flow_marks, event_slot,
                  event_kind, event_cell):
    """:func:`advance_shipments` over slots ``first`` to ``stop`` - 1; returns the number of events written from ``first``."""
    n_events = first
    for i in range(first, stop):
        if status[i] != IN_TRANSIT:
            continue
        r = route[i]
        base = route_start[r]
        last = base + route_len[r] - 1
        start = base + progress[i]
        at = start
        carried = carry_h[i]
        bank = carried + step_hours
        if route_stride[start] >= 0 and on_reach_grid(carry_h[i]):  # every sum exact: the cell-by-cell walk's stop and bank
            limit = route_reach[start] + bank
            at += route_stride[start]
            while at < last and route_reach[at + 1] <= limit:
                at += 1
            bank = limit - route_reach[at]
        else:
            while at < last:
                cost = route_hours[at + 1]
                if bank < cost:
                    break
                bank -= cost
                at += 1
        flow_marks[start] += 1
        if at < last:
            flow_marks[at + 1] -= 1
        hide = 1.0 - concealment[i]
        seized = hide * interdict_prob  # by a checkpoint that looks at it
        arrived = at == last
        launched = start == base and carried == 0.0  # this step: its first position is a passage too
        let_through = 1.0 - route_checkpoint[start] * seized if launched else 1.0  # by every checkpoint it passed
        missed = 1.0  # by every drone look made where it was
        if cover_before[at + 1] > cover_before[start]:  # some position passed has cover
            entered = 0.0  # hour into the step it entered position q (or began the step there)
            for q in range(start, at + 1):
                if q < at:
                    left = entered + route_hours[q + 1] - (carried if q == start else 0.0)
                else:  # it stays to the step's end, or is delivered as it arrives
                    left = entered if arrived else step_hours
                if q > start:
                    let_through *= 1.0 - route_checkpoint[q] * seized
                if route_drone[q] > 0.0:
                    missed *= 1.0 - looks_while_there(route_drone[q], route_looks[0, q], route_looks[1, q], route_looks[2, q],
                                                      route_looks[3, q], entered, left, q == at and not arrived)
                entered = left
        progress[i] = at - base
        carry_h[i] = bank
        cell = route_cells[at]
        if let_through < 1.0 and uniform(checkpoint_key, uid[i]) < 1.0 - let_through:
            status[i] = FREE
            event_slot[n_events], event_kind[n_events], event_cell[n_events] = i, EVENT_CHECKPOINT_SEIZURE, cell
            n_events += 1
            continue
        report = 0
        if not cued[i]:
            if missed < 1.0 and uniform(drone_key, uid[i]) < (1.0 - missed) * hide:
                report = EVENT_DRONE_DETECTION
            else:  # the tips expected over the step: the hours spent in each cell passed, up to arriving, times its rate
                expected = tip_before[at] - tip_before[start] - tip_per_h[start] * carried
                if not arrived:
                    expected += tip_per_h[at] * bank
                if expected > 0.0:
                    draw = uniform(tip_key, uid[i])
                    if draw < expected * hide and draw < (1.0 - np.exp(-expected)) * hide:  # 1 - exp(-x) <= x: exp when near
                        report = EVENT_TIP
        if arrived:
            status[i] = FREE
            report |= EVENT_DELIVERED
        elif report:
            cued[i] = True
        else:
            continue
        event_slot[n_events], event_kind[n_events], event_cell[n_events] = i, report, cell
        n_events += 1
    return n_events - first


@njit(cache=True, inline="always")
def looks_while_there(combined, first_h, first, last_h, last, entered_h, left_h, stays):
    """The drones' look at a shipment in a cell from ``entered_h`` to ``left_h`` (hours into the step).

    The cell's first look this step came at ``first_h`` with probability ``first``, its last at
    ``last_h`` with ``last``, and all its looks together give ``combined``. A shipment there at both
    times gets ``combined``, at one of them that look, at neither none (exact for up to two looks at
    a cell in a step). One that ``stays`` to the step's end is there at its last instant too; one
    that arrives at its route's end (``left_h == entered_h``) is delivered at once and not looked at.
    """
    saw_first = entered_h <= first_h and (first_h <= left_h if stays else first_h < left_h)
    saw_last = entered_h <= last_h and (last_h <= left_h if stays else last_h < left_h)
    if saw_first and saw_last:
        return combined
    if saw_first:
        return first
    if saw_last:
        return last
    return 0.0


@njit(cache=True)
def count_cover_before(route_drone: np.ndarray, route_checkpoint: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` ((sum L + 1,) int64): the number of route positions before each one with drone or checkpoint cover."""
    out[0] = 0
    for q in range(route_drone.size):
        out[q + 1] = out[q] + (route_drone[q] > 0.0 or route_checkpoint[q] > 0.0)


def checkpoint_passages(checkpoint: np.ndarray, route_start: np.ndarray, route_len: np.ndarray) -> np.ndarray:
    """(sum L,) float32: a checkpoint's look at a shipment passing it, once per passage at any step length.

    ``checkpoint`` ((sum L,), detection probability within a checkpoint's radius at each route position) kept
    at the first position of each run of watched positions along a route, 0 elsewhere.
    """
    before = np.zeros_like(checkpoint)
    before[1:] = checkpoint[:-1]
    before[route_start[route_len > 0]] = 0.0  # a route's first position starts a passage
    return np.where(before > 0.0, np.float32(0.0), checkpoint).astype(np.float32)


def tip_hazard_before(tip_per_h: np.ndarray, route_hours: np.ndarray, route_start: np.ndarray,
                      route_len: np.ndarray) -> np.ndarray:
    """(sum L,) float64 tips expected along each route before entering each position.

    The sum over the positions before it of the rate there (1/h) times the hours spent there
    (``route_hours`` of the next position). :func:`advance_shipments` reads a step's tips as the
    difference between where it ends and where it starts, each plus the rate there times the hours
    spent there so far.
    """
    spent = np.zeros(tip_per_h.size)
    spent[1:] = tip_per_h[:-1] * route_hours[1:]
    spent[route_start] = 0.0  # nothing before a route's first position
    running = np.cumsum(spent)
    return running - np.repeat(running[route_start], route_len)


def flow_from_marks(flow_marks: np.ndarray, route_start: np.ndarray, route_len: np.ndarray) -> np.ndarray:
    """(sum L,) int64 shipment-steps at each route position from :func:`advance_shipments`' ``flow_marks``.

    The marks summed over the rows, then along each route from its first position (a shipment
    that reached its route's end left no -1, so the sum restarts at every route).
    """
    marks = flow_marks.sum(axis=0)
    running = np.cumsum(marks)
    return running - np.repeat(running[route_start] - marks[route_start], route_len)


def joined_events(events: list[np.ndarray], lane_events: np.ndarray) -> list[np.ndarray]:
    """The events :func:`advance_shipments` wrote, lane after lane (so in slot order), as compact arrays."""
    return [_join_lanes(column, lane_events) for column in events]


@njit(cache=True)
def _join_lanes(column: np.ndarray, lane_events: np.ndarray) -> np.ndarray:
    """The first ``lane_events[j]`` entries of each lane ``j``'s stretch of ``column``, lane after lane (a new array)."""
    n, lanes = column.size, lane_events.size
    joined = np.empty(lane_events.sum(), dtype=column.dtype)
    at = 0
    for j in range(lanes):
        first = lane_start(j, lanes, n)
        joined[at:at + lane_events[j]] = column[first:first + lane_events[j]]
        at += lane_events[j]
    return joined
