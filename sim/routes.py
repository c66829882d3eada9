"""Route tables: least-cost paths from every source to every sink, as flat arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kernels.paths import cost_to_target, trace_path


@dataclass
class RouteTable:
    """All planned routes, concatenated.

    Attributes:
        source: (R,) int64 index of each route's source (into ``World.sources``).
        sink: (R,) int64 index of each route's sink (into ``World.sinks``).
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

    def along(self, raster: np.ndarray) -> np.ndarray:
        """The values of a raster at every route position, route by route (aligned with ``cells``)."""
        return raster.reshape(-1)[self.cells]

    def cells_of(self, route: int) -> np.ndarray:
        """The flat cells of one route."""
        return self.cells[self.start[route]:self.start[route] + self.length[route]]


def plan_routes(plan_cost: np.ndarray, sources: np.ndarray, sinks: np.ndarray, corridor: np.ndarray, n_corridors: int) -> RouteTable:
    """Least-cost routes for every (source, sink) pair that is connected under ``plan_cost``.

    Args:
        plan_cost: (H, W) float64 cost of crossing each cell; inf = impassable.
        sources, sinks: flat cells.
        corridor: (H, W) int8 corridor index of each cell.
        n_corridors: number of corridors.

    Returns:
        The table; it has no rows when no source reaches any sink.
    """
    rows: list[tuple[int, int, float, np.ndarray]] = []
    for k, sink in enumerate(sinks):
        dist, next_cell = cost_to_target(plan_cost, int(sink))
        for s, source in enumerate(sources):
            if np.isfinite(dist[source]):
                rows.append((s, k, float(dist[source]), trace_path(next_cell, int(source))))
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
