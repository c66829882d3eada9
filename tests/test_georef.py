"""Real places: GeoTIFF rasters, the georeferenced grid and sites in lon/lat; bad ones refused in one line."""

import dataclasses
import json
import warnings

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import from_origin
from rasterio.warp import transform

from sim import raster_input
from sim.cli import main
from sim.georef import grid_of
from sim.raster_input import TOBLER_DECAY
from sim.scenario import Scenario, load_scenario
from sim.world import ABROAD, BARRIER, OPEN, ROAD, ROUGH, TOWN, WATER, build_world

H, W = 64, 72
CRS = "EPSG:32612"  # UTM zone 12 N: Sonora and Arizona
BBOX = [-111.6, 31.0, -110.9, 31.6]  # around Nogales, about 67 × 67 km
CELL_KM = 1.0
PLAIN = {"world.height": H, "world.width": W, "world.cell_km": CELL_KM}
GEO = {"world.crs": CRS, "world.bbox": BBOX, "world.cell_km": CELL_KM}


def write_tif(path, array, crs=None, transform_=None, nodata=None):
    """A one-band GeoTIFF of ``array`` (with a CRS and transform when given)."""
    array = np.asarray(array)
    profile = {"driver": "GTiff", "height": array.shape[0], "width": array.shape[1], "count": 1, "dtype": array.dtype}
    if crs is not None:
        profile.update(crs=crs, transform=transform_)
    if nodata is not None:
        profile["nodata"] = nodata
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a GeoTIFF without a CRS, on purpose
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(array, 1)
    return path


