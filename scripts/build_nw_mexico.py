"""Rebuild the shipped northwest-Mexico scenario's data (``scenarios/nw_mexico/``) from its public sources.

A developer's tool: it is never run by the model, by a run or by the tests. Run it from the
repository root, with the repository on the Python path (it takes the grid from :mod:`sim.georef`)::

    PYTHONPATH=. python scripts/build_nw_mexico.py SOURCES      # SOURCES: a folder of the archives below
    PYTHONPATH=. python scripts/build_nw_mexico.py --download   # fetch them from GitHub first

``SOURCES`` is a folder holding the Natural Earth layers below, as the GeoJSON files or the 7z
archives of ``martynafford/natural-earth-geojson`` (a checkout, or the archives alone; 7z needs
py7zr: ``pip install -e .[data]``). The grid (``world.crs``, ``world.bbox``, ``world.cell_km``) is read from
``scenarios/nw_mexico.toml``, so the files always lie exactly on the scenario's grid.

Sources, all public domain:

- Natural Earth (https://www.naturalearthdata.com, public domain), as GeoJSON converted by
  https://github.com/martynafford/natural-earth-geojson (CC0): 10 m ``populated_places`` (towns, their
  coordinates and ``POP_MAX`` populations), ``land`` (land and sea), ``coastline``,
  ``geography_regions_polys`` (the ``Range/mtn`` polygon of the Sierra Madre Occidental), and 50 m
  ``admin_0_countries`` (the United States' polygon: abroad) and ``admin_0_boundary_lines_land``
  (the international border line).
- Ports of entry: public coordinates, each with the page it was read from in :data:`PORTS`.
- Highways: polylines through the towns they connect, in order (:data:`HIGHWAYS`), as any road
  atlas gives them; towns not in Natural Earth have their coordinates in :data:`EXTRA_TOWNS`.
- Sources (production areas), air bases and checkpoints: modelling choices stated in
  :data:`SOURCES`, :data:`AIR_BASES` and :data:`CHECKPOINTS`.

Files written (land-cover codes as in :mod:`sim.world`):

- ``landcover.tif``: int8 codes 0 open, 1 rough (the Sierra Madre Occidental), 2 road, 3 town,
  4 water (sea), 6 abroad (the United States); no cell is 5 (impassable land): Natural Earth has no
  such polygon here at this scale.
- ``population.tif``: float32 people per cell: each Mexican populated place's ``POP_MAX`` spread as
  a Gaussian blob over its urban radius, on Mexican land only.
- ``sites.geojson``: Point features with ``properties.kind`` (sources, sinks, bases, checkpoints)
  and ``properties.name``; the sinks are the ports of entry, in :data:`PORTS` order.
- ``basemap.geojson``: the coastline and the border as simplified lines, the ports and the main
  towns as named points (``properties.kind`` coast, border, port, town).
- ``CREDITS.md``: the sources and their licences.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
import rasterio
from rasterio.features import rasterize
from rasterio.transform import from_origin
from rasterio.warp import Resampling, reproject, transform, transform_bounds

from sim.georef import LONLAT, Grid, grid_of
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "nw_mexico.toml"
OUT = REPO / "scenarios" / "nw_mexico"
ARCHIVE_URL = "https://raw.githubusercontent.com/martynafford/natural-earth-geojson/master/{}.7z"
LAYERS = {  # file stem -> path of its archive in martynafford/natural-earth-geojson
    "ne_10m_populated_places": "10m/cultural/ne_10m_populated_places",
    "ne_10m_land": "10m/physical/ne_10m_land",
    "ne_10m_coastline": "10m/physical/ne_10m_coastline",
    "ne_10m_geography_regions_polys": "10m/physical/ne_10m_geography_regions_polys",
    "ne_50m_admin_0_countries": "50m/cultural/ne_50m_admin_0_countries",
    "ne_50m_admin_0_boundary_lines_land": "50m/cultural/ne_50m_admin_0_boundary_lines_land",
}

OPEN, ROUGH, ROAD, TOWN, WATER, ABROAD = 0, 1, 2, 3, 4, 6  # sim.world's land-cover codes
MEXICO, ABROAD_COUNTRY = "Mexico", "United States of America"
RANGES = ("SIERRA MADRE OCCIDENTAL",)  # the Range/mtn polygons of ne_10m_geography_regions_polys in the box
FINE_DEG = 0.01  # land, sea, ranges and abroad are rasterised on a lon/lat grid this fine, then resampled (mode)
PAD_DEG = 0.2  # margin around the grid's lon/lat bounds for the fine grid and the clipped lines
URBAN_DENSITY = 3000.0  # people per km² of a town's urban area: its radius is sqrt(POP_MAX / density / π)
BLOB_SIGMAS = 3.0  # a town's people spread over this many Gaussian sigmas (sigma = its urban radius / 2)
SIMPLIFY_DEG = 0.01  # Douglas-Peucker tolerance of the basemap's lines, degrees (about 1 km)
MAIN_TOWN_PEOPLE = 200_000  # a populated place of at least this POP_MAX is named on the basemap
DECIMALS = 4  # lon/lat written with this many decimals (about 10 m)

# Natural Earth's "Mazatlán, Sonora" (-110.13, 29.02) carries 500,000 people: the point is the village of
# Mazatán (about 1,300 people), the figure evidently the Sinaloa city's. Left out of population and towns.
NE_ERRATA = {("Mazatlán", "Sonora")}
NE_SPELLING = {"Navojoa": "Navajoa", "Ciudad Obregón": "Ciudad Obregon"}  # our name -> Natural Earth's NAME

# Towns the highways pass that are not in Natural Earth's populated places: (lon, lat) of the town
# centre. NOT confirmed from a citable source in this build: atlas values, good to about 1 km (a
# third of a cell); replace them by a gazetteer's (e.g. INEGI's) when one is to hand.
EXTRA_TOWNS: dict[str, tuple[float, float]] = {
    "Tecate": (-116.626, 32.572), "San Luis Río Colorado": (-114.772, 32.456), "Sonoyta": (-112.853, 31.862),
    "Altar": (-111.835, 30.714), "Santa Ana": (-111.120, 30.541), "Ímuris": (-110.853, 30.778),
    "Puerto Peñasco": (-113.533, 31.317), "Ures": (-110.389, 29.427), "Mazocahui": (-110.117, 29.533),
    "Moctezuma": (-109.667, 29.800), "Tecoripa": (-109.950, 28.617), "Yécora": (-108.926, 28.371),
    "Basaseachi": (-108.210, 28.200), "Concordia": (-106.067, 23.288), "San Ignacio": (-112.898, 27.283),
    "Mulegé": (-111.982, 26.892), "Janos": (-108.193, 30.889), "Badiraguato": (-107.550, 25.363),
    "Tamazula de Victoria": (-106.967, 24.968), "Guadalupe y Calvo": (-106.964, 26.094), "Álamos": (-108.940, 27.028),
}

# Ports of entry (the sinks), west to east, by the U.S. port's name (the Mexican town facing it in the
# comment): name, (lon, lat), where the coordinates were read.
PORTS: tuple[tuple[str, tuple[float, float], str], ...] = (
    ("San Ysidro", (-117.02972, 32.54333), "Wikipedia, San Ysidro Port of Entry (32°32′36″N 117°01′47″W)"),  # Tijuana
    ("Tecate", (-116.627179, 32.576852), "Wikipedia, Tecate Port of Entry (revision 730292207)"),  # Tecate
    ("Calexico East", (-115.388675, 32.675506), "Wikipedia, Calexico East Port of Entry (all truck traffic)"),  # Mexicali
    ("San Luis", (-114.7822, 32.4856), "NOT confirmed: atlas value for the San Luis I port"),  # San Luis Río Colorado
    ("Lukeville", (-112.816919, 31.880423), "Wikipedia, Lukeville Port of Entry"),  # Sonoyta
    ("Sasabe", (-111.53333, 31.46667), "GeoNames 3983394, Sección Aduanera Sásabe (the Mexican customs house)"),  # El Sásabe
    ("Nogales", (-110.9426, 31.3326), "NOT confirmed: atlas value for the DeConcini port (Natural Earth's Nogales, "
                                      "-110.945 31.305, lies 3 km south)"),  # Nogales
    ("Naco", (-109.94778, 31.32694), "Wikipedia, Naco, Sonora (the town; the port is in it)"),  # Naco
    ("Douglas", (-109.5601, 31.3336), "NOT confirmed: atlas value for the Raul H. Castro port "
                                      "(Natural Earth's Agua Prieta, -109.563 31.322, lies 1 km south)"),  # Agua Prieta
)

# Highways: each a polyline through the towns (or ports, "port:NAME") it connects, in order. Federal
# highway routes as a road atlas gives them; points beyond the box (Tepic, Durango) only set the direction.
HIGHWAYS: dict[str, tuple[str, ...]] = {
    "Federal 15": ("Tepic", "Escuinapa", "Villa Unión", "Mazatlán", "La Cruz", "Culiacán", "Guamúchil", "Guasave",
                   "Los Mochis", "Navojoa", "Ciudad Obregón", "Esperanza", "Guaymas", "Hermosillo", "Santa Ana",
                   "Magdalena", "Ímuris", "port:Nogales"),
    "Federal 2": ("port:San Ysidro", "Tijuana", "port:Tecate", "Mexicali", "San Luis Río Colorado",
                  "port:San Luis", "Sonoyta", "Caborca", "Altar", "Santa Ana", "Ímuris", "Cananea",
                  "port:Douglas", "Janos", "Ascensión", "Ciudad Juárez"),
    "Federal 1": ("port:San Ysidro", "Tijuana", "Ensenada", "Vicente Guerrero", "San Quintín", "Punta Prieta",
                  "Guerrero Negro", "San Ignacio", "Santa Rosalía", "Mulegé", "Loreto", "Ciudad Constitución", "La Paz",
                  "Cabo San Lucas"),
    "Federal 5": ("Mexicali", "San Felipe"),
    "Mexicali–Calexico East": ("Mexicali", "port:Calexico East"),
    "Federal 8": ("port:Lukeville", "Sonoyta", "Puerto Peñasco"),
    "Altar–Sásabe": ("Altar", "port:Sasabe"),
    "Cananea–Naco": ("Cananea", "port:Naco"),
    "Federal 14": ("Hermosillo", "Ures", "Mazocahui", "Moctezuma"),
    "Agua Prieta–Nacozari–Moctezuma": ("port:Douglas", "Nacozari de García", "Moctezuma"),
    "Federal 16": ("Hermosillo", "Tecoripa", "Yécora", "Basaseachi", "Cuauhtémoc", "Chihuahua"),
    "Federal 40": ("Mazatlán", "Villa Unión", "Concordia", "Durango"),
    "Federal 45": ("Ciudad Juárez", "Villa Ahumada", "Chihuahua", "Hidalgo del Parral"),
}

# Sources: production areas. The Golden Triangle (where Sinaloa, Durango and Chihuahua meet in the
# Sierra Madre Occidental: opium poppy and marijuana, as public reporting has long described it),
# Culiacán (the hub of the Sinaloa organisation, with methamphetamine labs around it) and the
# Sierra of Sonora (Yécora, Álamos), each at its municipal seat.
SOURCES = ("Badiraguato", "Tamazula de Victoria", "Guadalupe y Calvo", "Culiacán", "Yécora", "Álamos")

# Air bases: Mexican Air Force bases at the airports of the two state capitals of the production
# region, from which a partner's or the host's aircraft would fly (Base Aérea Militar No. 18,
# Hermosillo; No. 10, Culiacán). Airport coordinates NOT confirmed from a citable source: atlas values.
AIR_BASES: tuple[tuple[str, tuple[float, float]], ...] = (
    ("Hermosillo (BAM 18, General Ignacio L. Pesqueira airport)", (-111.048, 29.096)),
    ("Culiacán (BAM 10, Bachigualato airport)", (-107.470, 24.765)),
)

# Checkpoints: on the highways, at a share of the way between two consecutive towns of a highway.
# Modelling choices, not the positions of real checkpoints (except Fed 15's, near the customs
# checkpoint at km 21 south of Nogales).
CHECKPOINTS: tuple[tuple[str, str, str, float], ...] = (
    ("Federal 15", "Culiacán", "Guamúchil", 0.5),
    ("Federal 15", "Navojoa", "Ciudad Obregón", 0.5),
    ("Federal 15", "Guaymas", "Hermosillo", 0.5),
    ("Federal 15", "Ímuris", "port:Nogales", 0.55),
    ("Federal 2", "Caborca", "Altar", 0.5),
    ("Federal 2", "Mexicali", "San Luis Río Colorado", 0.5),
    ("Federal 2", "Cananea", "port:Douglas", 0.5),
    ("Federal 16", "Tecoripa", "Yécora", 0.5),
)


def read_layer(sources: Path, stem: str) -> dict:
    """The GeoJSON of layer ``stem`` from ``sources``: ``stem.json``, else its 7z archive (anywhere below)."""
    for found in (*sources.rglob(f"{stem}.json"), *sources.rglob(f"{stem}.geojson")):
        return json.loads(found.read_text(encoding="utf-8"))
    for archive in sources.rglob(f"{stem}.7z"):
        import py7zr  # only needed for archives

        with tempfile.TemporaryDirectory() as tmp, py7zr.SevenZipFile(archive) as seven:
            seven.extractall(tmp)
            return read_layer(Path(tmp), stem)
    raise SystemExit(f"build_nw_mexico: {stem}.json or {stem}.7z not found under {sources}")


def download(folder: Path) -> None:
    """Fetch every layer's 7z archive from GitHub into ``folder``."""
    for stem, path in LAYERS.items():
        print(f"downloading {path}.7z", file=sys.stderr)
        urllib.request.urlretrieve(ARCHIVE_URL.format(path), folder / f"{stem}.7z")


