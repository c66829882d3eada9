"""Where the shipments sit in memory: grouped along their routes, so that a pass over the slots reads each route in order."""

import numpy as np
from numba import njit

from sim.kernels.movement import IN_TRANSIT


@njit(cache=True)
def route_order(status: np.ndarray, route: np.ndarray, progress: np.ndarray, route_start: np.ndarray,
                positions: int) -> np.ndarray:
    """(N,) int64 every slot, the shipments in transit by route position (route, then progress), the free slots after.

    A counting sort over the flat route positions, stable (ties and the free slots in slot order),
    in time proportional to N plus the number of positions.

    Args:
        status: (N,) uint8, FREE or IN_TRANSIT.
        route: (N,) int32, route index (any value where free).
        progress: (N,) int32, index of the current cell within the route.
        route_start: (R,) int64, offset of each route in the flat route positions.
        positions: number of flat route positions (sum of the routes' lengths).
    """
    n = status.size
    keys = np.empty(n, dtype=np.int64)
    count = np.zeros(positions + 2, dtype=np.int64)  # by position, shifted by one; the free slots in the last bucket
    run_key, run = -1, 0  # a run of equal keys (neighbours share positions) is counted at once
    for i in range(n):
        key = route_start[route[i]] + progress[i] if status[i] == IN_TRANSIT else positions
        keys[i] = key
        if key != run_key:
            count[run_key + 1] += run
            run_key, run = key, 0
        run += 1
    count[run_key + 1] += run
    for k in range(1, positions + 2):
        count[k] += count[k - 1]
    order = np.empty(n, dtype=np.int64)
    run_key, at = -1, 0
    for i in range(n):
        key = keys[i]
        if key != run_key:
            if run_key >= 0:
                count[run_key] = at
            run_key, at = key, count[key]
        order[at] = i
        at += 1
    return order


@njit(cache=True, nogil=True)
def gather_into(order: np.ndarray, sources: tuple, targets: tuple) -> None:
    """``targets[j][:] = sources[j][order]`` for every array ``j`` (tuples of arrays of one dtype, as long as ``order``)."""
    for j in range(len(sources)):
        source, target = sources[j], targets[j]
        for k in range(order.size):
            target[k] = source[order[k]]


@njit(cache=True, nogil=True)
def invert_order(order: np.ndarray, moved_to: np.ndarray) -> None:
    """``moved_to[order[k]] = k`` for every k: the inverse of the permutation ``order``."""
    for k in range(order.size):
        moved_to[order[k]] = k


LAUNCH_ORDER_BITS = 11  # digit of :func:`launch_order`'s radix sort: 2,048 counters stay in the first-level cache


@njit(cache=True)
def launch_order(uid: np.ndarray) -> np.ndarray:
    """(n,) int64 the permutation that sorts ``uid`` ((n,) int64, distinct): launch order, wherever the shipments sit.

    An LSD radix sort of ``uid - uid.min()`` by digits of :data:`LAUNCH_ORDER_BITS` bits, in time
    linear in n (times the digits the ids' span needs: two for spans below 4 million).
    """
    n = uid.size
    order = np.arange(n)
    if n < 2:
        return order
    low = uid.min()
    span = uid.max() - low
    buckets = 1 << LAUNCH_ORDER_BITS
    mask = buckets - 1
    moved = np.empty(n, dtype=np.int64)
    shift = 0
    while shift == 0 or (span >> shift) > 0:
        count = np.zeros(buckets + 1, dtype=np.int64)
        for k in range(n):
            count[((uid[order[k]] - low) >> shift & mask) + 1] += 1
        for d in range(1, buckets + 1):
            count[d] += count[d - 1]
        for k in range(n):
            digit = (uid[order[k]] - low) >> shift & mask
            moved[count[digit]] = order[k]
            count[digit] += 1
        order, moved = moved, order
        shift += LAUNCH_ORDER_BITS
    return order