def rasters(shape, seed=0):
    """Land cover, roads, elevation (m), population and cost arrays of ``shape`` with every land-cover code."""
    rng = np.random.default_rng(seed)
    cover = rng.choice([OPEN, OPEN, OPEN, ROUGH, TOWN, WATER, BARRIER, ABROAD], size=shape).astype(np.uint8)
    cover[:, :8] = ABROAD
    roads = np.zeros(shape, dtype=np.uint8)
    roads[:, shape[1] // 2] = 1
    elevation = (np.add.outer(np.arange(shape[0]) * 20.0, np.arange(shape[1]) * 5.0) + rng.random(shape) * 30).astype(np.float32)
    population = (rng.random(shape) * 50).astype(np.float32)
    cost = (0.1 + rng.random(shape)).astype(np.float32)
    cost[10:20, 30:40] = np.inf
    return {"landcover": cover, "roads": roads, "elevation": elevation, "population": population, "cost": cost}


def write_all(folder, arrays, crs=None, transform_=None):
    """``arrays`` as .npy and .tif files in ``folder``: {kind: (npy path, tif path)}."""
    paths = {}
    for kind, array in arrays.items():
        np.save(folder / f"{kind}.npy", array)
        paths[kind] = (folder / f"{kind}.npy", write_tif(folder / f"{kind}.tif", array, crs, transform_))
    return paths


def assert_same_world(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


def files(paths, which, index):
    return {f"world.{kind}_file": str(paths[kind][index]) for kind in which}


TERRAIN = ("landcover", "roads", "elevation", "population")


@pytest.mark.parametrize("which", [TERRAIN, ("cost", "population"), ("cost", "landcover")])
def test_a_geotiff_gives_the_same_world_as_the_equivalent_npy_arrays(tmp_path, which):
    paths = write_all(tmp_path, rasters((H, W)))
    npy = build_world(Scenario().with_overrides({**PLAIN, **files(paths, which, 0)}, "test"))
    tif = build_world(Scenario().with_overrides({**PLAIN, **files(paths, which, 1)}, "test"))
    assert_same_world(npy, tif)
    procedural = build_world(Scenario().with_overrides(PLAIN, "test"))
    assert not np.array_equal(tif.cell_hours, procedural.cell_hours)  # the files were used


def test_on_its_own_grid_a_raster_is_reprojected_as_the_identity(tmp_path):
    scenario = Scenario().with_overrides(GEO, "test")
    grid = grid_of(scenario)
    shape = (scenario["world.height"], scenario["world.width"])
    assert min(shape) >= 64 and max(shape) <= 96
    paths = write_all(tmp_path, rasters(shape), CRS, grid.transform)
    for which in (TERRAIN, ("cost",)):
        npy = build_world(scenario.with_overrides(files(paths, which, 0), "test"))
        tif = build_world(scenario.with_overrides(files(paths, which, 1), "test"))
        assert_same_world(npy, tif)


def test_without_a_bbox_the_first_geotiff_sets_the_grid_and_the_resolved_scenario_records_it(tmp_path):
    shape = (70, 80)
    west, north, cell_m = 480_000.0, 3_500_000.0, 1500.0
    arrays = rasters(shape)
    path = write_tif(tmp_path / "cover.tif", arrays["landcover"], CRS, from_origin(west, north, cell_m, cell_m))
    scenario = Scenario().with_overrides({"world.crs": CRS, "world.landcover_file": str(path)}, "test")
    assert (scenario["world.height"], scenario["world.width"], scenario["world.cell_km"]) == (70, 80, 1.5)
    grid = grid_of(scenario)
    assert (grid.west, grid.north) == (west, north)
    np.testing.assert_array_equal(build_world(scenario).cover, arrays["landcover"])
    assert "height = 70" in scenario.to_toml() and "cell_km = 1.5" in scenario.to_toml()


def test_a_bbox_sets_the_shape_that_just_holds_the_projected_box_and_a_given_shape_is_replaced():
    scenario = Scenario().with_overrides({**GEO, "world.height": 500}, "test")
    grid = grid_of(scenario)
    t = np.linspace(0, 1, 41)
    west, south, east, north = BBOX
    lon = np.concatenate([west + t * (east - west), west + t * (east - west), np.full(41, west), np.full(41, east)])
    lat = np.concatenate([np.full(41, south), np.full(41, north), south + t * (north - south), south + t * (north - south)])
    x, y = grid.lonlat_to_km(lon, lat)
    assert x.min() >= -1e-6 and y.min() >= -1e-6 and x.max() <= grid.width and y.max() <= grid.height  # the box is inside
    assert x.max() > grid.width - 1 and y.max() > grid.height - 1  # with less than a cell to spare
    assert (scenario["world.height"], scenario["world.width"]) == (grid.height, grid.width) != (500, 500)
    finer = scenario.with_overrides({"world.cell_km": 0.5}, "test")
    assert abs(finer["world.height"] - grid.height * 2) <= 1 and abs(finer["world.width"] - grid.width * 2) <= 1


def test_a_reprojected_population_keeps_its_total(tmp_path):
    scenario = Scenario().with_overrides(GEO, "test")
    # People counted on a 0.005° lon/lat grid wider than the world, living only well inside it.
    lon0, lat0, step = BBOX[0] - 0.1, BBOX[3] + 0.1, 0.005
    rows, cols = round((BBOX[3] - BBOX[1] + 0.2) / step), round((BBOX[2] - BBOX[0] + 0.2) / step)
    people = np.zeros((rows, cols), dtype=np.float32)
    people[50:110, 40:120] = np.random.default_rng(3).random((60, 80)) * 40
    people[70, 60] = 5000.0  # a town in one pixel
    path = write_tif(tmp_path / "people.tif", people, "EPSG:4326", from_origin(lon0, lat0, step, step), nodata=-1.0)
    world = build_world(scenario.with_overrides({"world.population_file": str(path)}, "test"))
    assert world.population.sum() == pytest.approx(float(people.sum()), rel=0.01)
    assert world.population.max() >= 5000.0 * 0.5  # the town stays a town, not smeared over the world


def test_nodata_land_cover_is_an_impassable_barrier_and_nodata_elevation_is_flat(tmp_path):
    cover = np.full((H, W), OPEN, dtype=np.uint8)
    cover[3, 4] = 255
    elevation = np.zeros((H, W), dtype=np.float32)
    elevation[30:, :] = -32768.0  # a void in the elevation model
    overrides = {**PLAIN, "world.landcover_file": str(write_tif(tmp_path / "l.tif", cover, nodata=255)),
                 "world.elevation_file": str(write_tif(tmp_path / "e.tif", elevation, nodata=-32768.0))}
    scenario = Scenario().with_overrides(overrides, "test")
    world = build_world(scenario)
    assert world.cover[3, 4] == BARRIER and world.cell_hours[3, 4] == np.inf
    flat = np.float32(CELL_KM / scenario.params.terrain.open_kmh)
    assert (world.cell_hours[40:] == flat).all() and (world.cell_hours[:20, 10:] == flat).all()


def test_nodata_means_impassable_cost_and_nobody_living_there(tmp_path):
    cost = np.ones((H, W), dtype=np.float32)
    cost[5, 6] = -9999.0
    people = np.full((H, W), 3.0, dtype=np.float32)
    people[7, 8] = -9999.0
    overrides = {**PLAIN, "world.cost_file": str(write_tif(tmp_path / "c.tif", cost, nodata=-9999.0)),
                 "world.population_file": str(write_tif(tmp_path / "p.tif", people, nodata=-9999.0))}
    world = build_world(Scenario().with_overrides(overrides, "test"))
    assert world.cell_hours[5, 6] == np.inf and np.isfinite(world.cell_hours).sum() == H * W - 1
    assert world.population[7, 8] == 0 and world.population.sum() == pytest.approx(3.0 * (H * W - 1))


def test_slope_slows_by_toblers_ratio_and_water_barriers_and_abroad_are_impassable(tmp_path):
    rise_m = 100.0  # per 1 km cell, west to east: a slope of 0.1
    elevation = np.broadcast_to(np.arange(W) * rise_m, (H, W)).astype(np.float32)
    cover = np.full((H, W), OPEN, dtype=np.uint8)
    cover[0, :3] = WATER, BARRIER, ABROAD
    roads = np.zeros((H, W), dtype=np.uint8)
    roads[:, 10] = 1
    roads[0, 2] = 1  # a road abroad stays abroad
    overrides = {**PLAIN, "world.elevation_file": str(write_tif(tmp_path / "e.tif", elevation)),
                 "world.landcover_file": str(write_tif(tmp_path / "l.tif", cover)),
                 "world.roads_file": str(write_tif(tmp_path / "r.tif", roads))}
    scenario = Scenario().with_overrides(overrides, "test")
    world = build_world(scenario)
    terrain = scenario.params.terrain
    assert world.cell_hours[5, 20] == pytest.approx(CELL_KM / terrain.open_kmh * np.exp(TOBLER_DECAY * 0.1), rel=1e-6)
    assert world.cell_hours[5, 10] == pytest.approx(CELL_KM / terrain.road_kmh * np.exp(TOBLER_DECAY * 0.1), rel=1e-6)
    assert np.isinf(world.cell_hours[0, :3]).all() and world.cover[0, 2] == ABROAD
    assert (world.cover[1:, 10] == ROAD).all()


def test_a_road_thinner_than_a_cell_stays_a_connected_road(tmp_path):
    scenario = Scenario().with_overrides(GEO, "test")
    grid = grid_of(scenario)
    fine = 4  # road pixels of 250 m
    roads = np.zeros((grid.height * fine, grid.width * fine), dtype=np.uint8)
    roads[:, 20 * fine] = 1  # one pixel wide, on the west edge of column 20: never at a cell's centre
    transform_ = from_origin(grid.west, grid.north, 1000 / fine, 1000 / fine)
    path = write_tif(tmp_path / "roads.tif", roads, CRS, transform_)
    world = build_world(scenario.with_overrides({"world.roads_file": str(path)}, "test"))
    assert (world.cover[:, 20] == ROAD).all()


def test_a_raster_too_large_to_read_over_the_world_is_refused(tmp_path, refused, monkeypatch):
    monkeypatch.setattr(raster_input, "MAX_SOURCE_CELLS", 1000)
    _georeferenced_tif(tmp_path)
    (tmp_path / "s.toml").write_text(GEO_TOML + 'cost_file = "cost.tif"\n')
    refused(tmp_path / "s.toml", "world.cost_file", "at most 1,000 raster cells", "gdalwarp")


def cell_lonlat(grid, cells):
    """Lon/lat of the centres of (row, col) ``cells`` of ``grid``."""
    xs = [grid.west + (c + 0.5) * grid.cell_km * 1000 for _, c in cells]
    ys = [grid.north - (r + 0.5) * grid.cell_km * 1000 for r, _ in cells]
    lon, lat = transform(CRS, "EPSG:4326", xs, ys)
    return [[round(a, 7), round(b, 7)] for a, b in zip(lon, lat, strict=True)]


def test_lonlat_sites_from_lists_csv_and_geojson_land_in_their_cells(tmp_path):
    scenario = Scenario(source=str(tmp_path / "s.toml")).with_overrides(GEO, "test")
    grid = grid_of(scenario)
    w = grid.width
    sources, sinks, bases = [(60, 5), (62, 40)], [(0, 10), (1, 50)], [(30, 30)]
    (tmp_path / "sites.csv").write_text("kind,lon,lat,name\n" + "".join(
        f"sinks,{lon},{lat},Port {i}\n" for i, (lon, lat) in enumerate(cell_lonlat(grid, sinks))))
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": point},
                 "properties": {"kind": "bases", "name": "Base"}} for point in cell_lonlat(grid, bases)]
    (tmp_path / "bases.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    world = build_world(scenario.with_overrides({"sites.sources_lonlat": cell_lonlat(grid, sources), "world.sources": 2,
                                                 "sites.file": "sites.csv", "world.sinks": 2}, "test"))
    np.testing.assert_array_equal(world.sources, [r * w + c for r, c in sources])
    np.testing.assert_array_equal(world.sinks, [r * w + c for r, c in sinks])
    world = build_world(scenario.with_overrides({"sites.file": "bases.geojson", "drones.bases": 1}, "test"))
    np.testing.assert_array_equal(world.bases, [[30.5, 30.5]])
    x_km, y_km = grid.lonlat_to_km(*np.array(cell_lonlat(grid, sinks)).T)
    np.testing.assert_allclose(x_km, [10.5, 50.5], atol=1e-4)  # lon/lat rounded to 1e-7°, about 1 cm
    np.testing.assert_allclose(y_km, [0.5, 1.5], atol=1e-4)