def scenario_grid() -> tuple[Grid, list[float]]:
    """The georeferenced grid of ``scenarios/nw_mexico.toml`` (its world.crs, world.bbox and world.cell_km), and the bbox."""
    scenario = load_scenario(SCENARIO)
    grid = grid_of(scenario)
    assert grid is not None
    return grid, list(scenario["world.bbox"])


def lonlat_bounds(grid: Grid) -> tuple[float, float, float, float]:
    """(west, south, east, north) degrees holding the whole grid, padded by :data:`PAD_DEG`."""
    west, south, east, north = transform_bounds(grid.crs, LONLAT, *grid.bounds, densify_pts=21)
    return west - PAD_DEG, south - PAD_DEG, east + PAD_DEG, north + PAD_DEG


def points_of(geometry: dict) -> list:
    """Every [lon, lat] of a (Multi)Polygon or (Multi)LineString, flattened one level per nesting."""
    coords = geometry["coordinates"]
    depth = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}[geometry["type"]]
    for _ in range(depth - 1):
        coords = [p for part in coords for p in part]
    return coords


def touches(geometry: dict, box: tuple[float, float, float, float]) -> bool:
    """Whether the bounding box of ``geometry`` meets ``box``."""
    lons, lats = np.asarray(points_of(geometry), dtype=float)[:, :2].T
    return lons.max() >= box[0] and lons.min() <= box[2] and lats.max() >= box[1] and lats.min() <= box[3]


