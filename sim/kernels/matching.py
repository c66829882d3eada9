"""Reports matched to the cues already waiting about the same shipment (:mod:`sim.fusion`)."""

import numpy as np
from numba import njit

from sim.cues import SLOT, UID


@njit(cache=True)
def waiting_cues(
    cues: np.ndarray, size: int, row_of: np.ndarray, slots: np.ndarray, uids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(reports, cues): each report about a shipment with a waiting cue (ascending index into ``slots``) and that cue's row.

    A cue matches a report when both name the same slot and uid. At most one cue waits for a
    shipment (:mod:`sim.fusion`), and it is the last cue written about its slot, so each report
    looks at one row: the queue's :attr:`~sim.cues.CueQueue.row_of` its slot.

    Args:
        cues: (capacity, fields) int64, the queue's table; its first ``size`` rows are the waiting cues.
        size: cues in the queue.
        row_of: (> every slot,) int64, the row of each slot's last cue (-1 none).
        slots, uids: (n,) int64, slot and uid of each report.
    """
    cue_of = np.full(slots.size, -1, dtype=np.int64)
    for j in range(slots.size):
        row = row_of[slots[j]] if slots[j] < row_of.size else -1
        if 0 <= row < size and cues[row, SLOT] == slots[j] and cues[row, UID] == uids[j]:
            cue_of[j] = row
    reports = np.flatnonzero(cue_of >= 0)
    return reports, cue_of[reports]