def test_a_georeferenced_run_works_end_to_end_and_its_resolved_scenario_runs_the_same(tmp_path):
    scenario = Scenario().with_overrides(GEO, "test")
    grid = grid_of(scenario)
    shape = (grid.height, grid.width)
    arrays = rasters(shape)
    arrays["landcover"][:, :8] = OPEN
    arrays["landcover"][:20, :] = OPEN
    arrays["landcover"][-10:, :] = OPEN
    for kind in TERRAIN:
        write_tif(tmp_path / f"{kind}.tif", arrays[kind], CRS, grid.transform)
    sinks = cell_lonlat(grid, [(0, 20), (0, 50)])
    (tmp_path / "s.toml").write_text(
        f'[world]\ncrs = "{CRS}"\nbbox = {BBOX}\ncell_km = 1.0\nsinks = 2\n'
        + "".join(f'{kind}_file = "{kind}.tif"\n' for kind in TERRAIN)
        + f"[run]\nsteps = 200\n[drones]\ncount = 4\n[sites]\nsinks_lonlat = {sinks}\n")
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "s.toml"), "--quiet", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["shipments_launched"] > 0
    resolved = load_scenario(out / "scenario.toml")
    assert (resolved["world.height"], resolved["world.width"]) == shape
    assert main(["run", str(out / "scenario.toml"), "--quiet", "--out", str(tmp_path / "again")]) == 0
    assert json.loads((tmp_path / "again" / "summary.json").read_text()) == summary


