"""Raster inputs as GeoTIFF (``.tif``, ``.tiff``) or ``.npy``, and what an elevation raster means for travel.

A ``.npy`` raster (:mod:`sim.npy_input`) is taken as is, cell for cell: it must have the world's
shape (on a georeferenced world it is taken to lie on the world's grid). A GeoTIFF (read with
rasterio, whose wheels carry GDAL) is read from its first band:

- on an abstract km world (``world.crs`` ""), it must have the world's shape and is taken as is,
  cell for cell, like the equivalent ``.npy``;
- on a georeferenced world (:mod:`sim.georef`), it must carry a CRS and cover the world's grid
  (every cell centre), and is reprojected onto the grid: nearest neighbour for land cover (codes
  stay codes), the maximum for roads (a cell holding any road pixel is a road, so a road stays
  connected on cells coarser than its pixels), bilinear for elevation and travel cost, and ``sum``
  for population, so that people are counted, not averaged, and the total is kept. Only the
  window of the file over the world is read. A raster whose CRS puts it elsewhere does not
  cover the world and is refused.

A GeoTIFF's nodata cells (its nodata value, and NaN) mean: cost impassable (inf; an inf cost is
treated as nodata while resampling, so impassable cells never blend into finite costs);
population 0; elevation flat (no slowing; land cover decides where is passable); land cover
NaN, which :mod:`sim.world` makes BARRIER (impassable: unknown land); roads none. A GeoTIFF with
no data over the world is refused.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.georef import GEOTIFF_SUFFIXES, Grid, GridError, grid_of
from sim.npy_input import NUMERIC_KINDS, read_raster
from sim.scenario import SOURCE_CHARS, Scenario, ScenarioError, one_line

if TYPE_CHECKING:  # rasterio is imported where a GeoTIFF is read: worlds of .npy rasters never load it
    from rasterio.io import DatasetReader
    from rasterio.windows import Window

COST_FIELD, POPULATION_FIELD = "world.cost_file", "world.population_file"
ELEVATION_FIELD, LANDCOVER_FIELD, ROADS_FIELD = "world.elevation_file", "world.landcover_file", "world.roads_file"
TOBLER_DECAY = 3.5  # Tobler (1993): walking speed 6 exp(-3.5 |slope + 0.05|) km/h
MAX_SLOPE = 10.0  # rise over run: a steeper cell slows as much as this one (a cliff; no overflow)
WINDOW_MARGIN = 2  # source pixels read beyond the world's footprint, for bilinear resampling at its edges
MAX_SOURCE_CELLS = 50_000_000  # source cells read for one raster (400 MB as float64)
COVERED_SHARE = 0.5  # a raster covers the world when its bounds fall short of the world's by at most this share of a cell


@dataclass(frozen=True)
class Layer:
    """How one kind of raster is resampled and what its nodata cells become.

    Attributes:
        resampling: GDAL resampling onto a georeferenced world's grid (the name of a ``rasterio.enums.Resampling``).
        fill: the value of a nodata cell.
        inf_is_nodata: whether an inf value is resampled as nodata (and so becomes ``fill``).
        kinds: numpy dtype kinds accepted in a ``.npy`` file.
    """

    resampling: str
    fill: float
    inf_is_nodata: bool = False
    kinds: str = NUMERIC_KINDS


LAYERS = {
    COST_FIELD: Layer("bilinear", np.inf, inf_is_nodata=True),
    POPULATION_FIELD: Layer("sum", 0.0),
    ELEVATION_FIELD: Layer("bilinear", np.nan),
    LANDCOVER_FIELD: Layer("nearest", np.nan),  # sim.world makes it BARRIER
    ROADS_FIELD: Layer("max", 0.0, kinds=NUMERIC_KINDS + "b"),
}


def world_grid(scenario: Scenario) -> Grid | None:
    """The scenario's georeferenced grid (:func:`sim.georef.grid_of`), or None on an abstract km world.

    Raises:
        ScenarioError: a bad CRS, bbox or grid raster.
    """
    try:
        return grid_of(scenario)
    except GridError as err:
        raise ScenarioError(scenario.source, err.field, err.expected) from None


def read_layer(scenario: Scenario, field: str, grid: Grid | None, shape: tuple[int, int]) -> np.ndarray | None:
    """The raster named by ``field`` on the world's cells as float64 (nodata filled, see the module), or None when unset.

    Args:
        scenario: the scenario naming the raster.
        field: one of :data:`LAYERS`.
        grid: the world's georeferenced grid, or None on an abstract km world.
        shape: the world's (rows, columns).

    Raises:
        ScenarioError: the file is not a ``.npy`` or a readable GeoTIFF, is of the wrong shape on an
            abstract world, has no CRS or does not cover the grid of a georeferenced world, or holds no data there.
    """
    path = scenario.resolve_path(field)
    if path is None:
        return None
    layer = LAYERS[field]

    def refused(expected: str) -> ScenarioError:
        return ScenarioError(scenario.source, field, f"{expected}: {one_line(str(path), SOURCE_CHARS)}")

    suffix = path.suffix.lower()
    if suffix == ".npy":
        return read_raster(path, shape, scenario.source, field, layer.kinds).astype(np.float64)
    if suffix not in GEOTIFF_SUFFIXES:
        raise refused(f"expected a .npy or GeoTIFF ({', '.join(GEOTIFF_SUFFIXES)}) raster, got a {suffix or 'suffixless'} file")
    if not path.is_file():
        raise refused("file not found" if not path.exists() else "expected a regular GeoTIFF file")
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a GeoTIFF without a CRS is fine on an abstract world
            with rasterio.open(path) as src:
                if src.driver != "GTiff":
                    raise refused(f"expected a GeoTIFF, got a {src.driver} raster")
                if src.count != 1 or np.dtype(src.dtypes[0]).kind not in NUMERIC_KINDS:
                    raise refused(f"expected one band of integers or floating point, got {src.count} band(s) of {src.dtypes[0]}")
                values = _on_world(src, layer, grid, shape, refused)
    except (RasterioIOError, OSError) as err:
        raise refused(f"expected a readable GeoTIFF ({one_line(str(err), 120)})") from None
    if np.isnan(values).all():
        raise refused("expected data over the world, found only nodata")
    return np.where(np.isnan(values), layer.fill, values)


def _on_world(src: DatasetReader, layer: Layer, grid: Grid | None, shape: tuple[int, int], refused) -> np.ndarray:
    """The first band of ``src`` on the world's cells, float64, NaN where it has no data.

    On a georeferenced world only the window of ``src`` over the world (and a margin of
    :data:`WINDOW_MARGIN` pixels) is read, at most :data:`MAX_SOURCE_CELLS` cells.
    """
    from rasterio.enums import Resampling
    from rasterio.warp import reproject, transform_bounds
    from rasterio.windows import Window

    if grid is None:
        if (src.height, src.width) != shape:
            raise refused(f"expected a raster of shape {shape} (world.height, world.width) on a world without world.crs, "
                          f"got {(src.height, src.width)}")
        return _band(src, layer, None)
    if src.crs is None:
        raise refused(f"expected a georeferenced GeoTIFF (with a CRS) on a world in {grid.crs}, got one without a CRS")
    _check_covers(src, grid, refused)
    footprint = src.window(*transform_bounds(grid.crs, src.crs, *grid.bounds))
    col0, row0 = math.floor(footprint.col_off) - WINDOW_MARGIN, math.floor(footprint.row_off) - WINDOW_MARGIN
    col1 = math.ceil(footprint.col_off + footprint.width) + WINDOW_MARGIN
    row1 = math.ceil(footprint.row_off + footprint.height) + WINDOW_MARGIN
    window = Window(col0, row0, col1 - col0, row1 - row0).intersection(Window(0, 0, src.width, src.height))
    cells = window.width * window.height
    if cells > MAX_SOURCE_CELLS:
        raise refused(f"expected at most {MAX_SOURCE_CELLS:,} raster cells over the world, found {cells:,.0f} "
                      "(resample it coarser first, e.g. gdalwarp -tr)")
    out = np.full(shape, np.nan)
    reproject(_band(src, layer, window), out, src_transform=src.window_transform(window), src_crs=src.crs, src_nodata=np.nan,
              dst_transform=grid.transform, dst_crs=grid.crs, dst_nodata=np.nan, resampling=Resampling[layer.resampling])
    return out


def _band(src: DatasetReader, layer: Layer, window: Window | None) -> np.ndarray:
    """Band 1 of ``src`` (within ``window``) as float64, NaN where it has no data (and at inf when that means nodata)."""
    values = src.read(1, window=window, masked=True).astype(np.float64).filled(np.nan)
    if layer.inf_is_nodata:
        values[np.isinf(values)] = np.nan
    return values


def _check_covers(src: DatasetReader, grid: Grid, refused) -> None:
    """Refuse ``src`` unless its bounds, in the grid's CRS, hold the centre of every cell of the grid."""
    from rasterio._err import CPLE_BaseError
    from rasterio.errors import RasterioError
    from rasterio.warp import transform_bounds

    try:
        west, south, east, north = transform_bounds(src.crs, grid.crs, *src.bounds)
    except (ValueError, RasterioError, CPLE_BaseError):  # a CRS that PROJ cannot relate to the grid's (another body's)
        west = south = east = north = np.nan
    gw, gs, ge, gn = grid.bounds
    margin = COVERED_SHARE * grid.cell_km * 1000.0
    if not (west <= gw + margin and south <= gs + margin and east >= ge - margin and north >= gn - margin):
        raise refused(f"expected a raster covering the world's grid ({gw:.0f}, {gs:.0f}, {ge:.0f}, {gn:.0f} m in {grid.crs}); "
                      f"in {grid.crs} it spans ({west:.0f}, {south:.0f}, {east:.0f}, {north:.0f}) m (CRS {src.crs})")


