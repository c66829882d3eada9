"""Stamping a small kernel onto a raster around many cells."""

import numpy as np
from numba import njit


@njit(cache=True)
def subtract_stamps(raster: np.ndarray, cells: np.ndarray, stamp: np.ndarray) -> None:
    """Lower ``raster`` by ``stamp`` centred on each of ``cells`` in turn, never below 0.

    Args:
        raster: (H, W) float32, changed in place; each value becomes
            ``float32(max(value - stamp, 0))`` (the difference taken in float64).
        cells: (E,) int64 flat centre cells, applied in order.
        stamp: (2R+1, 2R+1) float64, the amount taken at each offset from the centre (clipped at
            the raster's edges).
    """
    h, w = raster.shape
    reach = stamp.shape[0] // 2
    for cell in cells:
        r, c = cell // w, cell % w
        for rr in range(max(0, r - reach), min(h, r + reach + 1)):
            for cc in range(max(0, c - reach), min(w, c + reach + 1)):
                lowered = np.float64(raster[rr, cc]) - stamp[rr - r + reach, cc - c + reach]
                raster[rr, cc] = np.float32(max(lowered, 0.0))