# --- bad input: one line, exit 2, nothing written ------------------------------------------------------

def _georeferenced_tif(tmp_path, name="cost.tif", crs=CRS, array=None, nodata=None):
    grid = grid_of(Scenario().with_overrides(GEO, "test"))
    data = np.ones((grid.height, grid.width), dtype=np.float32) if array is None else array(grid)
    return write_tif(tmp_path / name, data, crs, grid.transform, nodata)


def _two_bands(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", height=H, width=W, count=2, dtype="float32") as dst:
            dst.write(np.ones((2, H, W), np.float32))


GEO_TOML = f'[world]\ncrs = "{CRS}"\nbbox = {BBOX}\ncell_km = 1.0\n'
PLAIN_TOML = f"[world]\nheight = {H}\nwidth = {W}\ncell_km = {CELL_KM}\n"


@pytest.mark.parametrize(("setup", "body", "fragments"), [
    (lambda d: (d / "cost.tif").write_text("not a raster"), GEO_TOML + 'cost_file = "cost.tif"\n',
     ("world.cost_file", "GeoTIFF", "cost.tif")),
    (lambda d: (d / "cost.txt").write_text("1"), PLAIN_TOML + 'cost_file = "cost.txt"\n',
     ("world.cost_file", "expected a .npy or GeoTIFF")),
    (lambda d: write_tif(d / "cost.tif", np.ones((H, W), np.float32)), GEO_TOML + 'cost_file = "cost.tif"\n',
     ("world.cost_file", "without a CRS")),
    (lambda d: _georeferenced_tif(d, crs="EPSG:32611"), GEO_TOML + 'cost_file = "cost.tif"\n',  # the zone to the west
     ("world.cost_file", "covering the world", "EPSG:32611")),
    (lambda d: _georeferenced_tif(d, array=lambda g: np.full((g.height, g.width), -1, np.float32), nodata=-1),
     GEO_TOML + 'cost_file = "cost.tif"\n', ("world.cost_file", "only nodata")),
    (lambda d: write_tif(d / "cost.tif", np.ones((H, W + 1), np.float32)), PLAIN_TOML + 'cost_file = "cost.tif"\n',
     ("world.cost_file", f"shape ({H}, {W})", f"({H}, {W + 1})")),
    (lambda d: write_tif(d / "cost.tif", np.full((H, W), -2.0, np.float32)), PLAIN_TOML + 'cost_file = "cost.tif"\n',
     ("world.cost_file", "hours per cell in")),
    (lambda d: write_tif(d / "cost.tif", np.ones((H, W), np.complex64)), PLAIN_TOML + 'cost_file = "cost.tif"\n',
     ("world.cost_file", "one band of integers or floating point", "complex64")),
    (lambda d: _two_bands(d / "p.tif"), PLAIN_TOML + 'population_file = "p.tif"\n', ("world.population_file", "got 2 band(s)")),
    (lambda d: write_tif(d / "p.tif", np.full((H, W), -2.0, np.float32)), PLAIN_TOML + 'population_file = "p.tif"\n',
     ("world.population_file", "people per cell")),
    (lambda d: write_tif(d / "l.tif", np.full((H, W), 9, np.uint8)), PLAIN_TOML + 'landcover_file = "l.tif"\n',
     ("world.landcover_file", "land-cover codes", "9")),
    (lambda d: write_tif(d / "e.tif", np.full((H, W), 20000.0, np.float32)), PLAIN_TOML + 'elevation_file = "e.tif"\n',
     ("world.elevation_file", "metres in")),
    (None, '[world]\ncrs = "EPSG:4326"\nbbox = [-111, 31, -110, 32]\n', ("world.crs", "projected CRS in metres", "geographic")),
    (None, '[world]\ncrs = "no such CRS"\nbbox = [-111, 31, -110, 32]\n', ("world.crs", "projected CRS in metres")),
    (None, '[world]\ncrs = "EPSG:4978"\nbbox = [-111, 31, -110, 32]\n', ("world.crs", "in metres", "not projected")),
    (None, f'[world]\ncrs = "{CRS}"\nbbox = [-111, 31, -110.9, 31.1]\n', ("world.bbox", "world.height in [64, 2048]", "12 × 10")),
    (None, f'[world]\ncrs = "{CRS}"\nbbox = [-110, 31, -111, 32]\n', ("world.bbox", "west < east")),
    (None, "[world]\nbbox = [-111, 31, -110, 32]\n", ("world.bbox", "world.crs to be set")),
    (None, f'[world]\ncrs = "{CRS}"\n', ("world.bbox", "or a GeoTIFF raster to take the grid from")),
    (lambda d: write_tif(d / "l.tif", np.zeros((40, 3000), np.uint8), CRS, from_origin(0, 3e6, 30, 30)),
     f'[world]\ncrs = "{CRS}"\nlandcover_file = "l.tif"\n', ("world.bbox", "world.height in [64, 2048]", "own grid")),
    (lambda d: write_tif(d / "l.tif", np.zeros((80, 80), np.uint8), "EPSG:32611", from_origin(0, 3e6, 30, 30)),
     f'[world]\ncrs = "{CRS}"\nlandcover_file = "l.tif"\n', ("world.landcover_file", "in world.crs EPSG:32612", "EPSG:32611")),
    (lambda d: write_tif(d / "l.tif", np.zeros((80, 80), np.uint8), CRS, from_origin(0, 3e6, 30, 20)),
     f'[world]\ncrs = "{CRS}"\nlandcover_file = "l.tif"\n', ("world.landcover_file", "square pixels", "30 × 20")),
    (None, PLAIN_TOML + "sinks = 1\n[sites]\nsinks_lonlat = [[-111.0, 31.5]]\n",
     ("sites.sinks_lonlat[0]", "georeferenced world")),
    (None, GEO_TOML + "sinks = 1\n[sites]\nsinks_lonlat = [[-112.5, 31.5]]\n",
     ("sites.sinks_lonlat[0]", "inside the world", "-112.5")),
    (lambda d: (d / "s.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-111.0, 33.0]}, "properties": {"kind": "sinks"}}]})),
     GEO_TOML + 'sinks = 1\n[sites]\nfile = "s.geojson"\n', ("sites.file: feature 0", "inside the world", "s.geojson")),
    (lambda d: (d / "s.geojson").write_text('{"type": "Feature"}'), GEO_TOML + '[sites]\nfile = "s.geojson"\n',
     ("sites.file", "FeatureCollection")),
    (lambda d: (d / "s.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-111.0, 31.3]}, "properties": {}}]})),
     GEO_TOML + '[sites]\nfile = "s.geojson"\n', ("sites.file", "feature 0", "properties.kind")),
    (lambda d: (d / "s.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
         "properties": {"kind": "sinks"}}]})),
     GEO_TOML + '[sites]\nfile = "s.geojson"\n', ("sites.file", "feature 0", "Point geometry")),
    (lambda d: (d / "s.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["-111.0", "31.3"]},
         "properties": {"kind": "sinks"}}]})),
     GEO_TOML + 'sinks = 1\n[sites]\nfile = "s.geojson"\n', ("sites.file", "feature 0", "Point geometry", "'-111.0'")),
    (lambda d: (d / "s.csv").write_text("kind,lon,lat\nsinks,-111,31.3\n"), PLAIN_TOML + 'sinks = 1\n[sites]\nfile = "s.csv"\n',
     ("sites.file", "georeferenced world")),
])
def test_bad_real_place_inputs_are_refused(tmp_path, refused, setup, body, fragments):
    if setup is not None:
        setup(tmp_path)
    scenario = tmp_path / "s.toml"
    scenario.write_text(body)
    refused(scenario, *fragments)


