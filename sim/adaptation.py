"""How cartels learn: a decaying risk map of their losses, and the logistic rule that sets levels."""

from __future__ import annotations

import numpy as np

MIN_WEIGHT = 1e-3  # a remembered event that has decayed below this weight is forgotten
PRUNE_MIN_EVENTS = 4096  # the memory is pruned once it holds this many events, or twice what the last pruning kept
FIRST_LOOK = 8  # events read per distinct cell wanted when looking for the most recent places
RISK_REACH_SIGMAS = 3.0  # an event's risk is spread this many sigmas (or over the whole raster, if that is less)


class RiskMemory:
    """Where a cartel has lost shipments or seen them spotted, with a memory that decays.

    Events are kept as (cell, weight, step); the map is built only when the cartel plans, so a
    step costs nothing but the appends. Whatever reads it, the memory stays bounded: once it has
    doubled since it was last pruned it forgets the events no reader would see again, namely those
    decayed below :data:`MIN_WEIGHT` (which :meth:`decayed` drops too), or every event when no
    risk map is drawn, except the newest event in each of the ``recent_places`` cells most
    recently remembered (where counter-drone zones go, newest first). Pruning never changes what
    :meth:`decayed`, :meth:`risk_map`, ``len() > 0`` or the head of :meth:`recent_cells` give.

    Args:
        shape: (H, W) of the raster.
        memory_steps: time constant of the exponential decay, in steps.
        radius_cells: Gaussian sigma with which each event spreads over nearby cells.
        recent_places: how many of the most recent distinct cells :meth:`recent_cells` must keep.
        maps: whether risk maps will be drawn (route shifting); without them weights are never read.
    """

    def __init__(self, shape: tuple[int, int], memory_steps: float, radius_cells: float, recent_places: int = 0,
                 maps: bool = True) -> None:
        self.shape = shape
        self.memory_steps = memory_steps
        self.radius_cells = radius_cells
        self.recent_places = recent_places
        self.maps = maps
        self._cells = np.zeros(0, dtype=np.int64)
        self._weights = np.zeros(0, dtype=np.float64)
        self._steps = np.zeros(0, dtype=np.int64)
        self._pending: list[tuple[np.ndarray, float, int]] = []  # appended in O(1), joined when read
        self._size = 0  # events held, pending ones included
        self._prune_min = PRUNE_MIN_EVENTS
        self._prune_at = self._prune_min

    def __len__(self) -> int:
        return self.cells.size

    @property
    def cells(self) -> np.ndarray:
        """Flat cells of the remembered events, oldest first."""
        self._join()
        return self._cells

    def recent_cells(self) -> np.ndarray:
        """Flat cells of the remembered events, newest first (its first ``recent_places`` distinct ones survive pruning)."""
        return self.cells[::-1]

    def add(self, cells: np.ndarray, weight: float, step: int) -> None:
        """Remember events at ``cells`` (flat), each of ``weight``, seen at ``step`` (steps never go back)."""
        if cells.size and weight > 0.0:
            self._pending.append((cells.astype(np.int64), weight, step))
            self._size += cells.size
            if self._size >= self._prune_at:
                self._prune(step)

    def _join(self) -> None:
        if not self._pending:
            return
        cells, weights, steps = zip(*self._pending, strict=True)
        sizes = [c.size for c in cells]
        self._cells = np.concatenate([self._cells, *cells])
        self._weights = np.concatenate([self._weights, np.repeat(np.array(weights, dtype=np.float64), sizes)])
        self._steps = np.concatenate([self._steps, np.repeat(np.array(steps, dtype=np.int64), sizes)])
        self._pending = []

    def _weight_at(self, now: int) -> np.ndarray:
        return self._weights * np.exp(-(now - self._steps) / self.memory_steps)

    def _prune(self, now: int) -> None:
        """Forget what no reader will see again (see the class docstring); the newest event always stays."""
        self._join()
        keep = self._weight_at(now) >= MIN_WEIGHT if self.maps else np.zeros(self._cells.size, dtype=bool)
        recent = first_places(self._cells[::-1], max(self.recent_places, 1))  # the newest event is kept: len() stays > 0
        keep[self._cells.size - 1 - recent] = True
        self._cells, self._weights, self._steps = self._cells[keep], self._weights[keep], self._steps[keep]
        self._size = self._cells.size
        self._prune_at = max(self._prune_min, 2 * self._size)

    def decayed(self, now: int) -> np.ndarray:
        """Each event's weight at step ``now``; events below :data:`MIN_WEIGHT` are dropped first."""
        self._join()
        weight = self._weight_at(now)
        keep = weight >= MIN_WEIGHT
        self._cells, self._weights, self._steps = self._cells[keep], self._weights[keep], self._steps[keep]
        self._size = self._cells.size
        return weight[keep]

    def risk_map(self, now: int, block: int = 1) -> np.ndarray:
        """(H, W) float32 perceived risk in [0, 1): 1 − exp(−Σ decayed weight × Gaussian of peak 1).

        With ``block`` > 1 the events are binned and spread on the grid of block × block cells,
        and the map is that grid, (⌈H/block⌉, ⌈W/block⌉) (cheaper on large rasters; exact up to
        that resolution).
        """
        from scipy import ndimage  # here: a launch on a stored world (sim.world_store) needs no scipy (0.3 s)

        weight = self.decayed(now)
        h, w = self.shape
        rows, cols = -(-h // block), -(-w // block)
        coarse_cells = (self.cells // w) // block * cols + (self.cells % w) // block
        density = np.bincount(coarse_cells, weights=weight, minlength=rows * cols).reshape(rows, cols)
        sigma = self.radius_cells / block
        reach = min(int(RISK_REACH_SIGMAS * sigma + 0.5), max(rows, cols) - 1)  # as scipy rounds it; none beyond the raster
        spread = ndimage.gaussian_filter(density, sigma, mode="constant", radius=reach) * (2.0 * np.pi * sigma**2)
        return (1.0 - np.exp(-spread)).astype(np.float32)


def first_places(cells: np.ndarray, count: int) -> np.ndarray:
    """Ascending positions in ``cells`` of the first event at each of its first ``count`` distinct cells.

    Read from a head of ``cells`` that grows until it holds ``count`` distinct cells (or is all of
    it): the first places are the same in any head that holds them.
    """
    look = FIRST_LOOK * count
    while True:
        _, first = np.unique(cells[:look], return_index=True)
        if first.size >= count or look >= cells.size:
            return np.sort(first)[:count]
        look *= 2


def moving_average(previous: float, value: float, periods: float) -> float:
    """Exponential moving average with time constant ``periods`` (one update per period)."""
    alpha = 1.0 - np.exp(-1.0 / periods)
    return float(previous + alpha * (value - previous))


def logistic_target(pressure: float, threshold: float, steepness: float, maximum: float) -> float:
    """The level a cartel aims for: ``maximum × σ(steepness × (pressure / threshold − 1))``.

    Near zero while the pressure (a loss rate, a sighting rate) is well under the threshold (the
    cost it would take to answer it), half the maximum where they are equal, near the maximum well
    above it.
    """
    if threshold <= 0.0:
        return maximum if pressure > 0.0 else 0.0
    z = steepness * (pressure / threshold - 1.0)
    return float(maximum / (1.0 + np.exp(-z)))


def step_towards(level: float, target: float, rate: float) -> float:
    """Close the share ``rate`` of the gap between a level and its target."""
    return level + rate * (target - level)
