"""Which waiting cues the idle ground units answer this step, in priority order (:mod:`sim.fusion`) or first come first served."""

import numpy as np
from numba import njit

from sim.cues import CELL, ENDED, EXPIRY_STEP, READY_STEP, REPORTED_STEP, SLOT, SOURCES, UID

QUEUE_ORDER = -1  # steps_per_source of a queue answered in its own order (first come, first served)


@njit(cache=True)
def triage_cues(
    cues: np.ndarray,
    size: int,
    steps_per_source: int,
    step: int,
    width: int,
    units: np.ndarray,
    max_distance: float,
    waiting: np.ndarray,
    row_of: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sort the cues, in the order units answer them, into answered, lapsed, ended and still waiting.

    The order is by priority (:mod:`sim.fusion`): by the step of a cue's first report, each
    distinct source beyond its first counting ``steps_per_source`` steps earlier, ties in queue
    order; with ``steps_per_source`` :data:`QUEUE_ORDER`, the queue's order. A cue whose
    shipment has ended (uid :data:`sim.cues.ENDED`, set by :meth:`sim.intel.IntelCell.ended`) is dropped. A
    ready cue (``ready_step <= step``) takes the nearest idle unit within ``max_distance`` of its
    cell's centre, if any is left; an unanswered cue whose ``expiry_step`` has come lapses.

    Args:
        cues: (capacity, fields) int64, the queue's table (columns: :data:`sim.cues.CUE_FIELDS`).
        size: cues in the queue (its first rows).
        steps_per_source: steps a cue gains for each distinct source beyond its first, or :data:`QUEUE_ORDER`.
        step: the current step.
        width: raster width, to place flat cells.
        units: (U, 2) float64 (x, y) positions of the idle units.
        max_distance: farthest a unit may be sent, in cells.
        waiting: (>= size, fields) int64, receives the cues still waiting, in order, in its first rows.
        row_of: the queue's row of each slot's last cue (:attr:`sim.cues.CueQueue.row_of`), set to the rows in ``waiting``.

    Returns:
        answered: (k, fields) int64, the answered cues, in order (k <= U).
        unit: (k,) int64, index into ``units`` of the unit sent to each.
        lapsed: (m,) int64, slots of the cues that lapsed.
        kept: number of cues still waiting.
    """
    order = np.arange(size) if steps_per_source == QUEUE_ORDER else stable_order(priority_key(cues, size, steps_per_source))
    answered = np.empty((units.shape[0], cues.shape[1]), dtype=np.int64)
    unit = np.empty(units.shape[0], dtype=np.int64)
    lapsed = np.empty(size, dtype=np.int64)
    free = np.ones(units.shape[0], dtype=np.bool_)
    first_cell, end_cell = reach_bands(units, max_distance, width)
    sent, n_lapsed, kept = 0, 0, 0
    for q in range(size):
        c = order[q]
        if cues[c, UID] == ENDED:
            continue
        s = cues[c, SLOT]
        if sent < units.shape[0] and cues[c, READY_STEP] <= step:
            cell = cues[c, CELL]
            best, best_distance = -1, np.inf
            for u in range(units.shape[0]):
                if free[u] and first_cell[u] <= cell < end_cell[u]:  # the exact distance only for units that may reach it
                    d = np.hypot(cell % width + 0.5 - units[u, 0], cell // width + 0.5 - units[u, 1])
                    if d <= max_distance and d < best_distance:
                        best, best_distance = u, d
            if best >= 0:
                for field in range(cues.shape[1]):
                    answered[sent, field] = cues[c, field]
                unit[sent] = best
                free[best] = False
                sent += 1
                continue
        if cues[c, EXPIRY_STEP] <= step:
            lapsed[n_lapsed] = s
            n_lapsed += 1
        else:
            for field in range(cues.shape[1]):
                waiting[kept, field] = cues[c, field]
            row_of[s] = kept
            kept += 1
    return answered[:sent], unit[:sent], lapsed[:n_lapsed], kept


@njit(cache=True)
def priority_key(cues: np.ndarray, size: int, steps_per_source: int) -> np.ndarray:
    """(size,) int64 each cue's first report step, less ``steps_per_source`` per distinct source beyond its first."""
    key = np.empty(size, dtype=np.int64)
    for c in range(size):
        extra, sources = -1, cues[c, SOURCES]
        while sources:
            sources &= sources - 1
            extra += 1
        key[c] = cues[c, REPORTED_STEP] - steps_per_source * extra
    return key


@njit(cache=True)
def stable_order(key: np.ndarray) -> np.ndarray:
    """The permutation that sorts ``key`` stably (``np.argsort(key, kind="stable")``), fast when it is nearly sorted.

    The entries below the last one kept in order are set aside, sorted, and merged back in: a
    queue kept in order, with a few cues moved ahead since, costs time linear in its size.
    """
    n = key.size
    in_order = np.empty(n, dtype=np.int64)
    aside = np.empty(n, dtype=np.int64)
    n_in, n_aside = 0, 0
    for i in range(n):
        if n_in > 0 and key[i] < key[in_order[n_in - 1]]:
            aside[n_aside] = i
            n_aside += 1
        else:
            in_order[n_in] = i
            n_in += 1
    if n_aside == 0:
        return in_order
    aside = aside[:n_aside]
    aside = aside[merge_order(key[aside])]
    order = np.empty(n, dtype=np.int64)
    a, b = 0, 0
    for o in range(n):
        if b == n_aside or (a < n_in and (key[in_order[a]] < key[aside[b]]
                                          or (key[in_order[a]] == key[aside[b]] and in_order[a] < aside[b]))):
            order[o] = in_order[a]
            a += 1
        else:
            order[o] = aside[b]
            b += 1
    return order


@njit(cache=True)
def merge_order(key: np.ndarray) -> np.ndarray:
    """The permutation that sorts ``key`` stably: a bottom-up merge sort (quicker to compile than numba's own sorts)."""
    n = key.size
    order = np.arange(n)
    merged = np.empty(n, dtype=np.int64)
    width = 1
    while width < n:
        for low in range(0, n, 2 * width):
            middle, high = min(low + width, n), min(low + 2 * width, n)
            a, b = low, middle
            for o in range(low, high):
                if b == high or (a < middle and key[order[a]] <= key[order[b]]):
                    merged[o] = order[a]
                    a += 1
                else:
                    merged[o] = order[b]
                    b += 1
        order, merged = merged, order
        width *= 2
    return order


@njit(cache=True)
def reach_bands(units: np.ndarray, max_distance: float, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, end): each unit's band of whole raster rows, as flat cells [first, end), holding every cell it may reach.

    A cell centre within ``max_distance`` of a unit lies within that many rows of it; one row more
    on each side keeps the band whole whatever the rounding.
    """
    first = np.empty(units.shape[0], dtype=np.int64)
    end = np.empty(units.shape[0], dtype=np.int64)
    for u in range(units.shape[0]):
        first[u] = (int(np.floor(units[u, 1] - max_distance)) - 1) * width
        end[u] = (int(np.ceil(units[u, 1] + max_distance)) + 1) * width
    return first, end