def test_a_site_the_worlds_projection_cannot_reach_is_refused_in_one_line_naming_where_it_was_given(tmp_path, refused):
    """[-20, 0] lies 90° from UTM 12 N's central meridian, outside its projection's domain (PROJ refuses it)."""
    (tmp_path / "listed.toml").write_text(GEO_TOML + "[drones]\nbases = 1\n[sites]\nbases_lonlat = [[-20, 0]]\n")
    refused(tmp_path / "listed.toml", "listed.toml: sites.bases_lonlat[0]", "can project", "[-20.0, 0.0]")
    (tmp_path / "sites.csv").write_text("kind,lon,lat\nbases,-20,0\n")
    (tmp_path / "file.toml").write_text(GEO_TOML + '[drones]\nbases = 1\n[sites]\nfile = "sites.csv"\n')
    refused(tmp_path / "file.toml", "file.toml: sites.file: line 2", "can project", "sites.csv")
    (tmp_path / "out.csv").write_text("kind,x_km,y_km\nbases,-5,3\n")
    (tmp_path / "out.toml").write_text(PLAIN_TOML + '[drones]\nbases = 1\n[sites]\nfile = "out.csv"\n')
    refused(tmp_path / "out.toml", "out.toml: sites.file: line 2", "inside the world", "out.csv")


def test_points_outside_the_projections_domain_come_back_as_nan_with_the_others_projected():
    grid = grid_of(Scenario().with_overrides(GEO, "test"))
    x_km, y_km = grid.lonlat_to_km([-111.2, -20.0, -111.3], [31.3, 0.0, 31.4])
    assert np.isnan(x_km[1]) and np.isnan(y_km[1])
    np.testing.assert_allclose(np.column_stack([x_km[[0, 2]], y_km[[0, 2]]]),
                               np.column_stack(grid.lonlat_to_km([-111.2, -111.3], [31.3, 31.4])))
    assert np.isfinite(np.column_stack(grid.lonlat_to_km([-111.2, -111.3], [31.3, 31.4]))).all()
