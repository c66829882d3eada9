"""Reports matched to the cues already waiting about the same shipment (:mod:`sim.fusion`)."""

import numpy as np
from numba import njit


@njit(cache=True)
def first_waiting_cues(
    cue_slot: np.ndarray, cue_uid: np.ndarray, slots: np.ndarray, uids: np.ndarray, by_slot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(reports, cues): each report about a shipment with a waiting cue (ascending index into ``slots``) and that cue.

    A cue matches a report when both name the same slot and uid; of several cues about one
    shipment, the first in the queue. One pass over the queue, through the slots.

    Args:
        cue_slot, cue_uid: (C,) int64, slot and uid of each waiting cue, in queue order.
        slots, uids: (n,) int64, slot and uid of each report (distinct slots).
        by_slot: (> every slot,) int64 all -1, scratch indexed by slot; left all -1.
    """
    for j in range(slots.size):
        by_slot[slots[j]] = j
    cue_of = np.full(slots.size, -1, dtype=np.int64)
    for row in range(cue_slot.size):
        j = by_slot[cue_slot[row]]
        if j >= 0 and cue_of[j] < 0 and uids[j] == cue_uid[row]:
            cue_of[j] = row
    for j in range(slots.size):
        by_slot[slots[j]] = -1
    reports = np.flatnonzero(cue_of >= 0)
    return reports, cue_of[reports]
