"""Shipments move along their routes and are sensed in every cell they pass."""

import numpy as np
from numba import njit

from sim.kernels.counter_rng import uniform

# Shipment status codes (uint8).
FREE = 0
IN_TRANSIT = 1

# Event kinds written by :func:`advance_shipments`.
EVENT_DELIVERED = 1
EVENT_DRONE_DETECTION = 2
EVENT_CHECKPOINT_SEIZURE = 3


@njit(cache=True)
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
    cell_hours: np.ndarray,
    step_hours: float,
    drone_cover: np.ndarray,
    checkpoint_cover: np.ndarray,
    interdict_prob: float,
    drone_key: np.uint64,
    checkpoint_key: np.uint64,
    flow: np.ndarray,
    event_slot: np.ndarray,
    event_kind: np.ndarray,
    event_cell: np.ndarray,
) -> int:
    """Move every live shipment one step and sense it along the cells it passes.

    A shipment banks ``step_hours`` and enters the next cell of its route while the bank pays
    that cell's crossing time. In each cell it occupies during the step it meets the drone and
    checkpoint coverage there; it is detected with probability ``max(cover) * (1 - concealment)``
    (one draw per source per step). A checkpoint detection is an interdiction attempt on the
    spot; a drone detection is an event the ground units answer later. A shipment already cued
    is not detected again until its cue is resolved.

    Args:
        status: (N,) uint8, FREE or IN_TRANSIT; set to FREE on delivery or seizure.
        uid: (N,) int64, unique shipment id (the counter of its random draws).
        route: (N,) int32, route index.
        progress: (N,) int32, index of the current cell within the route.
        carry_h: (N,) float32, hours banked towards the next cell.
        concealment: (N,) float32 in [0, 1).
        cued: (N,) bool, a drone detection is awaiting a ground response.
        route_start, route_len: (R,) int64, offset and length of each route in ``route_cells``.
        route_cells: (sum L,) int64, flat cell indices of all routes.
        cell_hours: (H*W,) float32, hours to cross each cell overland.
        step_hours: hours per step.
        drone_cover, checkpoint_cover: (H*W,) float32, detection probability per step.
        interdict_prob: probability a checkpoint detection ends in a seizure.
        drone_key, checkpoint_key: uint64 keys of this step's draws for each source.
        flow: (H*W,) int64, incremented once for every cell a shipment occupies in a step.
        event_slot, event_kind, event_cell: (N,) int64 outputs, one row per event.

    Returns:
        Number of events written.
    """
    n_events = 0
    for i in range(status.shape[0]):
        if status[i] != IN_TRANSIT:
            continue
        r = route[i]
        base = route_start[r]
        last = route_len[r] - 1
        k = progress[i]
        cell = route_cells[base + k]
        flow[cell] += 1
        seen_drone = drone_cover[cell]
        seen_checkpoint = checkpoint_cover[cell]
        bank = carry_h[i] + step_hours
        while k < last:
            nxt = route_cells[base + k + 1]
            cost = cell_hours[nxt]
            if bank < cost:
                break
            bank -= cost
            k += 1
            cell = nxt
            flow[cell] += 1
            seen_drone = max(seen_drone, drone_cover[cell])
            seen_checkpoint = max(seen_checkpoint, checkpoint_cover[cell])
        progress[i] = k
        carry_h[i] = bank
        hide = 1.0 - concealment[i]
        if seen_checkpoint > 0.0 and uniform(checkpoint_key, uid[i]) < seen_checkpoint * hide:
            if uniform(checkpoint_key, -1 - uid[i]) < interdict_prob:
                status[i] = FREE
                event_slot[n_events], event_kind[n_events], event_cell[n_events] = i, EVENT_CHECKPOINT_SEIZURE, cell
                n_events += 1
                continue
        if k == last:
            status[i] = FREE
            event_slot[n_events], event_kind[n_events], event_cell[n_events] = i, EVENT_DELIVERED, cell
            n_events += 1
            continue
        if not cued[i] and seen_drone > 0.0 and uniform(drone_key, uid[i]) < seen_drone * hide:
            cued[i] = True
            event_slot[n_events], event_kind[n_events], event_cell[n_events] = i, EVENT_DRONE_DETECTION, cell
            n_events += 1
    return n_events
