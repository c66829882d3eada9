"""Route tables: least-cost paths from every source to every sink, as flat arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kernels.blocks import block_min
from sim.kernels.paths import cost_to_target, search_blocks, trace_path
from sim.kernels.threads import run_all

EXACT_SIDE = 256  # rasters up to this side are planned exactly; larger ones coarse-to-fine
MAX_BLOCK = 4  # coarser blocks miss narrow passages (blocks of 8: a route 17 % above least cost)
BAND_BLOCKS = 2  # the fine search may stray this many coarse blocks either side of the coarse path


@dataclass
class RouteTable:
    """All planned routes, concatenated.

    Attributes:
        source: (R,) int64 index of each route's source (into ``World.sources``).
        sink: (R,) int64 index of each route's end in the cells planned to (the model's: :attr:`sim.ports.Crossings.cells`).
        cost: (R,) float64 planning cost of each route (hours when planned on travel time).
        start: (R,) int64 offset of each route in ``cells``.
        length: (R,) int64 number of cells of each route.
        cells: (sum L,) int64 flat cell indices, source first, sink last.
        corridor: (R,) int64 each route's corridor: the one holding most of its cells.
    """

    source: np.ndarray
    sink: np.ndarray
    cost: np.ndarray
    start: np.ndarray
    length: np.ndarray
    cells: np.ndarray
    corridor: np.ndarray

    def extend(self, other: RouteTable) -> tuple[RouteTable, np.ndarray]:
        """This table with ``other``'s routes appended, and the ids the appended routes get."""
        ids = np.arange(self.source.size, self.source.size + other.source.size, dtype=np.int64)
        joined = RouteTable(
            source=np.concatenate([self.source, other.source]), sink=np.concatenate([self.sink, other.sink]),
            cost=np.concatenate([self.cost, other.cost]), start=np.concatenate([self.start, other.start + self.cells.size]),
            length=np.concatenate([self.length, other.length]), cells=np.concatenate([self.cells, other.cells]),
            corridor=np.concatenate([self.corridor, other.corridor]))
        return joined, ids

    def subset(self, ids: np.ndarray) -> tuple[RouteTable, np.ndarray]:
        """The routes ``ids``, in that order and renumbered from 0, and the positions of ``cells`` they keep."""
        length = self.length[ids]
        start = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)
        positions = np.repeat(self.start[ids] - start, length) + np.arange(int(length.sum()))
        table = RouteTable(source=self.source[ids], sink=self.sink[ids], cost=self.cost[ids], start=start, length=length,
                           cells=self.cells[positions], corridor=self.corridor[ids])
        return table, positions

    def along(self, raster: np.ndarray) -> np.ndarray:
        """The values of a raster at every route position, route by route (aligned with ``cells``)."""
        return raster.reshape(-1)[self.cells]

    def cells_of(self, route: int) -> np.ndarray:
        """The flat cells of one route."""
        return self.cells[self.start[route]:self.start[route] + self.length[route]]


def coarsening(shape: tuple[int, int]) -> int:
    """Block side of the coarse planning grid for a raster of ``shape`` (1 = plan exactly)."""
    return min(MAX_BLOCK, max(1, -(-max(shape) // EXACT_SIDE)))


def _coarse_cost(plan_cost: np.ndarray, k: int) -> np.ndarray:
    """Cost of crossing each k × k block: k × the cheapest of its cells (inf if none is passable).

    The cheapest cell, not the mean, so that a road one cell wide still makes its blocks fast.
    """
    return k * block_min(plan_cost, k)


def _band(coarse: np.ndarray, sources: np.ndarray, sink: int, k: int, width: int) -> np.ndarray:
    """The blocks the coarse paths from ``sources`` to ``sink`` cross, widened by :data:`BAND_BLOCKS`.

    Blocks are flat indices on ``coarse``, the grid of k × k blocks.
    """
    from scipy import ndimage  # here: a launch on a stored world (sim.world_store) needs no scipy (0.3 s)

    cw = coarse.shape[1]
    starts = (sources // width) // k * cw + (sources % width) // k
    _, coarse_next = cost_to_target(coarse, (sink // width) // k * cw + (sink % width) // k, starts)
    band = np.zeros(coarse.shape, dtype=bool)
    for start in starts:
        band.ravel()[trace_path(coarse_next, int(start))] = True
    return np.flatnonzero(ndimage.binary_dilation(band, iterations=BAND_BLOCKS))


def _paths_to_sink(
    plan_cost: np.ndarray, coarse: np.ndarray | None, sources: np.ndarray, sink: int, k: int
) -> list[tuple[int, float, np.ndarray]]:
    """(source index, cost, path) of every source that reaches ``sink``.

    With ``coarse`` (the grid of k × k blocks) the search is coarse-to-fine: the exact search runs
    only inside the band the coarse paths mark (:func:`_band`). A source the band cuts off is
    planned on the whole raster.
    """
    found, cut_off = [], list(range(sources.size))
    if coarse is not None:
        band = _band(coarse, sources, sink, k, plan_cost.shape[1])
        dist, next_node, cell_of, start_node = search_blocks(plan_cost, k, band, sink, sources)
        reached = [node >= 0 and np.isfinite(dist[node]) for node in start_node]
        found = [
            (s, float(dist[node]), cell_of[trace_path(next_node, int(node))]) for s, node in enumerate(start_node) if reached[s]
        ]
        cut_off = [s for s in cut_off if not reached[s]]
    if cut_off:
        dist, next_cell = cost_to_target(plan_cost, sink, sources[cut_off])
        found += [
            (s, float(dist[sources[s]]), trace_path(next_cell, int(sources[s]))) for s in cut_off if np.isfinite(dist[sources[s]])
        ]
    return sorted(found, key=lambda row: row[0])


def plan_routes(plan_cost: np.ndarray, sources: np.ndarray, sinks: np.ndarray, corridor: np.ndarray, n_corridors: int,
                coarse: bool = False) -> RouteTable:
    """Least-cost routes for every (source, sink) pair that is connected under ``plan_cost``.

    Args:
        plan_cost: (H, W) float64 cost of crossing each cell; inf = impassable.
        sources, sinks: flat cells.
        corridor: (H, W) int8 corridor index of each cell.
        n_corridors: number of corridors.
        coarse: on rasters larger than :data:`EXACT_SIDE`, plan coarse-to-fine (fast, near
            least-cost) instead of exactly.

    Returns:
        The table; it has no rows when no source reaches any sink.
    """
    k = coarsening(plan_cost.shape) if coarse else 1
    blocks = _coarse_cost(plan_cost, k) if k > 1 else None
    per_sink = run_all([lambda sink=sink: _paths_to_sink(plan_cost, blocks, sources, int(sink), k) for sink in sinks])
    rows = [(s, j, cost, path) for j, found in enumerate(per_sink) for s, cost, path in found]
    paths = [row[3] for row in rows]
    lengths = np.array([p.size for p in paths], dtype=np.int64)
    flat_corridor = corridor.ravel()
    main = np.array([np.bincount(flat_corridor[path], minlength=n_corridors).argmax() for path in paths], dtype=np.int64)
    return RouteTable(
        source=np.array([row[0] for row in rows], dtype=np.int64),
        sink=np.array([row[1] for row in rows], dtype=np.int64),
        cost=np.array([row[2] for row in rows], dtype=np.float64),
        start=np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if rows else np.zeros(0, np.int64),
        length=lengths,
        cells=np.concatenate(paths) if rows else np.zeros(0, np.int64),
        corridor=main,
    )
