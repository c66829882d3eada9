"""Least-cost paths on the raster: Dijkstra with an indexed binary heap, 8-neighbour moves."""

import numpy as np
from numba import njit

_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)
_STEP = np.array([np.sqrt(2.0), 1.0, np.sqrt(2.0), 1.0, 1.0, np.sqrt(2.0), 1.0, np.sqrt(2.0)])


@njit(cache=True)
def _sift_up(heap, pos, dist, i):
    node = heap[i]
    while i > 0:
        parent = (i - 1) >> 1
        if dist[heap[parent]] <= dist[node]:
            break
        heap[i] = heap[parent]
        pos[heap[i]] = i
        i = parent
    heap[i] = node
    pos[node] = i


@njit(cache=True)
def _sift_down(heap, pos, dist, i, size):
    node = heap[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and dist[heap[child + 1]] < dist[heap[child]]:
            child += 1
        if dist[heap[child]] >= dist[node]:
            break
        heap[i] = heap[child]
        pos[heap[i]] = i
        i = child
    heap[i] = node
    pos[node] = i


@njit(cache=True, nogil=True)
def cost_to_target(cell_cost: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """Least cost from every cell to ``target``, and the next cell on that path.

    Moving between neighbours a and b costs ``(cell_cost[a] + cell_cost[b]) / 2`` times the step
    length (1 or √2); the cost is symmetric, so the tree grown from the target also gives paths
    towards it.

    Args:
        cell_cost: (H, W) float64, cost of crossing each cell (e.g. hours); non-finite or
            negative = impassable.
        target: flat index of the target cell.

    Returns:
        dist: (H*W,) float64, least cost to the target (inf where unreachable).
        next_cell: (H*W,) int64, the next cell towards the target (-1 at the target or where
            unreachable).
    """
    h, w = cell_cost.shape
    n = h * w
    cost = cell_cost.ravel()
    dist = np.full(n, np.inf)
    next_cell = np.full(n, -1, dtype=np.int64)
    heap = np.empty(n, dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)  # -1 never queued, -2 settled
    if not (np.isfinite(cost[target]) and cost[target] >= 0.0):
        return dist, next_cell
    dist[target] = 0.0
    heap[0] = target
    pos[target] = 0
    size = 1
    while size > 0:
        node = heap[0]
        pos[node] = -2
        size -= 1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, dist, 0, size)
        r, c = node // w, node % w
        for k in range(8):
            rr, cc = r + _DR[k], c + _DC[k]
            if rr < 0 or rr >= h or cc < 0 or cc >= w:
                continue
            nb = rr * w + cc
            if pos[nb] == -2 or not (np.isfinite(cost[nb]) and cost[nb] >= 0.0):
                continue
            cand = dist[node] + 0.5 * (cost[node] + cost[nb]) * _STEP[k]
            if cand < dist[nb]:
                dist[nb] = cand
                next_cell[nb] = node
                if pos[nb] == -1:
                    heap[size] = nb
                    pos[nb] = size
                    size += 1
                _sift_up(heap, pos, dist, pos[nb])
    return dist, next_cell


@njit(cache=True, nogil=True)
def trace_path(next_cell: np.ndarray, start: int) -> np.ndarray:
    """Cells from ``start`` to the target of ``next_cell`` (both included), as flat indices.

    Args:
        next_cell: (H*W,) int64 from :func:`cost_to_target`.
        start: flat index of the first cell.

    Returns:
        (L,) int64 path. Check ``dist[start]`` first: an unreachable start gives ``[start]``.
    """
    length = 1
    node = start
    while next_cell[node] >= 0:
        node = next_cell[node]
        length += 1
    path = np.empty(length, dtype=np.int64)
    node = start
    for i in range(length):
        path[i] = node
        node = next_cell[node]
    return path
