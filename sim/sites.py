"""Sites where the user puts them: sources, sinks, air bases, checkpoints, unit posts and infrastructure, in km or lon/lat.

A kind's sites come from its list ``sites.KIND_km``, then its list ``sites.KIND_lonlat``, then the
sites of kind KIND in ``sites.file``: a CSV (header ``kind,x_km,y_km`` or ``kind,lon,lat`` in any
order, other columns ignored, spaces after the commas skipped) or a GeoJSON file (``.geojson``: a
FeatureCollection of Point features in WGS 84 lon/lat as RFC 7946 has it, each with
``properties.kind``; other properties, such as a name, are ignored). In km, x runs west to east and
y north to south from the raster's north-west corner, as in ``airspace.zones_km``; lon/lat need a
georeferenced world (``world.crs``, :mod:`sim.georef`), which projects them. Given sites replace
the kind's random placement, and the kind's count parameter (:data:`COUNTS`) must equal their
number, so costs, platforms and the resolved scenario all count what is on the map. A site lies
in the cell holding it (a point on the east or south edge in the last cell); a ground site (all
but air bases) on an impassable cell moves to the nearest passable cell, by straight-line
distance between cell centres.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from sim.geojson import features, read_text
from sim.georef import Grid, on_earth
from sim.scenario import SHOWN_CHARS, SOURCE_CHARS, Scenario, ScenarioError, one_line, shown

# Each kind of site and the count parameter that must equal the number given.
COUNTS = {"sources": "world.sources", "sinks": "world.sinks", "bases": "drones.bases",
          "checkpoints": "ground.checkpoints", "posts": "ground.units", "infrastructure": "world.infrastructure"}
AIR_KINDS = ("bases",)  # sites that need not be passable: aircraft fly from them
FILE_FIELD = "sites.file"
COLUMNS = ("kind", "x_km", "y_km")
LONLAT_COLUMNS = ("kind", "lon", "lat")
GEOJSON_SUFFIX = ".geojson"
MAX_FILE_BYTES = 8 << 20  # 8 MiB: far more than the most sites the counts allow, a few dozen bytes each


def list_field(kind: str, unit: str = "km") -> str:
    """The parameter listing the sites of ``kind`` in ``unit`` (km or lonlat): ``sites.sources_km``."""
    return f"sites.{kind}_{unit}"


# A site as read: kind, x or lon, y or lat, whether in lon/lat, and where it was given (for messages).
Site = tuple[str, float, float, bool, str]


def _file_sites(scenario: Scenario) -> list[Site]:
    """The sites of ``sites.file`` (CSV or GeoJSON) in the file's order, or none when it is unset.

    Raises:
        ScenarioError: the file is missing, unreadable, too large or not UTF-8; a CSV is malformed or
            its header lacks a column; a GeoJSON file is not a FeatureCollection of Points; a site has
            an unknown kind or a coordinate that is not a finite number.
    """
    path = scenario.resolve_path(FILE_FIELD)
    if path is None:
        return []

    def refused(expected: str) -> ScenarioError:
        return _file_error(scenario, path, expected)

    text = read_text(path, refused, MAX_FILE_BYTES, "sites file")
    return _geojson_sites(text, refused) if path.suffix.lower() == GEOJSON_SUFFIX else _csv_sites(text, refused)


def _csv_sites(text: str, refused) -> list[Site]:
    """The sites of a CSV: columns kind,x_km,y_km, or kind,lon,lat when it has no x_km."""
    reader = csv.DictReader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        return _csv_rows(reader, refused)
    except csv.Error as err:  # such as a field longer than the csv module's limit (128 Ki characters)
        line = reader.reader.line_num  # the line being read (the DictReader's own count stops at the last whole row)
        raise refused(f"line {line}: expected a well-formed CSV ({one_line(str(err), SHOWN_CHARS)})") from None


def _csv_rows(reader: csv.DictReader, refused) -> list[Site]:
    """The sites of the rows of ``reader``, once its header has the columns needed."""
    header = reader.fieldnames or ()
    lonlat = "x_km" not in header and "lon" in header
    columns = LONLAT_COLUMNS if lonlat else COLUMNS
    missing = [column for column in columns if column not in header]
    if missing:
        raise refused(f"expected a CSV with header columns {','.join(COLUMNS)} (or {','.join(LONLAT_COLUMNS)}), "
                      f"got one without {', '.join(missing)}")
    twice = [column for column in columns if header.count(column) > 1]
    if twice:  # a row would keep its last value and drop the others without a word
        raise refused(f"expected each header column once, got {', '.join(twice)} more than once")
    sites = []
    for row in reader:
        line = reader.line_num
        kind = row["kind"]
        if kind not in COUNTS:
            raise refused(f"line {line}: expected kind one of {'|'.join(COUNTS)}, got {shown(kind)}")
        x, y = (_finite(row[column]) for column in columns[1:])
        if x is None or y is None:
            raise refused(f"line {line}: expected numbers {columns[1]} and {columns[2]}, "
                          f"got {shown(row[columns[1]])} and {shown(row[columns[2]])}")
        sites.append((kind, x, y, lonlat, f"{FILE_FIELD} line {line}"))
    return sites


def _geojson_sites(text: str, refused) -> list[Site]:
    """The sites of a GeoJSON FeatureCollection of Point features in lon/lat, each with ``properties.kind``."""
    sites = []
    for i, feature in enumerate(features(text, refused)):
        where = f"{FILE_FIELD} feature {i}"
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        properties = feature.get("properties") if isinstance(feature, dict) else None
        kind = properties.get("kind") if isinstance(properties, dict) else None
        if not isinstance(kind, str) or kind not in COUNTS:
            raise refused(f"feature {i}: expected properties.kind one of {'|'.join(COUNTS)}, got {shown(kind)}")
        point = geometry.get("coordinates") if isinstance(geometry, dict) and geometry.get("type") == "Point" else None
        numbers = isinstance(point, list) and len(point) >= 2 and not any(isinstance(v, str) for v in point[:2])
        lon, lat = (_finite(v) for v in point[:2]) if numbers else (None, None)  # JSON numbers, as RFC 7946 has them
        if lon is None or lat is None:
            raise refused(f"feature {i}: expected a Point geometry with coordinates [lon, lat], got {shown(geometry)}")
        sites.append((kind, lon, lat, True, where))
    return sites


def _finite(text: str | float | None) -> float | None:
    """``text`` (a CSV field or a JSON number) as a finite number, or None when it is not one (or the row is short)."""
    if isinstance(text, bool) or (isinstance(text, str) and "_" in text):  # float() reads "1_0" as 10: no number in a CSV
        return None
    try:
        value = float(text) if text is not None else None
    except (ValueError, TypeError, OverflowError):  # OverflowError: an integer beyond the range of a float
        return None
    return value if value is not None and np.isfinite(value) else None


def _in_km(scenario: Scenario, grid: Grid | None, sites: list[Site]) -> dict[str, list[tuple[float, float, str]]]:
    """(x km, y km, where) of the sites of each kind, in the order given; lon/lat ones projected onto ``grid``.

    Raises:
        ScenarioError: a site in lon/lat on a world that is not georeferenced, or beyond ±180° lon or ±90° lat.
    """
    points: dict[str, list[tuple[float, float, str]]] = {kind: [] for kind in COUNTS}
    for kind, x, y, lonlat, where in sites:
        if not lonlat:
            points[kind].append((x, y, where))
            continue
        if grid is None:
            field = FILE_FIELD if where.startswith(FILE_FIELD) else where
            raise ScenarioError(scenario.source, field, "expected a georeferenced world (world.crs) for sites in lon/lat, "
                                                        "or sites in km")
        if not on_earth(x, y):
            raise _site_error(scenario, where, f"expected lon in [-180, 180] and lat in [-90, 90] degrees, got {shown([x, y])}")
        (x_km,), (y_km,) = grid.lonlat_to_km(x, y)
        if not (np.isfinite(x_km) and np.isfinite(y_km)):
            raise _site_error(scenario, where, f"expected a point world.crs ({grid.crs}) can project, got lon/lat "
                                               f"{shown([x, y])}, outside its projection's domain")
        points[kind].append((float(x_km), float(y_km), f"{where} (lon/lat {shown([x, y])})"))
    return points


def _file_error(scenario: Scenario, path: Path, expected: str) -> ScenarioError:
    """The error about what ``sites.file`` (at ``path``) holds, naming the file."""
    return ScenarioError(scenario.source, FILE_FIELD, f"{expected}: {one_line(str(path), SOURCE_CHARS)}")


def _site_error(scenario: Scenario, where: str, expected: str) -> ScenarioError:
    """The error about the site given at ``where``: a scenario field, or a line or feature of ``sites.file`` (named)."""
    if where.startswith(f"{FILE_FIELD} "):
        return _file_error(scenario, scenario.resolve_path(FILE_FIELD), f"{where[len(FILE_FIELD) + 1:]}: {expected}")
    return ScenarioError(scenario.source, where, expected)


def given_sites(scenario: Scenario, passable: np.ndarray, grid: Grid | None = None) -> dict[str, np.ndarray]:
    """Flat cells of the sites given for each kind that has some, in the order given (km list, lon/lat list, file).

    Args:
        scenario: the scenario naming the sites.
        passable: (H, W) bool cells a ground site may lie on.
        grid: the world's georeferenced grid (:mod:`sim.georef`), None on an abstract km world.

    Raises:
        ScenarioError: a bad ``sites.file`` (:func:`_file_sites`), sites in lon/lat on a world that is
            not georeferenced, a site outside the world, or a count parameter other than the number
            of sites given of its kind.
    """
    h, w = passable.shape
    cell_km = scenario.params.world.cell_km
    listed: list[Site] = [
        (kind, x, y, unit == "lonlat", f"{list_field(kind, unit)}[{i}]")
        for kind in COUNTS for unit in ("km", "lonlat") for i, (x, y) in enumerate(scenario.values[list_field(kind, unit)])]
    points = _in_km(scenario, grid, listed + _file_sites(scenario))

    nearest = _nearest_passable(passable) if any(points.values()) else None
    cells: dict[str, np.ndarray] = {}
    for kind, given in points.items():
        if not given:
            continue
        count_name = COUNTS[kind]
        count = scenario.values[count_name]
        if count != len(given):
            raise ScenarioError(scenario.source, count_name, f"expected {len(given)}, the number of {kind} given in "
                                                             f"{list_field(kind)}, {list_field(kind, 'lonlat')} and "
                                                             f"{FILE_FIELD}, got {count}")
        flat = np.empty(len(given), dtype=np.int64)
        for i, (x, y, where) in enumerate(given):
            if not (0 <= x <= w * cell_km and 0 <= y <= h * cell_km):
                raise _site_error(scenario, where, f"expected a point inside the world, x in [0, {w * cell_km:g}] and "
                                                   f"y in [0, {h * cell_km:g}] km, got {shown([x, y])}")
            row, col = min(int(y // cell_km), h - 1), min(int(x // cell_km), w - 1)
            if kind not in AIR_KINDS and not passable[row, col]:
                row, col = int(nearest[0, row, col]), int(nearest[1, row, col])
            flat[i] = row * w + col
        cells[kind] = flat
    return cells


def _nearest_passable(passable: np.ndarray) -> np.ndarray:
    """(2, H, W) row and column of the passable cell nearest each cell (the cell itself when passable, or when none is)."""
    from scipy import ndimage  # here: a launch on a stored world (sim.world_store) needs no scipy (0.3 s)

    if not passable.any():
        return np.indices(passable.shape)
    return ndimage.distance_transform_edt(~passable, return_indices=True)[1]


def cell_centres(cells: np.ndarray, width: int) -> np.ndarray:
    """(n, 2) float64 x, y of the centres of flat ``cells``, cell units."""
    rows, cols = np.divmod(cells, width)
    return np.column_stack([cols + 0.5, rows + 0.5]).astype(np.float64)
