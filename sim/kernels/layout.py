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
    count = np.zeros(positions + 2, dtype=np.int64)  # by position, shifted by one; the free slots in the last bucket
    for i in range(n):
        key = route_start[route[i]] + progress[i] if status[i] == IN_TRANSIT else positions
        count[key + 1] += 1
    for k in range(1, positions + 2):
        count[k] += count[k - 1]
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        key = route_start[route[i]] + progress[i] if status[i] == IN_TRANSIT else positions
        order[count[key]] = i
        count[key] += 1
    return order


@njit(cache=True)
def gather(array: np.ndarray, order: np.ndarray, scratch: np.ndarray) -> None:
    """``array[:] = array[order]`` through ``scratch`` (same shape and dtype as ``array``), without allocating."""
    for k in range(order.size):
        scratch[k] = array[order[k]]
    array[:] = scratch


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
