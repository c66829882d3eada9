"""A raster at two resolutions: its cells and the k × k blocks they fall in."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def add_blocks(cells: np.ndarray, blocks: np.ndarray, k: int, scale: float) -> np.ndarray:
    """``cells + scale × blocks``, each block's value added to every cell of the block.

    Args:
        cells: (H, W) float32, e.g. hours to cross each cell.
        blocks: (⌈H/k⌉, ⌈W/k⌉) float32, e.g. risk per block.
        k: block side, in cells.
        scale: weight of the blocks; the product is rounded to float32 (as numpy does for a float32
            array times a Python float) before it is added in float64.

    Returns:
        (H, W) float64.
    """
    h, w = cells.shape
    out = np.empty((h, w), dtype=np.float64)
    weight = np.float32(scale)
    for r in range(h):
        for c in range(w):
            out[r, c] = np.float64(cells[r, c]) + np.float64(weight * blocks[r // k, c // k])
    return out


@njit(cache=True, nogil=True)
def block_min(cells: np.ndarray, k: int) -> np.ndarray:
    """(⌈H/k⌉, ⌈W/k⌉) float64: the smallest value of the cells of each k × k block (blocks at the edge may be partial)."""
    h, w = cells.shape
    out = np.full(((h + k - 1) // k, (w + k - 1) // k), np.inf)
    for r in range(h):
        for c in range(w):
            out[r // k, c // k] = min(out[r // k, c // k], cells[r, c])
    return out