def land_cover_base(layers: dict[str, dict], grid: Grid) -> np.ndarray:
    """(H, W) int8 cover on the grid: water, open land, rough land (the ranges) and abroad, by majority of fine cells."""
    box = lonlat_bounds(grid)
    fine_w, fine_h = math.ceil((box[2] - box[0]) / FINE_DEG), math.ceil((box[3] - box[1]) / FINE_DEG)
    fine_transform = from_origin(box[0], box[3], FINE_DEG, FINE_DEG)

    def mask(geometries: list[dict]) -> np.ndarray:
        shapes = [(g, 1) for g in geometries if touches(g, box)]
        return rasterize(shapes, out_shape=(fine_h, fine_w), transform=fine_transform, fill=0, dtype="uint8").astype(bool)

    land = mask([f["geometry"] for f in layers["ne_10m_land"]["features"]])
    ranges = mask([f["geometry"] for f in layers["ne_10m_geography_regions_polys"]["features"]
                   if f["properties"]["featurecla"] == "Range/mtn" and f["properties"]["name"] in RANGES])
    abroad = mask([f["geometry"] for f in layers["ne_50m_admin_0_countries"]["features"]
                   if f["properties"]["ADMIN"] == ABROAD_COUNTRY])
    fine = np.full((fine_h, fine_w), WATER, dtype=np.uint8)
    fine[land] = OPEN
    fine[land & ranges] = ROUGH
    fine[abroad] = ABROAD
    cover = np.zeros((grid.height, grid.width), dtype=np.uint8)
    reproject(fine, cover, src_transform=fine_transform, src_crs=LONLAT, dst_transform=grid.transform, dst_crs=grid.crs,
              resampling=Resampling.mode)
    return cover.astype(np.int8)


