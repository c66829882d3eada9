"""Authorised airspace: where the host government lets the partner's aircraft patrol and sense.

The scenario names it as polygons in km (``airspace.zones_km``; x west to east, y north to south
from the raster's north-west corner) and/or a ``.npy`` raster (``airspace.mask_file``, H × W, bool
or 0/1). A cell is authorised when its centre lies inside a polygon (even-odd rule) or the file
marks it; with neither set, everywhere is authorised and the mask is :data:`EVERYWHERE` (an
empty array, the kernels' fast path).

What holds in the air (:mod:`sim.kernels.flight`, :mod:`sim.kernels.coverage`):

* sensing: no cell outside the mask is ever covered (checked after every step in validating mode);
* patrol waypoints lie in authorised cells; a patrol leg that starts in authorised airspace is
  walked cell by cell and cut at the first cell outside, so it never leaves (for a convex zone a
  straight leg between two inside points is never cut);
* transit is free: a drone taking off from a base outside the zones flies straight to an
  authorised waypoint, and flies home the same way, sensing only over authorised cells.

Each drone's patrol sector is shrunk to the bounding box of the authorised cells in it, so in a
rectangular zone (a band) random search keeps its uniform density and the search law.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.npy_input import NUMERIC_KINDS, read_raster
from sim.params import Polygons
from sim.scenario import Scenario, ScenarioError, shown

ZONES_FIELD, MASK_FIELD = "airspace.zones_km", "airspace.mask_file"
EVERYWHERE = np.zeros((0, 0), dtype=np.bool_)  # the kernels' mask when all airspace is authorised
MIN_POINTS = 3
MAX_POINTS = 4096  # points per polygon: the self-intersection check is quadratic; finer borders belong in a mask file
AREA_EPS_KM2 = 1e-9  # a polygon with less area than this is degenerate


def _shoelace_km2(points: np.ndarray) -> float:
    """Unsigned area of the polygon with (n, 2) vertices ``points``, km²."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _orientation(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Sign of the turn a → b → c: +1 left, -1 right, 0 collinear."""
    return np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))


def self_intersects(points: np.ndarray) -> bool:
    """Whether two non-adjacent edges of the closed polygon ``points`` ((n, 2)) cross properly."""
    n = len(points)
    start, end = points, np.roll(points, -1, axis=0)
    for i in range(n - 2):
        j = np.arange(i + 2, n if i > 0 else n - 1)  # edges not sharing a vertex with edge i
        if j.size == 0:
            continue
        (ax, ay), (bx, by) = start[i], end[i]
        cx, cy, dx, dy = start[j, 0], start[j, 1], end[j, 0], end[j, 1]
        crosses = (_orientation(ax, ay, bx, by, cx, cy) * _orientation(ax, ay, bx, by, dx, dy) < 0) & \
                  (_orientation(cx, cy, dx, dy, ax, ay) * _orientation(cx, cy, dx, dy, bx, by) < 0)
        if crosses.any():
            return True
    return False


def rasterise(points: np.ndarray, shape: tuple[int, int], cell_km: float) -> np.ndarray:
    """(H, W) bool, the cells whose centre lies inside the polygon ``points`` ((n, 2) km), by the even-odd rule."""
    h, w = shape
    centres_y = (np.arange(h) + 0.5) * cell_km
    crossings = np.zeros((h, w + 1), dtype=np.int64)  # crossings[r, k]: edges crossing row r's ray left of cell k
    for (x0, y0), (x1, y1) in zip(points, np.roll(points, -1, axis=0), strict=True):
        rows = np.flatnonzero((np.minimum(y0, y1) <= centres_y) & (centres_y < np.maximum(y0, y1)))
        if rows.size == 0:
            continue
        x_cross = x0 + (centres_y[rows] - y0) * (x1 - x0) / (y1 - y0)
        first_right = np.clip(np.ceil(x_cross / cell_km - 0.5), 0, w).astype(np.int64)  # cells from here lie right of it
        np.add.at(crossings, (rows, first_right), 1)
    return (np.cumsum(crossings, axis=1)[:, :w] % 2).astype(bool)  # cells with an odd number of edges to their left


