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