def town_table(layers: dict[str, dict]) -> dict[tuple[str, str], dict]:
    """Natural Earth's populated places by (NAME, ADM1NAME): lon, lat, people (POP_MAX), country."""
    table = {}
    for feature in layers["ne_10m_populated_places"]["features"]:
        p = feature["properties"]
        key = (p["NAME"], p["ADM1NAME"])
        if key not in NE_ERRATA:
            lon, lat = feature["geometry"]["coordinates"][:2]
            table[key] = {"name": p["NAME"], "lon": lon, "lat": lat, "people": float(p["POP_MAX"]), "country": p["ADM0NAME"]}
    return table


def place_finder(towns: dict[tuple[str, str], dict]):
    """A function from a place's name (a town, ``port:NAME`` or an extra town) to its (lon, lat)."""
    by_name: dict[str, list[dict]] = {}
    for town in towns.values():
        by_name.setdefault(town["name"], []).append(town)
    ports = {name: lonlat for name, lonlat, _ in PORTS}

    def lonlat(name: str) -> tuple[float, float]:
        if name.startswith("port:"):
            return ports[name.removeprefix("port:")]
        if name in EXTRA_TOWNS:
            return EXTRA_TOWNS[name]
        found = [t for t in by_name.get(NE_SPELLING.get(name, name), []) if t["country"] == MEXICO]
        if len(found) != 1:
            raise SystemExit(f"build_nw_mexico: {name!r} is {len(found)} Mexican populated places in Natural Earth, not 1")
        return found[0]["lon"], found[0]["lat"]

    return lonlat


