"""The shipped real-region scenario (northwest Mexico to the border) and the basemap drawn on the maps."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.ndimage import binary_dilation, distance_transform_edt

from sim.basemap import read_basemap
from sim.cli import main
from sim.georef import grid_of
from sim.model import SkywatchModel
from sim.scenario import ScenarioError, load_scenario
from sim.viz.figures import TERRAIN_SHADES, draw_map, draw_overview
from sim.viz.raster_map import Layers, RasterMap, hex_rgb
from sim.world import ABROAD, ROAD, ROUGH, WATER, build_world

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "nw_mexico.toml"
DATA = ROOT / "scenarios" / "nw_mexico"
MAX_SHIPPED_BYTES = 2 * 1024 * 1024
ROAD_PREFERENCE = 10  # routes put at least this many times the road cells' share of the land on roads
SIERRA_REACH = 2  # cells beside the rough land of the Sierra Madre that count as crossing it (roads through it are not rough)

# A small georeferenced world around Nogales (UTM 12 N, 1-km cells, about 89 × 67), procedural terrain.
SMALL_GEO = """\
[world]
crs = "EPSG:32612"
bbox = [-111.4, 30.6, -110.7, 31.4]
cell_km = 1.0
basemap_file = "basemap.geojson"

[run]
steps = 8
"""


def sites() -> list[dict]:
    return json.loads((DATA / "sites.geojson").read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    """The folder of one simulated week of the shipped scenario, run through the command line."""
    out = tmp_path_factory.mktemp("nw_mexico") / "run"
    assert main(["run", str(SCENARIO), "--out", str(out), "--quiet"]) == 0
    return out


def test_the_shipped_files_are_at_most_2_mb_in_all():
    files = [SCENARIO, *DATA.iterdir()]
    assert {p.name for p in DATA.iterdir()} >= {"landcover.tif", "population.tif", "sites.geojson", "basemap.geojson",
                                                "CREDITS.md"}
    assert sum(p.stat().st_size for p in files) <= MAX_SHIPPED_BYTES


def test_a_week_runs_end_to_end_and_writes_the_overview(week):
    summary = json.loads((week / "summary.json").read_text())
    assert summary["steps"] == 672
    assert summary["shipments_delivered"] > 0 and summary["seized_at_ports"] > 0
    ports = [f["properties"]["name"] for f in sites() if f["properties"]["kind"] == "sinks"]
    assert list(summary["crossing_arrivals"]) == [*ports, "open border"]
    assert (week / "overview.png").stat().st_size > 50_000


def test_the_ports_are_named_as_the_sites_file_names_the_sinks_in_their_order():
    ports = [f["properties"]["name"] for f in sites() if f["properties"]["kind"] == "sinks"]
    assert list(load_scenario(SCENARIO)["ports.names"]) == ports


def test_routes_follow_the_mapped_roads_and_cross_the_sierra_madre_on_them(week):
    world = build_world(load_scenario(SCENARIO))
    flow = np.load(week / "flow.npy")
    passable = np.isfinite(world.cell_hours)
    road = world.cover == ROAD
    assert flow[road].sum() / flow.sum() > ROAD_PREFERENCE * road[passable].mean()
    sierra = binary_dilation(world.cover == ROUGH, iterations=SIERRA_REACH) & passable
    assert flow[sierra].sum() > 0
    assert flow[sierra & road].sum() / flow[sierra].sum() > ROAD_PREFERENCE * road[sierra].mean()


def test_the_ports_of_the_sites_file_are_the_sinks_in_their_order():
    scenario = load_scenario(SCENARIO)
    world = build_world(scenario)
    grid = grid_of(scenario)
    ports = [f for f in sites() if f["properties"]["kind"] == "sinks"]
    assert len(ports) == world.sinks.size == 9
    names = {p["properties"]["name"] for p in ports}
    assert {"San Ysidro", "Calexico East", "San Luis", "Lukeville", "Nogales", "Douglas"} <= names
    lon, lat = np.array([p["geometry"]["coordinates"] for p in ports]).T
    x_km, y_km = grid.lonlat_to_km(lon, lat)
    rows, cols = np.divmod(world.sinks, world.shape[1])
    # each sink is its port's cell, or the nearest passable one when the port's cell lies abroad
    assert np.all(np.hypot(cols + 0.5 - x_km / grid.cell_km, rows + 0.5 - y_km / grid.cell_km) <= 2.0)
    assert np.all(world.cover.ravel()[world.sinks] != ABROAD)


def test_the_terrain_is_told_apart_and_the_overview_names_the_ports_and_towns():
    model = SkywatchModel(load_scenario(SCENARIO).with_overrides({"run.steps": 4}, "test"))
    fig = draw_overview(model)
    map_axes = fig.axes[0]
    texts = {text.get_text() for text in map_axes.texts}
    labels = {text.get_text() for text in map_axes.get_legend().get_texts()}
    plt.close(fig)
    port_names = {f["properties"]["name"] for f in sites() if f["properties"]["kind"] == "sinks"}
    assert port_names <= texts and {"Hermosillo", "Culiacán", "Tijuana"} <= texts
    assert {"coastline", "international border", "town (named)"} <= labels
    assert {TERRAIN_SHADES[name].label for name in ("water", "abroad", "rough")} <= labels
    assert TERRAIN_SHADES["impassable"].label not in labels, "no impassable land in this world: not in the legend"
    painter = RasterMap(model)
    image = painter.paint(Layers(flow=False, footprints=False, zones=False, seizures=False))
    world = model.world
    for code, name in ((WATER, "water"), (ABROAD, "abroad")):
        deepest = int(np.argmax(distance_transform_edt(world.cover == code)))  # far from lines and names drawn over it
        pixel = painter.cell_pixels(np.array([deepest]))
        assert tuple(image[pixel][0]) == hex_rgb(TERRAIN_SHADES[name].colour)
    assert {"coast", "border", "port", "town"} <= painter.basemap_kinds
    assert painter.basemap is not None and painter.basemap[0].sum() > 1000, "lines and names painted on the live map"


def write_small(folder: Path, basemap: object) -> Path:
    """The small georeferenced scenario with ``basemap`` (a JSON value, or text written as is) as its basemap."""
    (folder / "basemap.geojson").write_text(basemap if isinstance(basemap, str) else json.dumps(basemap), encoding="utf-8")
    path = folder / "small.toml"
    path.write_text(SMALL_GEO)
    return path


def line(kind: str, *points: list[float]) -> dict:
    return {"type": "Feature", "properties": {"kind": kind}, "geometry": {"type": "LineString", "coordinates": list(points)}}


def place(kind: str, name: object, lon: float, lat: float) -> dict:
    return {"type": "Feature", "properties": {"kind": kind, "name": name},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def test_the_basemap_lies_where_its_lon_lat_put_it_and_points_outside_are_left_out(tmp_path):
    path = write_small(tmp_path, collection(line("border", [-111.5, 31.33], [-110.6, 31.33]),
                                            place("port", "Nogales", -110.9426, 31.3326),
                                            place("town", "Imuris", -110.853, 30.778),
                                            place("town", "Hermosillo", -110.954, 29.099)))  # outside the world
    scenario = load_scenario(path)
    basemap = read_basemap(scenario)
    grid = grid_of(scenario)
    (x_km,), (y_km,) = grid.lonlat_to_km(-110.853, 30.778)
    assert [(kind, name) for kind, name, *_ in basemap.points] == [("port", "Nogales"), ("town", "Imuris")]
    assert basemap.points[1][2:] == pytest.approx((x_km / grid.cell_km, y_km / grid.cell_km))
    assert [kind for kind, _ in basemap.lines] == ["border"] and basemap.lines[0][1].shape == (2, 2)
    fig, ax = plt.subplots()
    draw_map(ax, SkywatchModel(scenario), basemap)
    assert {"Nogales", "Imuris"} <= {text.get_text() for text in ax.texts}
    plt.close(fig)



def test_basemap_places_outside_the_projections_domain_are_left_out_as_places_outside_the_world(tmp_path):
    """[-20, 0] is 90° from UTM 12 N's central meridian: PROJ cannot project it. A GIS leaves it out of the layer."""
    path = write_small(tmp_path, collection(line("coast", [-111.5, 31.0], [-20.0, 0.0], [-111.0, 31.2]),
                                            place("town", "Nowhere", -20.0, 0.0), place("port", "Nogales", -110.9426, 31.3326)))
    scenario = load_scenario(path)
    basemap = read_basemap(scenario)
    assert [name for _, name, *_ in basemap.points] == ["Nogales"]
    (_, coast), = basemap.lines
    assert np.isnan(coast[1]).all() and np.isfinite(coast[[0, 2]]).all()
    fig, ax = plt.subplots()
    draw_map(ax, SkywatchModel(scenario), basemap)
    plt.close(fig)

