"""The georeferenced grid: where on Earth the world's cells lie, when ``world.crs`` names a projected CRS.

``world.crs`` ("" = an abstract grid of km cells, as in every procedural world) is a projected CRS in
metres, e.g. ``EPSG:32612`` (UTM zone 12 N). The grid is north-up, its cells square, and it is set
in one of two ways:

- ``world.bbox`` = [west, south, east, north] in degrees (WGS 84 lon/lat): the grid covers that box
  projected into ``world.crs`` (the smallest projected rectangle holding it), from its north-west
  corner, in cells of ``world.cell_km``; ``world.height`` and ``world.width`` follow from it
  (rounded up) and the resolved scenario records them.
- no bbox: the grid is the own grid of the first GeoTIFF raster named (in the order of
  :data:`RASTER_FIELDS`), which must be in ``world.crs``, north-up, with square pixels in metres;
  ``world.height``, ``world.width`` and ``world.cell_km`` follow from it.

This module knows no scenario (the scenario completes its parameters from it, :mod:`sim.scenario`);
it raises :class:`GridError` naming the field at fault, which the scenario turns into its one-line error.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:  # rasterio is imported where a CRS is used: worlds without one never load it
    from rasterio.crs import CRS
    from rasterio.transform import Affine

LONLAT = "EPSG:4326"  # WGS 84 longitude, latitude: world.bbox, sites.*_lonlat and GeoJSON (RFC 7946)
M_PER_KM = 1000.0
CRS_FIELD, BBOX_FIELD = "world.crs", "world.bbox"
# The rasters a world may load, in the order in which the first GeoTIFF among them sets the grid when there is no bbox.
RASTER_FIELDS = ("world.cost_file", "world.elevation_file", "world.landcover_file", "world.roads_file",
                 "world.population_file")
GEOTIFF_SUFFIXES = (".tif", ".tiff")
BBOX_DENSIFY = 21  # points along each bbox edge projected, so the projected rectangle holds the curved edges
QUOTED_CHARS = 60  # a CRS text quoted in a message is cut to this many characters
PATH_CHARS = 300  # and a file name
SQUARE_TOLERANCE = 1e-6  # relative difference allowed between a pixel's width and height


class GridError(ValueError):
    """A georeferencing parameter or the raster setting the grid is wrong.

    Attributes:
        field: the parameter at fault.
        expected: what was expected, and what was found.
    """

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{field}: {expected}")
        self.field = field
        self.expected = expected


class Located(Protocol):
    """What :func:`grid_of` reads of a scenario: its values and the files they name."""

    values: dict[str, Any]

    def resolve_path(self, name: str) -> Path | None:
        """The file named by path parameter ``name``, or None when unset."""


@dataclass(frozen=True)
class Grid:
    """A north-up grid of square cells in a projected CRS.

    Attributes:
        crs: the projected CRS, as given (``EPSG:32612``).
        west: x of the grid's west edge, metres in ``crs``.
        north: y of the grid's north edge, metres in ``crs``.
        cell_km: side of a cell, km.
        height: rows.
        width: columns.
    """

    crs: str
    west: float
    north: float
    cell_km: float
    height: int
    width: int

    @property
    def transform(self) -> Affine:
        """The affine transform from (column, row) to projected (x, y) metres, as GDAL and rasterio use it."""
        from rasterio.transform import Affine

        cell_m = self.cell_km * M_PER_KM
        return Affine(cell_m, 0.0, self.west, 0.0, -cell_m, self.north)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the grid, metres in ``crs``."""
        cell_m = self.cell_km * M_PER_KM
        return self.west, self.north - self.height * cell_m, self.west + self.width * cell_m, self.north

    def lonlat_to_km(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        """(x_km, y_km) of WGS 84 points: x west to east and y north to south from the grid's north-west corner.

        NaN for a point the grid's CRS cannot project (outside its projection's domain, as PROJ says).
        """
        from rasterio._err import CPLE_BaseError
        from rasterio.warp import transform

        lons = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lats = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        try:
            xs, ys = (np.asarray(v, dtype=np.float64) for v in transform(LONLAT, self.crs, lons.tolist(), lats.tolist()))
        except CPLE_BaseError:  # one point PROJ refuses fails them all: project them one by one
            xs, ys = np.full(lons.size, np.nan), np.full(lons.size, np.nan)
            for i, (x, y) in enumerate(zip(lons.tolist(), lats.tolist(), strict=True)):
                with contextlib.suppress(CPLE_BaseError):
                    (xs[i],), (ys[i],) = transform(LONLAT, self.crs, [x], [y])
        unprojected = ~(np.isfinite(xs) & np.isfinite(ys))
        xs[unprojected] = ys[unprojected] = np.nan
        return (xs - self.west) / M_PER_KM, (self.north - ys) / M_PER_KM


def on_earth(lon: Any, lat: Any) -> np.ndarray:
    """Whether WGS 84 points are lon in [-180, 180] and lat in [-90, 90] degrees (False for NaN), as PROJ needs them."""
    return (np.abs(np.asarray(lon, dtype=np.float64)) <= 180) & (np.abs(np.asarray(lat, dtype=np.float64)) <= 90)


def _quoted(text: str) -> str:
    """``text`` quoted for a one-line message: escaped, and cut to :data:`QUOTED_CHARS` characters."""
    return repr(text[:QUOTED_CHARS]) + ("…" if len(text) > QUOTED_CHARS else "")


def _cut(path: Path) -> str:
    """``path`` for a one-line message: control characters escaped, cut to :data:`PATH_CHARS` characters."""
    text = repr(str(path))[1:-1]
    return text[:PATH_CHARS] + ("…" if len(text) > PATH_CHARS else "")


def projected_crs(text: str) -> CRS:
    """The CRS ``text`` names, which must be projected with metre units.

    Raises:
        GridError: ``text`` names no CRS, a geographic one or one in other units.
    """
    import rasterio
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    try:
        with rasterio.Env():  # its error handler keeps GDAL from printing its own "ERROR 1: PROJ: ..." line
            crs = CRS.from_user_input(text)
    except CRSError:
        raise GridError(CRS_FIELD, f"expected a projected CRS in metres such as 'EPSG:32612', got {_quoted(text)}") from None
    if not crs.is_projected or crs.linear_units_factor[1] != 1.0:
        why = ("geographic, in degrees" if crs.is_geographic else "not projected: geocentric or local" if not crs.is_projected
               else "not in metres")
        raise GridError(CRS_FIELD, f"expected a projected CRS in metres such as 'EPSG:32612', got {_quoted(text)} ({why})")
    return crs


def _grid_of_bbox(crs: str, bbox: tuple[float, ...], cell_km: float) -> Grid:
    """The grid covering ``bbox`` (west, south, east, north degrees) projected into ``crs``, in cells of ``cell_km``."""
    import rasterio
    from rasterio._err import CPLE_BaseError
    from rasterio.errors import RasterioError
    from rasterio.warp import transform_bounds

    west, south, east, north = bbox
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise GridError(BBOX_FIELD, f"expected [west, south, east, north] in degrees, west < east in [-180, 180] and "
                                    f"south < north in [-90, 90], got {list(bbox)}")
    try:
        with rasterio.Env():  # GDAL's own "ERROR ..." lines stay unprinted
            x0, y0, x1, y1 = transform_bounds(LONLAT, crs, west, south, east, north, densify_pts=BBOX_DENSIFY)
    except (ValueError, RasterioError, CPLE_BaseError):  # a CRS of another body, or one PROJ cannot relate to lon/lat
        raise GridError(CRS_FIELD, f"expected a CRS of the Earth that longitude and latitude project into, got {_quoted(crs)}"
                        ) from None
    if not all(map(math.isfinite, (x0, y0, x1, y1))):
        raise GridError(BBOX_FIELD, f"expected a box that {crs} can project, got {list(bbox)}")
    cell_m = cell_km * M_PER_KM
    return Grid(crs, x0, y1, cell_km, math.ceil((y1 - y0) / cell_m), math.ceil((x1 - x0) / cell_m))


def _grid_of_raster(crs: CRS, crs_text: str, field: str, path: Path) -> Grid:
    """The raster's own grid, which must be in ``crs``, north-up, with square pixels."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    if not path.is_file():  # a pipe or a device would block the reading
        raise GridError(field, f"expected a regular GeoTIFF file to take the grid from (world.bbox is unset): {_cut(path)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a raster without a CRS is refused below
            with rasterio.open(path) as src:
                own_crs, (a, b, c, d, e, f), height, width = src.crs, src.transform[:6], src.height, src.width
    except (RasterioIOError, OSError):
        raise GridError(field, f"expected a readable GeoTIFF to take the grid from (world.bbox is unset): {_cut(path)}") from None
    if own_crs is None or own_crs != crs:
        raise GridError(field, f"expected a raster in world.crs {crs_text} to take the grid from (world.bbox is unset), "
                               f"got CRS {own_crs.to_string() if own_crs else 'none'}: {_cut(path)}")
    if b or d or a <= 0 or e >= 0 or abs(a + e) > SQUARE_TOLERANCE * a:
        raise GridError(field, f"expected a north-up raster with square pixels to take the grid from (world.bbox is unset), "
                               f"got pixels of {a:g} × {-e:g} m (rotation {b:g}, {d:g}): {_cut(path)}")
    return Grid(crs_text, c, f, a / M_PER_KM, height, width)


def grid_of(scenario: Located) -> Grid | None:
    """The grid that a scenario's parameters set (see the module), or None on an abstract km grid (``world.crs`` "").

    Raises:
        GridError: a CRS that is not projected in metres, a bad bbox, or no bbox and no GeoTIFF raster
            in ``world.crs`` with square pixels to take the grid from.
    """
    values = scenario.values
    crs_text = values[CRS_FIELD]
    if not crs_text:
        if values[BBOX_FIELD]:
            raise GridError(BBOX_FIELD, "expected world.crs to be set (a projected CRS in metres) with a bbox")
        return None
    crs = projected_crs(crs_text)
    if values[BBOX_FIELD]:
        return _grid_of_bbox(crs_text, values[BBOX_FIELD], values["world.cell_km"])
    for field in RASTER_FIELDS:
        path = scenario.resolve_path(field)
        if path is not None and path.suffix.lower() in GEOTIFF_SUFFIXES:
            return _grid_of_raster(crs, crs_text, field, path)
    raise GridError(BBOX_FIELD, "expected [west, south, east, north] in degrees, or a GeoTIFF raster to take the grid from, "
                                "on a world with a CRS")