def tobler_slowdown(elevation_m: np.ndarray, cell_km: float) -> np.ndarray:
    """How many times longer crossing each cell takes than on flat ground, from the slope of the terrain.

    Tobler's hiking function (W. Tobler, 1993, "Three presentations on geographical analysis and modeling",
    NCGIA technical report 93-1) gives walking speed 6 exp(-3.5 |s + 0.05|) km/h on slope s (rise over run).
    Taken symmetric in |s| (a cell is crossed either way), its ratio to flat ground is exp(-3.5 |s|), so the
    time grows by exp(3.5 |s|), s the steepest slope at the cell (the gradient's magnitude, at most
    :data:`MAX_SLOPE`). Cells without
    elevation (NaN) and their neighbours are taken as flat.

    Args:
        elevation_m: (H, W) elevation, metres; NaN where unknown.
        cell_km: side of a cell, km.

    Returns:
        (H, W) float64 factors ≥ 1.
    """
    if min(elevation_m.shape) < 2:
        return np.ones_like(elevation_m)
    rise_y, rise_x = np.gradient(elevation_m, cell_km * 1000.0)
    slope = np.minimum(np.hypot(rise_x, rise_y), MAX_SLOPE)
    return np.where(np.isfinite(slope), np.exp(TOBLER_DECAY * np.nan_to_num(slope)), 1.0)
