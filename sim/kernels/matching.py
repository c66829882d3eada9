"""Reports joined to the cues already waiting about the same shipment, or queued as new cues; cues of ended shipments."""

import numpy as np
from numba import njit

from sim.cues import CELL, ENDED, EXPIRY_STEP, READY_STEP, REPORTED_STEP, SLOT, SOURCE, SOURCES, UID


@njit(cache=True)
def fuse_reports(
    cues: np.ndarray,
    size: int,
    row_of: np.ndarray,
    slots: np.ndarray,
    uids: np.ndarray,
    cells: np.ndarray,
    ready_step: int,
    expiry_step: int,
    source: int,
    now: int,
) -> tuple[int, int]:
    """Join each report to the cue waiting about its shipment, or add it as a new cue at the back, in report order.

    A cue matches a report when both name the same slot and uid. At most one cue waits for a
    shipment, and it is the last cue written about its slot, so each report looks at one row: the
    ``row_of`` its slot. A joined cue gains the report's source bit, the earlier ready step and the
    later expiry step; a new cue takes the report's fields.

    Args:
        cues: (capacity, fields) int64, the queue's table (columns: :data:`sim.cues.CUE_FIELDS`), with room for every report.
        size: cues in the queue (its first rows).
        row_of: (> every slot,) int64, the row of each slot's last cue (-1 none); set for the new cues.
        slots, uids, cells: (n,) int64, slot, uid and flat cell of each report (distinct uids).
        ready_step, expiry_step: the reports' first step a unit may be sent, and the step after which they lapse.
        source: the reports' source (:data:`sim.cues.CUE_DRONE`, ...).
        now: the current step.

    Returns:
        size: cues in the queue now.
        fused: reports joined to a waiting cue.
    """
    bit = 1 << source
    end, fused = size, 0
    for j in range(slots.size):
        s = slots[j]
        row = row_of[s]
        if 0 <= row < size and cues[row, SLOT] == s and cues[row, UID] == uids[j]:
            cues[row, SOURCES] |= bit
            cues[row, READY_STEP] = min(cues[row, READY_STEP], ready_step)
            cues[row, EXPIRY_STEP] = max(cues[row, EXPIRY_STEP], expiry_step)
            fused += 1
        else:
            cues[end, SLOT], cues[end, UID], cues[end, CELL] = s, uids[j], cells[j]
            cues[end, READY_STEP], cues[end, EXPIRY_STEP] = ready_step, expiry_step
            cues[end, SOURCE], cues[end, SOURCES], cues[end, REPORTED_STEP] = source, bit, now
            row_of[s] = end
            end += 1
    return end, fused


@njit(cache=True)
def end_cues(cues: np.ndarray, size: int, row_of: np.ndarray, slots: np.ndarray, uids: np.ndarray) -> None:
    """Set the uid of the cue waiting about each ended shipment (``slots``, ``uids``) to :data:`sim.cues.ENDED`.

    At most one cue waits for a shipment (with fusion, reports join it; without, a shipment with a
    cue is not sensed again), and it is the last cue written about its slot: the one at ``row_of``
    its slot, if that row still holds its uid.
    """
    for j in range(slots.size):
        row = row_of[slots[j]] if slots[j] < row_of.size else -1
        if 0 <= row < size and cues[row, UID] == uids[j]:
            cues[row, UID] = ENDED
