"""The route book: the routes in use, the shipment kernel's inputs along them, and the flow they carried.

Cartels plan routes and hand them to the book; the book appends them, keeps the kernel's
route-aligned inputs (:class:`AlongRoutes`) and the launches on each route in step with the table,
drops routes nobody uses any more and keeps the flow and the launches of every route it ever held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from sim.kernels.coverage import ROUTE_RUN_SHIFT, cover_along_routes
from sim.kernels.movement import FLOW_ROWS, checkpoint_passages, flow_from_marks, tip_hazard_before
from sim.routes import RouteTable


@dataclass
class AlongRoutes:
    """The shipment kernel's per-cell inputs, gathered at every route position (aligned with ``RouteTable.cells``)."""

    hours: np.ndarray  # float32, hours to cross the cell
    checkpoint_passage: np.ndarray  # float32, a checkpoint's look at a passage, at its first position (static)
    drone: np.ndarray  # float32, drone detection probability this step (refreshed every step)
    drone_looks: np.ndarray  # (4, positions) float32, the first and the last look's hour into the step and probability
    tip_per_h: np.ndarray  # float64, rate (1/h) at which a shipment there is reported (refreshed every planning period)
    tip_before: np.ndarray  # float64, tips expected along the route before entering each position (tip_hazard_before)
    flow_marks: np.ndarray  # (FLOW_ROWS, positions) int64, the kernel's flow marks so far, one row per kernel thread

    def extend(self, other: AlongRoutes) -> AlongRoutes:
        """These positions followed by ``other``'s (for routes appended to the table)."""
        return AlongRoutes(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)], axis=-1) for f in fields(self)))

    def subset(self, positions: np.ndarray) -> AlongRoutes:
        """Only these positions, in this order (for routes kept by :meth:`RouteTable.subset`).

        Whole routes only: a route's flow marks sum to its flow along it alone (:func:`sim.kernels.movement.flow_from_marks`).
        """
        return AlongRoutes(*(getattr(self, f.name)[..., positions] for f in fields(self)))


@dataclass(frozen=True)
class CellPositions:
    """The route positions on each cell of a route table, as :func:`sim.kernels.coverage.cover_along_routes` reads them.

    Attributes:
        cells: the table's ``cells`` these positions index (the table they were made for).
        near_route: (ceil(H*W / 2**(ROUTE_RUN_SHIFT + 3)),) uint8 bits (little-endian), set for runs of
            2**ROUTE_RUN_SHIFT flat cells holding a cell on a route.
        on_route: (ceil(H*W / 8),) uint8 bits (little-endian), set for cells on a route.
        route_cells: (U,) int64 the cells on a route, ascending.
        first: (U + 1,) int64 where each cell's positions start in ``positions``.
        positions: (sum L,) int64 route positions, grouped by cell.
    """

    cells: np.ndarray
    near_route: np.ndarray
    on_route: np.ndarray
    route_cells: np.ndarray
    first: np.ndarray
    positions: np.ndarray
    looks: np.ndarray

    @classmethod
    def of(cls, cells: np.ndarray, raster_size: int) -> CellPositions:
        """The positions on each cell of the route positions ``cells`` (flat cells of a raster of ``raster_size`` cells)."""
        positions = np.argsort(cells, kind="stable")
        route_cells, first = np.unique(cells[positions], return_index=True)
        on_route = np.zeros(raster_size, dtype=bool)
        on_route[route_cells] = True
        near_route = np.zeros(-(-raster_size >> ROUTE_RUN_SHIFT), dtype=bool)
        near_route[route_cells >> ROUTE_RUN_SHIFT] = True
        return cls(cells, np.packbits(near_route, bitorder="little"), np.packbits(on_route, bitorder="little"), route_cells,
                   np.append(first, cells.size), positions, np.zeros((route_cells.size, 4), dtype=np.float32))


@dataclass(frozen=True)
class RouteLayers:
    """The rasters the kernel's inputs are read from.

    Attributes:
        hours: (H, W) hours to cross each cell.
        checkpoint: (H, W) checkpoint detection probability of a passage through its radius (static).
        drone: (H, W) drone detection probability this step (updated in place by the air phase).
        tip: the community's tip probability per step at flat cells (a shipment there for the whole step).
        tip_per_h: the rate (1/h) at which a shipment is reported at flat cells.
        end_hours: (E,) hours that ending a route at each of its ends (``RouteTable.sink``) adds to entering its
            last cell (:attr:`sim.ports.Crossings.extra_hours`).
    """

    hours: np.ndarray
    checkpoint: np.ndarray
    drone: np.ndarray
    tip: Callable[[np.ndarray], np.ndarray]
    tip_per_h: Callable[[np.ndarray], np.ndarray]
    end_hours: np.ndarray


