"""The basemap drawn on the maps: coast and border lines, ports and towns, from a GeoJSON file (``world.basemap_file``).

The file is a GeoJSON FeatureCollection in WGS 84 lon/lat (RFC 7946): LineString or
MultiLineString features with ``properties.kind`` "coast" or "border", and Point features with
``properties.kind`` "port" or "town" and a ``properties.name``. It needs a georeferenced world
(``world.crs``, :mod:`sim.georef`), onto whose cells it is projected; points outside the world are
left out (lines are clipped where they are drawn). It changes nothing in the model: only the run's
figures and the live map draw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.geojson import features, read_text
from sim.georef import grid_of, on_earth
from sim.scenario import SOURCE_CHARS, Scenario, ScenarioError, one_line, shown

FIELD = "world.basemap_file"
LINE_KINDS = ("coast", "border")
POINT_KINDS = ("port", "town")
MAX_FILE_BYTES = 16 << 20  # 16 MiB: a simplified coast of a whole country is a few hundred kB
MAX_NAME_CHARS = 80


@dataclass(frozen=True)
class Basemap:
    """A basemap on the world's cells.

    Attributes:
        lines: (kind, (n, 2) x, y) polylines in cell units (x west to east, y north to south), kind in :data:`LINE_KINDS`.
        points: (kind, name, x, y) named points in cell units, kind in :data:`POINT_KINDS`, inside the world.
    """

    lines: tuple[tuple[str, np.ndarray], ...]
    points: tuple[tuple[str, str, float, float], ...]


def _refused(scenario: Scenario, path: Path, expected: str) -> ScenarioError:
    return ScenarioError(scenario.source, FIELD, f"{expected}: {one_line(str(path), SOURCE_CHARS)}")


def _document(scenario: Scenario, path: Path) -> list[Any]:
    """The features of the GeoJSON FeatureCollection at ``path``."""
    def refused(expected: str) -> ScenarioError:
        return _refused(scenario, path, expected)

    return features(read_text(path, refused, MAX_FILE_BYTES, "basemap"), refused)


def _lonlat(points: Any) -> np.ndarray | None:
    """``points`` as an (n, 2) float array of lon, lat (n ≥ 1, finite, within ±180 and ±90), or None if they are not."""
    if not isinstance(points, list) or not points or not all(
            isinstance(p, list) and len(p) >= 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in p[:2])
            for p in points):
        return None
    try:
        lonlat = np.array([p[:2] for p in points], dtype=float)
    except OverflowError:  # an integer beyond the range of a float
        return None
    return lonlat if on_earth(lonlat[:, 0], lonlat[:, 1]).all() else None


def _parts(i: int, feature: Any, refused) -> tuple[str, str, list[np.ndarray]]:
    """(kind, name, lon/lat arrays) of feature ``i``: a line's parts, or a point as one array of one point."""
    properties = feature.get("properties") if isinstance(feature, dict) else None
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    kind = properties.get("kind") if isinstance(properties, dict) else None
    kinds = (*LINE_KINDS, *POINT_KINDS)
    if kind not in kinds:
        raise refused(f"feature {i}: expected properties.kind one of {'|'.join(kinds)}, got {shown(kind)}")
    kind_of_geometry = geometry.get("type") if isinstance(geometry, dict) else None
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind in POINT_KINDS:
        name = properties.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
            raise refused(f"feature {i}: expected properties.name, a {kind}'s name of 1 to {MAX_NAME_CHARS} characters, "
                          f"got {shown(name)}")
        point = _lonlat([coordinates]) if kind_of_geometry == "Point" else None
        if point is None:
            raise refused(f"feature {i}: expected a Point geometry with coordinates [lon, lat] for a {kind}, "
                          f"got {shown(geometry)}")
        return kind, one_line(name), [point]
    lines = [coordinates] if kind_of_geometry == "LineString" else coordinates if kind_of_geometry == "MultiLineString" else None
    parts = [_lonlat(line) for line in lines] if isinstance(lines, list) and lines else [None]
    if any(part is None or len(part) < 2 for part in parts):
        raise refused(f"feature {i}: expected a LineString or MultiLineString of [lon, lat] points for a {kind} line, "
                      f"got {shown(geometry)}")
    return kind, "", parts


def read_basemap(scenario: Scenario) -> Basemap | None:
    """The basemap of ``scenario`` projected onto its world's cells, or None when ``world.basemap_file`` is unset.

    As a GIS draws a layer: places outside the world, or outside the domain of ``world.crs``'s
    projection, are left out, and a line is broken where its points leave that domain.

    Raises:
        ScenarioError: the world is not georeferenced; the file is missing, unreadable, too large or
            not GeoJSON in UTF-8; a feature has an unknown kind, a geometry that does not suit it, a
            coordinate that is not a finite lon/lat, or a point without a name.
    """
    path = scenario.resolve_path(FIELD)
    if path is None:
        return None
    grid = grid_of(scenario)
    if grid is None:
        raise ScenarioError(scenario.source, FIELD, "expected a georeferenced world (world.crs) to draw a basemap in lon/lat on")
    features = [_parts(i, feature, lambda expected: _refused(scenario, path, expected))
                for i, feature in enumerate(_document(scenario, path))]
    parts = [part for _, _, feature_parts in features for part in feature_parts]
    if not parts:
        return Basemap((), ())
    lonlat = np.concatenate(parts)
    x_km, y_km = grid.lonlat_to_km(lonlat[:, 0], lonlat[:, 1])
    cells = np.column_stack([x_km, y_km]) / grid.cell_km
    lines: list[tuple[str, np.ndarray]] = []
    points: list[tuple[str, str, float, float]] = []
    start = 0
    for kind, name, feature_parts in features:
        for part in feature_parts:
            xy, start = cells[start:start + len(part)], start + len(part)
            if kind in LINE_KINDS:
                lines.append((kind, xy))
            elif 0 <= xy[0, 0] <= grid.width and 0 <= xy[0, 1] <= grid.height:
                points.append((kind, name, float(xy[0, 0]), float(xy[0, 1])))
    return Basemap(tuple(lines), tuple(points))
