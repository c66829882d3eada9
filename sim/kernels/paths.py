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
    dist, next_cell, _, _ = search_blocks(cell_cost, 1, np.arange(h * w), target, starts)
    return dist, next_cell


@njit(cache=True, nogil=True)
def search_blocks(
    cell_cost: np.ndarray, k: int, blocks: np.ndarray, target: int, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cost_to_target` with moves confined to the cells of some k × k blocks.

    The cells of the blocks are the search's nodes, numbered block by block (node
    ``i·k² + (r mod k)·k + (c mod k)`` is cell (r, c) of ``blocks[i]``), so its memory is in
    proportion to the blocks, not to the raster. Every block in order with k = 1 is the whole
    raster, node = cell (searched without the block lookups).

    Args:
        cell_cost: (H, W) float64, as for :func:`cost_to_target`.
        k: block side, in cells.
        blocks: (B,) int64 distinct flat indices on the grid of ⌈H/k⌉ × ⌈W/k⌉ blocks.
        target, starts: flat cells, as for :func:`cost_to_target`; those outside the blocks are
            unreachable.

    Returns:
        dist: (B·k²,) float64 least cost of each node to the target (as for :func:`cost_to_target`).
        next_node: (B·k²,) int64 the next node towards the target (-1 at the target or not reached).
        cell_of: (B·k²,) int64 flat cell of each node (-1 for a block's part beyond the raster);
            empty for the whole raster, where node = cell.
        start_node: (S,) int64 node of each start (-1 outside the blocks).
    """
    h, w = cell_cost.shape
    bw = (w + k - 1) // k
    kk = k * k
    n = blocks.shape[0] * kk
    whole = k == 1 and n == h * w
    slot = np.full(0 if whole else ((h + k - 1) // k) * bw, -1, dtype=np.int32)
    cost = np.full(n, -1.0)  # negative = impassable
    cell_of = np.full(0 if whole else n, -1, dtype=np.int64)
    flat_cost = cell_cost.ravel()
    for i in range(blocks.shape[0]):
        if not whole:
            slot[blocks[i]] = i
        br, bc = blocks[i] // bw, blocks[i] % bw
        for dr in range(k):
            for dc in range(k):
                r, c = br * k + dr, bc * k + dc
                if r < h and c < w:
                    if not whole:
                        cell_of[i * kk + dr * k + dc] = r * w + c
                    if flat_cost[r * w + c] >= 0.0 and flat_cost[r * w + c] < np.inf:
                        cost[i * kk + dr * k + dc] = flat_cost[r * w + c]
    start_node = np.empty(starts.shape[0], dtype=np.int64)
    for j in range(starts.shape[0]):
        start_node[j] = starts[j] if whole else _node(slot, starts[j] // w, starts[j] % w, k, bw)
    dist = np.full(n, np.inf)
    next_node = np.full(n, -1, dtype=np.int64)
    source = target if whole else _node(slot, target // w, target % w, k, bw)
    if source < 0 or cost[source] < 0.0:
        return dist, next_node, cell_of, start_node
    # A binary heap of queued nodes, each stored with its key; pos[node] is its place in the heap
    # (-1 never queued, -2 settled).
    heap_node = np.empty(n, dtype=np.int32)
    heap_key = np.empty(n, dtype=np.float64)
    pos = np.full(n, -1, dtype=np.int32)
    wanted = np.zeros(n, dtype=np.bool_)
    for node in start_node:
        if node >= 0:
            wanted[node] = True
    pending = wanted.sum()
    dist[source] = 0.0
    heap_node[0], heap_key[0], pos[source] = source, 0.0, 0
    size = 1
    while size > 0:
        node, settled = heap_node[0], heap_key[0]
        pos[node] = -2
        if wanted[node]:
            pending -= 1
            if pending == 0:
                break
        size -= 1
        if size > 0:
            _sift_down(heap_node, heap_key, pos, heap_node[size], heap_key[size], size)
        cell = node if whole else cell_of[node]
        r, c = cell // w, cell % w
        half = 0.5 * cost[node]
        for d in range(8):
            rr, cc = r + _DR[d], c + _DC[d]
            if rr < 0 or rr >= h or cc < 0 or cc >= w:
                continue
            nb = rr * w + cc if whole else _node(slot, rr, cc, k, bw)
            if nb < 0:
                continue
            at = pos[nb]
            if at == -2 or cost[nb] < 0.0:
                continue
            cand = settled + (half + 0.5 * cost[nb]) * _STEP[d]
            if cand < dist[nb]:
                dist[nb] = cand
                next_node[nb] = node
                if at == -1:
                    at = size
                    size += 1
                _sift_up(heap_node, heap_key, pos, nb, cand, at)
    return dist, next_node, cell_of, start_node


@njit(cache=True, nogil=True, inline="always")
def _node(slot, r, c, k, bw):
    """Node of cell (r, c), or -1 if its block is not searched."""
    i = slot[(r // k) * bw + c // k]
    return -1 if i < 0 else i * k * k + (r % k) * k + c % k


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