def _zone_mask(zones: Polygons, shape: tuple[int, int], cell_km: float, source: str) -> np.ndarray:
    """(H, W) bool union of the zones, each checked: enough points, an area, simple, inside the world, over a cell centre."""
    h, w = shape
    mask = np.zeros(shape, dtype=bool)
    for k, zone in enumerate(zones):
        def refused(expected: str, k: int = k) -> ScenarioError:
            return ScenarioError(source, f"{ZONES_FIELD}[{k}]", expected)

        points = np.array(zone, dtype=np.float64).reshape(-1, 2)
        if not MIN_POINTS <= len(points) <= MAX_POINTS:
            raise refused(f"expected a polygon of {MIN_POINTS} to {MAX_POINTS} [x, y] points (finer borders: {MASK_FIELD}), "
                          f"got {len(points)}")
        outside = np.flatnonzero((points[:, 0] > w * cell_km) | (points[:, 1] > h * cell_km))
        if outside.size:
            raise refused(f"expected points inside the world, x in [0, {w * cell_km:g}] and y in [0, {h * cell_km:g}] km, "
                          f"got {shown(list(zone[int(outside[0])]))}")
        if self_intersects(points):
            raise refused("expected a simple polygon, got one whose edges cross")
        if _shoelace_km2(points) < AREA_EPS_KM2:
            raise refused("expected a polygon of non-zero area, got one whose points lie on a line")
        cells = rasterise(points, shape, cell_km)
        if not cells.any():
            raise refused(f"expected a polygon over at least one cell centre ({cell_km:g} km cells), got one over none")
        mask |= cells
    return mask


def _file_mask(scenario: Scenario, shape: tuple[int, int]) -> np.ndarray | None:
    """(H, W) bool of the mask file, or None when unset; every value must be 0 or 1."""
    path = scenario.resolve_path(MASK_FIELD)
    if path is None:
        return None
    raster = read_raster(path, shape, scenario.source, MASK_FIELD, "b" + NUMERIC_KINDS)
    bad = np.flatnonzero((raster != 0) & (raster != 1))
    if bad.size:
        row, col = divmod(int(bad[0]), shape[1])
        raise ScenarioError(scenario.source, MASK_FIELD, f"expected 0 or 1 (false or true) in every cell; found "
                                                         f"{shown(raster[row, col].item())} at row {row}, column {col}")
    return raster.astype(bool)


def authorised_mask(scenario: Scenario, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool authorised cells of ``scenario``'s world, or :data:`EVERYWHERE` when it restricts nothing.

    Raises:
        ScenarioError: a degenerate, self-intersecting or out-of-world polygon, a bad mask file,
            or zones and file that authorise no cell.
    """
    a = scenario.params.airspace
    from_file = _file_mask(scenario, shape)
    if not a.zones_km and from_file is None:
        return EVERYWHERE
    mask = _zone_mask(a.zones_km, shape, scenario.params.world.cell_km, scenario.source)
    if from_file is not None:
        mask |= from_file
    if not mask.any():
        raise ScenarioError(scenario.source, MASK_FIELD, "expected at least one authorised cell, got none")
    return mask


def authorised_share(mask: np.ndarray) -> float:
    """Share of the territory's cells that are authorised (1 when everywhere is)."""
    return 1.0 if mask.size == 0 else float(mask.mean())


@dataclass
class PatrolAirspace:
    """What the flight and coverage kernels read of the authorised airspace.

    Attributes:
        allowed: (H, W) bool authorised cells, or :data:`EVERYWHERE` (size 0).
        cells: (N,) int64 flat authorised cells within the patrol band (uniform waypoints from outside).
    """

    allowed: np.ndarray
    cells: np.ndarray

    @classmethod
    def fitted(cls, mask: np.ndarray, sector: np.ndarray) -> PatrolAirspace:
        """The kernels' view of ``mask``; shrinks each row (x0, y0, x1, y1) of ``sector`` to its authorised cells' bounding box.

        A sector holding no authorised cell (a lawnmower strip between zones) becomes the
        bounding box of all of them.
        """
        if mask.size == 0:
            return cls(EVERYWHERE, np.zeros(0, dtype=np.int64))
        if sector.size == 0:  # no platform flies
            return cls(mask, np.flatnonzero(mask))
        h, w = mask.shape
        rows, cols = np.nonzero(mask)
        everywhere = (float(cols.min()), float(rows.min()), cols.max() + 1.0, rows.max() + 1.0)
        for box in np.unique(sector, axis=0):
            c0, r0 = max(int(np.floor(box[0])), 0), max(int(np.floor(box[1])), 0)
            rows, cols = np.nonzero(mask[r0:min(int(np.ceil(box[3])), h), c0:min(int(np.ceil(box[2])), w)])
            fitted = everywhere if rows.size == 0 else (
                max(box[0], c0 + cols.min()), max(box[1], r0 + rows.min()),
                min(box[2], c0 + cols.max() + 1.0), min(box[3], r0 + rows.max() + 1.0))
            sector[np.all(sector == box, axis=1)] = fitted
        band = np.zeros_like(mask)
        band[:, int(np.floor(sector[:, 0].min())):int(np.ceil(sector[:, 2].max()))] = True
        return cls(mask, np.flatnonzero(mask & band))

    def sensed_outside(self, cover: np.ndarray) -> int:
        """Cells of ``cover`` ((H, W)) sensed outside the authorised airspace."""
        return 0 if self.allowed.size == 0 else int(np.count_nonzero(cover[~self.allowed]))