def to_cells(grid: Grid, lonlat: list[tuple[float, float]]) -> np.ndarray:
    """(n, 2) projected x, y metres of lon/lat points."""
    lons, lats = zip(*lonlat, strict=True)
    xs, ys = transform(LONLAT, grid.crs, list(lons), list(lats))
    return np.column_stack([xs, ys])


def add_roads(cover: np.ndarray, grid: Grid, lonlat) -> None:
    """Mark the highways' cells ROAD, on Mexican land only (never sea or abroad)."""
    lines = [{"type": "LineString", "coordinates": to_cells(grid, [lonlat(n) for n in names]).tolist()}
             for names in HIGHWAYS.values()]
    road = rasterize([(line, 1) for line in lines], out_shape=cover.shape, transform=grid.transform, fill=0,
                     dtype="uint8").astype(bool)
    cover[road & (cover != WATER) & (cover != ABROAD)] = ROAD


def population_and_towns(cover: np.ndarray, grid: Grid, towns: dict) -> np.ndarray:
    """(H, W) float32 people per cell from Mexico's populated places; marks their urban cells TOWN (roads stay roads)."""
    h, w = cover.shape
    home = (cover != WATER) & (cover != ABROAD)
    people = np.zeros((h, w))
    rows, cols = np.mgrid[0:h, 0:w]
    mexican = [t for t in towns.values() if t["country"] == MEXICO]
    xy = to_cells(grid, [(t["lon"], t["lat"]) for t in mexican])
    for town, (x, y) in zip(mexican, xy, strict=True):
        col, row = (x - grid.west) / (grid.cell_km * 1000), (grid.north - y) / (grid.cell_km * 1000)
        if not (0 <= row < h and 0 <= col < w):
            continue
        radius = math.sqrt(town["people"] / URBAN_DENSITY / math.pi) / grid.cell_km  # cells
        distance2 = (rows + 0.5 - row) ** 2 + (cols + 0.5 - col) ** 2
        sigma = max(radius / 2, 0.5)
        blob = np.exp(-distance2 / (2 * sigma**2)) * (distance2 <= (BLOB_SIGMAS * sigma) ** 2) * home
        if blob.sum() > 0:
            people += town["people"] * blob / blob.sum()
        urban = (distance2 <= max(radius, 0.5) ** 2) & home & (cover != ROAD)
        urban[int(row), int(col)] |= home[int(row), int(col)] and cover[int(row), int(col)] != ROAD
        cover[urban] = TOWN
    return people.astype(np.float32)


