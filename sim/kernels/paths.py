"""Least-cost paths on the raster: Dijkstra with an indexed binary heap, 8-neighbour moves."""

import numpy as np
from numba import njit

_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)
_STEP = np.array([np.sqrt(2.0), 1.0, np.sqrt(2.0), 1.0, 1.0, np.sqrt(2.0), 1.0, np.sqrt(2.0)])


@njit(cache=True, nogil=True)
def cost_to_target(cell_cost: np.ndarray, target: int, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least cost from the cells to ``target``, and the next cell on that path.

    Moving between neighbours a and b costs ``(cell_cost[a] + cell_cost[b]) / 2`` times the step
    length (1 or √2); the cost is symmetric, so the tree grown from the target also gives paths
    towards it. The search stops once every cell of ``starts`` is settled.

    Args:
        cell_cost: (H, W) float64, cost of crossing each cell (e.g. hours); non-finite or
            negative = impassable.
        target: flat index of the target cell.
        starts: (S,) int64 flat cells whose paths are wanted; empty = every cell.

    Returns:
        dist: (H*W,) float64, least cost to the target, exact for the starts and for every cell
            no costlier than the costliest start (others: inf, or an upper bound if the search
            reached them); inf where unreachable.
        next_cell: (H*W,) int64, the next cell towards the target (-1 at the target or where
            not reached); a path traced from a start is a least-cost path.
    """
    h, w = cell_cost.shape
    n = h * w
    cost = cell_cost.ravel()
    dist = np.full(n, np.inf)
    next_cell = np.full(n, -1, dtype=np.int64)
    if not (np.isfinite(cost[target]) and cost[target] >= 0.0):
        return dist, next_cell
    # A binary heap of queued cells, each stored with its key; pos[cell] is its place in the heap
    # (-1 never queued, -2 settled).
    heap_cell = np.empty(n, dtype=np.int32)
    heap_key = np.empty(n, dtype=np.float64)
    pos = np.full(n, -1, dtype=np.int32)
    wanted = np.zeros(n, dtype=np.bool_)
    wanted[starts] = True
    pending = wanted.sum()
    dist[target] = 0.0
    heap_cell[0], heap_key[0], pos[target] = target, 0.0, 0
    size = 1
    while size > 0:
        node, settled = heap_cell[0], heap_key[0]
        pos[node] = -2
        if wanted[node]:
            pending -= 1
            if pending == 0:
                break
        size -= 1
        if size > 0:
            _sift_down(heap_cell, heap_key, pos, heap_cell[size], heap_key[size], size)
        r, c = node // w, node % w
        half = 0.5 * cost[node]
        for k in range(8):
            rr, cc = r + _DR[k], c + _DC[k]
            if rr < 0 or rr >= h or cc < 0 or cc >= w:
                continue
            nb = rr * w + cc
            at = pos[nb]
            if at == -2 or not (cost[nb] >= 0.0 and cost[nb] < np.inf):
                continue
            cand = settled + (half + 0.5 * cost[nb]) * _STEP[k]
            if cand < dist[nb]:
                dist[nb] = cand
                next_cell[nb] = node
                if at == -1:
                    at = size
                    size += 1
                _sift_up(heap_cell, heap_key, pos, nb, cand, at)
    return dist, next_cell


@njit(cache=True, nogil=True)
def _sift_down(heap_cell, heap_key, pos, cell, key, size):
    """Place ``cell`` (with ``key``) from the root down a heap of ``size`` entries."""
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap_key[child + 1] < heap_key[child]:
            child += 1
        if heap_key[child] >= key:
            break
        heap_cell[i], heap_key[i] = heap_cell[child], heap_key[child]
        pos[heap_cell[i]] = i
        i = child
    heap_cell[i], heap_key[i] = cell, key
    pos[cell] = i


@njit(cache=True, nogil=True)
def _sift_up(heap_cell, heap_key, pos, cell, key, i):
    """Place ``cell`` (with its lowered ``key``) from heap position ``i`` up."""
    while i > 0:
        parent = (i - 1) >> 1
        if heap_key[parent] <= key:
            break
        heap_cell[i], heap_key[i] = heap_cell[parent], heap_key[parent]
        pos[heap_cell[i]] = i
        i = parent
    heap_cell[i], heap_key[i] = cell, key
    pos[cell] = i


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