class RouteBook:
    """The route table in use and everything aligned with it.

    Args:
        table: the routes planned when the model is built.
        layers: the rasters the kernel's inputs are read from.
    """

    def __init__(self, table: RouteTable, layers: RouteLayers) -> None:
        self.layers = layers
        self.routes = table
        self.along = self._along(table)
        self.routes_planned = int(table.source.size)
        self.launches = np.zeros(table.source.size, dtype=np.int64)  # (R,) shipments launched on each route
        self._retired_flow = np.zeros(layers.hours.size, dtype=np.int64)  # flow raster of dropped routes
        self._retired_launches = np.zeros(layers.hours.size, dtype=np.int64)  # launch raster of dropped routes
        self._drone_positions: CellPositions | None = None  # made at the first refresh, remade when the table changes
        self._drone_written = np.zeros(0, dtype=np.int64)  # positions with drone cover, the first few in use
        self._n_drone_written = 0

    def _along(self, table: RouteTable) -> AlongRoutes:
        """The kernel's inputs at the positions of ``table``'s routes, with no flow yet."""
        lay = self.layers
        hours = table.along(lay.hours)
        hours[table.start + table.length - 1] += lay.end_hours[table.sink].astype(hours.dtype)
        tip_per_h = lay.tip_per_h(table.cells)
        checkpoint = checkpoint_passages(table.along(lay.checkpoint), table.start, table.length)
        return AlongRoutes(hours=hours, checkpoint_passage=checkpoint, drone=table.along(lay.drone),
                           drone_looks=np.zeros((4, table.cells.size), dtype=np.float32), tip_per_h=tip_per_h,
                           tip_before=tip_hazard_before(tip_per_h, hours, table.start, table.length),
                           flow_marks=np.zeros((FLOW_ROWS, table.cells.size), dtype=np.int64))

    def add(self, table: RouteTable, sources: np.ndarray) -> np.ndarray:
        """Append routes planned from ``sources`` (indices into ``World.sources``); return their ids.

        ``table.source`` indexes ``sources``. Shipments already under way keep the route they set off on.
        """
        table.source = sources[table.source]
        self.routes, ids = self.routes.extend(table)
        self.along = self.along.extend(self._along(table))
        self.launches = np.concatenate([self.launches, np.zeros(ids.size, dtype=np.int64)])
        self.routes_planned += int(table.source.size)
        return ids

    def count_launches(self, route_ids: np.ndarray) -> None:
        """Count one launch on each of ``route_ids`` (repeats count again)."""
        self.launches += np.bincount(route_ids, minlength=self.launches.size)

    def drop_unused(self, used: np.ndarray) -> np.ndarray | None:
        """Drop the routes not ``used`` ((R,) bool), renumbering the rest in order.

        Their flow and launches are kept in the flow and launch rasters. Route ids only index the
        table, so nothing a run reports changes; the table stops growing with every re-plan.

        Returns:
            (R,) int64 new id of each old route (-1 if dropped), or None when every route is used.
        """
        if used.all():
            return None
        routes, flow = self.routes, self.flow_along()
        kept = np.flatnonzero(used)
        self.routes, positions = routes.subset(kept)
        dropped = np.ones(routes.cells.size, dtype=bool)
        dropped[positions] = False
        self._retired_flow += self._flow_raster(routes.cells[dropped], flow[dropped])
        self._retired_launches += self._flow_raster(routes.cells[dropped], np.repeat(self.launches, routes.length)[dropped])
        self.along = self.along.subset(positions)
        self.launches = self.launches[kept]
        renumbered = np.full(routes.source.size, -1, dtype=np.int64)
        renumbered[kept] = np.arange(kept.size)
        return renumbered

    def drone_positions(self) -> CellPositions:
        """The route positions on each cell of the routes in use, with the drones' looks at those cells.

        Remade when routes were added or dropped. :func:`sim.kernels.coverage.stamp_coverage` writes the
        looks, then :meth:`refresh_drone` reads them along the routes.
        """
        index = self._drone_positions
        if index is None or index.cells is not self.routes.cells:  # routes added or dropped since: some read the raster
            index = self._drone_positions = CellPositions.of(self.routes.cells, self.layers.drone.size)
            self._drone_written = np.zeros(self.along.drone.size, dtype=np.int64)
            covered = np.flatnonzero(self.along.drone)
            self._drone_written[:covered.size], self._n_drone_written = covered, covered.size
        return index

    def refresh_drone(self, cells: np.ndarray) -> None:
        """Read this step's drone detection probability, and the looks it combines, along every route.

        Only the positions on ``cells`` (flat) and those with drone cover after the last refresh are
        written: ``cells`` must hold every cell with drone cover now.
        """
        index = self.drone_positions()
        self._n_drone_written = cover_along_routes(self.layers.drone.reshape(-1), cells, index.near_route, index.on_route,
                                                   index.route_cells, index.first, index.positions, self.along.drone,
                                                   self._drone_written, self._n_drone_written, index.looks,
                                                   self.along.drone_looks)

    def refresh_tip(self) -> None:
        """Read the community's tip rate along every route (after trust changed)."""
        self.along.tip_per_h = self.layers.tip_per_h(self.routes.cells)
        self.along.tip_before = tip_hazard_before(self.along.tip_per_h, self.along.hours, self.routes.start, self.routes.length)

    @property
    def flow(self) -> np.ndarray:
        """(H*W,) int64: shipment-steps each cell has carried so far."""
        return self._retired_flow + self._flow_raster(self.routes.cells, self.flow_along())

    def flow_along(self) -> np.ndarray:
        """(sum L,) int64: shipment-steps each position of the routes in use has carried so far."""
        return flow_from_marks(self.along.flow_marks, self.routes.start, self.routes.length)

    @property
    def launch_raster(self) -> np.ndarray:
        """(H*W,) int64: shipments launched on the routes through each cell so far, summed over those routes.

        Every cell of a route counts each launch on it, wherever the shipment ended up: the routes
        in use weighted by launches, not the cells shipments reached.
        """
        routes = self.routes
        return self._retired_launches + self._flow_raster(routes.cells, np.repeat(self.launches, routes.length))

    def _flow_raster(self, cells: np.ndarray, flow: np.ndarray) -> np.ndarray:
        """(H*W,) int64: the values (flow or launches) of the route positions at ``cells`` summed per cell."""
        return np.bincount(cells, weights=flow, minlength=self.layers.hours.size).astype(np.int64)