def write_tif(path: Path, array: np.ndarray, grid: Grid) -> None:
    """Write ``array`` as a deflate-compressed single-band GeoTIFF on ``grid``."""
    float_data = array.dtype.kind == "f"
    with rasterio.open(path, "w", driver="GTiff", height=grid.height, width=grid.width, count=1, dtype=array.dtype,
                       crs=grid.crs, transform=grid.transform, compress="deflate", predictor=3 if float_data else 2) as out:
        out.write(array, 1)


def point(kind: str, name: str, lonlat: tuple[float, float]) -> dict:
    """A GeoJSON Point feature with ``properties.kind`` and ``properties.name``."""
    return {"type": "Feature", "properties": {"kind": kind, "name": name},
            "geometry": {"type": "Point", "coordinates": [round(lonlat[0], DECIMALS), round(lonlat[1], DECIMALS)]}}


def sites(lonlat) -> dict:
    """The sites FeatureCollection: sources, sinks (the ports, in order), air bases, checkpoints."""
    features = [point("sources", name, lonlat(name)) for name in SOURCES]
    features += [point("sinks", name, where) for name, where, _ in PORTS]
    features += [point("bases", name, where) for name, where in AIR_BASES]
    for highway, a, b, share in CHECKPOINTS:
        (lon_a, lat_a), (lon_b, lat_b) = lonlat(a), lonlat(b)
        where = (lon_a + share * (lon_b - lon_a), lat_a + share * (lat_b - lat_a))
        features.append(point("checkpoints", f"{highway}, {a.removeprefix('port:')}–{b.removeprefix('port:')}", where))
    return {"type": "FeatureCollection", "features": features}


def write_geojson(path: Path, collection: dict) -> None:
    """Write a FeatureCollection with one feature per line (readable diffs)."""
    lines = ",\n".join(json.dumps(feature, ensure_ascii=False) for feature in collection["features"])
    path.write_text(f'{{"type": "FeatureCollection", "features": [\n{lines}\n]}}\n', encoding="utf-8")