@pytest.mark.parametrize(("basemap", "expected"), [
    ("{not json", "expected GeoJSON"),
    ({"type": "Feature"}, "expected a GeoJSON FeatureCollection"),
    (collection(line("river", [-111, 31], [-110.8, 31])), "feature 0: expected properties.kind one of coast|border|port|town"),
    (collection(line("coast", [-111, 31])), "feature 0: expected a LineString or MultiLineString"),
    (collection(line("coast", [-111, 31], [-110.8, float("nan")])), "feature 0: expected a LineString"),
    (collection(line("border", [-111, 31], [-110.8, 95])), "feature 0: expected a LineString"),
    (collection(place("town", "", -111, 31)), "feature 0: expected properties.name"),
    (collection(place("port", 7, -111, 31)), "feature 0: expected properties.name"),
    (collection(line("coast", [-111, 31], [-110.8, 31]), place("town", "Altar", "west", 31)),
     "feature 1: expected a Point geometry"),
])
def test_a_malformed_basemap_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, basemap, expected):
    path = write_small(tmp_path, basemap)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "world.basemap_file" in err[0] and expected in err[0], err
    assert not out.exists()


def test_a_basemap_needs_a_georeferenced_world(tmp_path):
    path = write_small(tmp_path, collection())
    path.write_text('[world]\nbasemap_file = "basemap.geojson"\n')
    with pytest.raises(ScenarioError, match=r"world\.basemap_file: expected a georeferenced world"):
        read_basemap(load_scenario(path))


def test_a_malformed_basemap_is_refused_before_the_run_and_by_validate(tmp_path, capsys, monkeypatch):
    path = write_small(tmp_path, collection(place("town", "", -111, 31)))
    assert main(["validate", str(path)]) == 2
    assert "world.basemap_file" in capsys.readouterr().err
    stepped = []
    monkeypatch.setattr(SkywatchModel, "step", lambda self: stepped.append(1))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert not stepped, "refused at construction, before any step"
