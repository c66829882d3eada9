"""Which waiting cues the idle ground units answer this step, first come first served."""

import numpy as np
from numba import njit

from sim.kernels.movement import IN_TRANSIT


@njit(cache=True)
def triage_cues(
    cue_slot: np.ndarray,
    cue_uid: np.ndarray,
    cue_cell: np.ndarray,
    ready_step: np.ndarray,
    expiry_step: np.ndarray,
    status: np.ndarray,
    uid: np.ndarray,
    step: int,
    width: int,
    units: np.ndarray,
    max_distance: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort the cues, in arrival order, into answered, lapsed, stale and still waiting.

    A cue is stale when its shipment has ended (its slot is free or holds another shipment). A
    ready cue (``ready_step <= step``) takes the nearest idle unit within ``max_distance`` of its
    cell's centre, if any is left; an unanswered cue whose ``expiry_step`` has come lapses.

    Args:
        cue_slot, cue_uid, cue_cell, ready_step, expiry_step: (Q,) int64, the queue's columns.
        status, uid: the shipment pool's status (uint8) and uid (int64) columns.
        step: the current step.
        width: raster width, to place flat cells.
        units: (U, 2) float64 (x, y) positions of the idle units.
        max_distance: farthest a unit may be sent, in cells.

    Returns:
        unit: (Q,) int64, index into ``units`` of the unit sent to each cue, -1 for none.
        lapsed: (Q,) bool, the cue expired unanswered.
        stale: (Q,) bool, the cue's shipment has ended.
    """
    n = cue_slot.shape[0]
    unit = np.full(n, -1, dtype=np.int64)
    lapsed = np.zeros(n, dtype=np.bool_)
    stale = np.zeros(n, dtype=np.bool_)
    free = np.ones(units.shape[0], dtype=np.bool_)
    left = units.shape[0]
    for q in range(n):
        s = cue_slot[q]
        if status[s] != IN_TRANSIT or uid[s] != cue_uid[q]:
            stale[q] = True
            continue
        if left > 0 and ready_step[q] <= step:
            x, y = cue_cell[q] % width + 0.5, cue_cell[q] // width + 0.5
            best, best_distance = -1, np.inf
            for u in range(units.shape[0]):
                if free[u]:
                    d = np.hypot(x - units[u, 0], y - units[u, 1])
                    if d <= max_distance and d < best_distance:
                        best, best_distance = u, d
            if best >= 0:
                unit[q] = best
                free[best] = False
                left -= 1
                continue
        lapsed[q] = expiry_step[q] <= step
    return unit, lapsed, stale