def simplify(line: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker simplification of an (n, 2) polyline: the points that keep it within ``tolerance``."""
    if len(line) < 3:
        return line
    keep = np.zeros(len(line), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(line) - 1)]
    while stack:
        first, last = stack.pop()
        a, b = line[first], line[last]
        span = b - a
        inner = line[first + 1:last]
        norm = np.hypot(*span)
        offsets = inner - a
        distance = (np.abs(span[0] * offsets[:, 1] - span[1] * offsets[:, 0]) / norm if norm > 0
                    else np.hypot(offsets[:, 0], offsets[:, 1]))
        if distance.size and distance.max() > tolerance:
            split = first + 1 + int(distance.argmax())
            keep[split] = True
            stack += [(first, split), (split, last)]
    return line[keep]


def clipped_lines(geometries: list[dict], box: tuple[float, float, float, float]) -> list[list[list[float]]]:
    """The runs of each line's points inside ``box`` (with the first point beyond each end), simplified."""
    runs = []
    for geometry in geometries:
        parts = [geometry["coordinates"]] if geometry["type"] == "LineString" else geometry["coordinates"]
        for part in parts:
            line = np.asarray(part, dtype=float)[:, :2]
            inside = (line[:, 0] >= box[0]) & (line[:, 0] <= box[2]) & (line[:, 1] >= box[1]) & (line[:, 1] <= box[3])
            grown = inside.copy()
            grown[1:] |= inside[:-1]
            grown[:-1] |= inside[1:]
            for keep, group in itertools.groupby(range(len(line)), key=lambda i: grown[i]):
                index = list(group)
                if keep and len(index) >= 2:
                    run = simplify(line[index], SIMPLIFY_DEG)
                    runs.append(np.round(run, DECIMALS).tolist())
    return runs


def basemap(layers: dict[str, dict], grid: Grid, towns: dict) -> dict:
    """The basemap FeatureCollection: coast and border lines, ports and main towns as named points."""
    box = lonlat_bounds(grid)
    coast = clipped_lines([f["geometry"] for f in layers["ne_10m_coastline"]["features"] if touches(f["geometry"], box)], box)
    border = clipped_lines([f["geometry"] for f in layers["ne_50m_admin_0_boundary_lines_land"]["features"]
                            if touches(f["geometry"], box)], box)
    features = [{"type": "Feature", "properties": {"kind": kind},
                 "geometry": {"type": "MultiLineString", "coordinates": lines}}
                for kind, lines in (("coast", coast), ("border", border))]
    features += [point("port", name, where) for name, where, _ in PORTS]
    west, south, east, north = lonlat_bounds(grid)
    main = sorted((t for t in towns.values() if t["people"] >= MAIN_TOWN_PEOPLE
                   and west + PAD_DEG <= t["lon"] <= east - PAD_DEG and south + PAD_DEG <= t["lat"] <= north - PAD_DEG),
                  key=lambda t: -t["people"])
    features += [point("town", t["name"], (t["lon"], t["lat"])) for t in main]
    return {"type": "FeatureCollection", "features": features}


CREDITS = """# Data of the nw_mexico scenario

Built by `scripts/build_nw_mexico.py` (which names each source in its docstring and tables); rebuild
with `PYTHONPATH=. python scripts/build_nw_mexico.py --download`. Grid: {crs}, {height} × {width} cells of
{cell_km:g} km covering lon/lat {bbox}.

- `landcover.tif`, `population.tif`, `basemap.geojson`: derived from **Natural Earth**
  (https://www.naturalearthdata.com), public domain ("Made with Natural Earth. Free vector and raster
  map data @ naturalearthdata.com"), in the GeoJSON conversion of
  https://github.com/martynafford/natural-earth-geojson (CC0 1.0): 10 m populated places, land,
  coastline, geography regions (Sierra Madre Occidental) and 50 m countries and land boundary lines.
  Populations are Natural Earth's `POP_MAX`. The highways are polylines through the towns they connect
  (road-atlas routes; the list is in the script); towns not in Natural Earth have atlas coordinates,
  not confirmed from a citable gazetteer.
- `sites.geojson`: the ports of entry (the sinks, in this order) from public coordinates, below;
  sources, air bases and checkpoints are modelling choices stated in the script.

| port | lon | lat | coordinates from |
|---|---|---|---|
{ports}
"""


def main(argv: list[str] | None = None) -> int:
    """Rebuild every file of ``scenarios/nw_mexico/`` (see the module)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="?", type=Path, help="folder with the Natural Earth GeoJSON files or 7z archives")
    parser.add_argument("--download", action="store_true", help="download the archives from GitHub first")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sources = args.sources
        if args.download:
            sources = Path(tmp)
            download(sources)
        if sources is None:
            parser.error("give a SOURCES folder or --download")
        layers = {stem: read_layer(sources, stem) for stem in LAYERS}
    grid, bbox = scenario_grid()
    towns = town_table(layers)
    lonlat = place_finder(towns)
    cover = land_cover_base(layers, grid)
    add_roads(cover, grid, lonlat)
    people = population_and_towns(cover, grid, towns)
    args.out.mkdir(parents=True, exist_ok=True)
    write_tif(args.out / "landcover.tif", cover, grid)
    write_tif(args.out / "population.tif", people, grid)
    write_geojson(args.out / "sites.geojson", sites(lonlat))
    write_geojson(args.out / "basemap.geojson", basemap(layers, grid, towns))
    ports = "\n".join(f"| {name} | {lon} | {lat} | {where} |" for name, (lon, lat), where in PORTS)
    (args.out / "CREDITS.md").write_text(CREDITS.format(crs=grid.crs, height=grid.height, width=grid.width,
                                                        cell_km=grid.cell_km, bbox=bbox, ports=ports), encoding="utf-8")
    counts = {code: int((cover == code).sum()) for code in (OPEN, ROUGH, ROAD, TOWN, WATER, ABROAD)}
    print(f"grid {grid.height} x {grid.width} of {grid.cell_km:g} km; cover cells {counts}; "
          f"people {people.sum():,.0f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
