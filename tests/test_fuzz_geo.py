"""Geographic inputs a fuzzer broke (sites, basemap, population, grid raster, CRS): each refused in one line, exit 2.

Every case runs ``skywatch validate`` in-process, which builds the world and so reads every file;
stderr is captured at the file descriptor, so a line GDAL prints itself counts too, and no Python
warning may be raised.
"""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from sim.cli import main

PREFIX = "skywatch: error: "
CRS = "EPSG:32612"  # UTM zone 12 N
SMALL_TOML = "[world]\nheight = 64\nwidth = 64\n"
GEO_TOML = f'[world]\ncrs = "{CRS}"\nbbox = [-111.6, 31.0, -110.9, 31.6]\ncell_km = 1.0\n'  # around Nogales, 67 × 67 km
BIG_INT = 10**400  # beyond the range of a float
HUGE_PEOPLE = 1.7e308  # finite per cell, but two of them sum to inf


def refused_in_one_line(tmp_path: Path, capfd, body: str, *fragments: str) -> None:
    """``skywatch validate`` of the scenario ``body`` exits 2 with one error line naming every fragment, and no warning."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(body)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["validate", str(scenario)])
    err = capfd.readouterr().err
    assert not caught, [str(warning.message) for warning in caught]
    lines = err.splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith(PREFIX), err
    assert all(fragment in lines[0] for fragment in fragments), lines[0]


def write_sites(path: Path, kind, coordinates) -> Path:
    """A GeoJSON FeatureCollection of one Point site."""
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": coordinates}, "properties": {"kind": kind}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


@pytest.mark.parametrize("kind", [["sinks"], {"kind": "sinks"}])
def test_a_site_kind_that_is_not_a_string_is_refused(tmp_path, capfd, kind):
    write_sites(tmp_path / "s.geojson", kind, [-111.0, 31.3])
    refused_in_one_line(tmp_path, capfd, SMALL_TOML + 'sinks = 1\n[sites]\nfile = "s.geojson"\n',
                        "sites.file", "feature 0", "properties.kind one of")


def test_a_site_coordinate_beyond_the_range_of_a_float_is_refused(tmp_path, capfd):
    write_sites(tmp_path / "s.geojson", "sinks", [BIG_INT, 31.3])
    refused_in_one_line(tmp_path, capfd, GEO_TOML + 'sinks = 1\n[sites]\nfile = "s.geojson"\n',
                        "sites.file", "feature 0", "Point geometry")


@pytest.mark.parametrize(("sites", "field"), [
    ("sinks_lonlat = [[-111.0, 91.0]]\n", "sites.sinks_lonlat[0]"),
    ('file = "s.geojson"\n', "sites.file: feature 0"),
])
def test_a_site_beyond_the_poles_is_refused(tmp_path, capfd, sites, field):
    write_sites(tmp_path / "s.geojson", "sinks", [-111.0, 1e300])
    refused_in_one_line(tmp_path, capfd, GEO_TOML + "sinks = 1\n[sites]\n" + sites, field, "lat in [-90, 90]")


def test_a_sites_csv_field_beyond_the_csv_modules_limit_is_refused(tmp_path, capfd):
    (tmp_path / "s.csv").write_text("kind,x_km,y_km\nsinks,1," + "1" * 200_000 + "\n")
    refused_in_one_line(tmp_path, capfd, SMALL_TOML + 'sinks = 1\n[sites]\nfile = "s.csv"\n',
                        "sites.file", "line 2", "well-formed CSV", "s.csv")


def test_a_basemap_coordinate_beyond_the_range_of_a_float_is_refused(tmp_path, capfd):
    line = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[-111.0, 31.3], [BIG_INT, 31.4]]},
            "properties": {"kind": "coast"}}
    (tmp_path / "b.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [line]}))
    refused_in_one_line(tmp_path, capfd, GEO_TOML + 'basemap_file = "b.geojson"\n', "world.basemap_file", "feature 0")


def test_a_population_whose_total_overflows_is_refused_without_a_warning(tmp_path, capfd):
    np.save(tmp_path / "p.npy", np.full((64, 64), HUGE_PEOPLE))
    refused_in_one_line(tmp_path, capfd, SMALL_TOML + 'population_file = "p.npy"\n', "world.population_file", "people per cell")


def test_a_grid_raster_that_is_not_georeferenced_is_refused_without_a_warning(tmp_path, capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(tmp_path / "l.tif", "w", driver="PNG", height=80, width=80, count=1, dtype="uint8") as dst:
            dst.write(np.zeros((1, 80, 80), np.uint8))
    refused_in_one_line(tmp_path, capfd, f'[world]\ncrs = "{CRS}"\nlandcover_file = "l.tif"\n',
                        "world.landcover_file", "got CRS none")


def test_an_unknown_crs_is_refused_without_gdal_printing_its_own_error(tmp_path, capfd):
    refused_in_one_line(tmp_path, capfd, GEO_TOML.replace(CRS, "EPSG:99999"), "world.crs", "EPSG:99999")


def test_a_crs_of_another_body_is_refused_for_the_world_and_for_a_raster(tmp_path, capfd):
    """A Mars CRS is projected and in metres, but PROJ cannot take longitude and latitude of the Earth into it."""
    mars = "IAU_2015:49910"
    refused_in_one_line(tmp_path, capfd, GEO_TOML.replace(CRS, mars), "world.crs", "of the Earth", mars)
    with rasterio.open(tmp_path / "p.tif", "w", driver="GTiff", height=10, width=10, count=1, dtype="float32", crs=mars,
                       transform=rasterio.transform.from_origin(0.0, 1e5, 1e4, 1e4)) as dst:
        dst.write(np.ones((1, 10, 10), np.float32))
    refused_in_one_line(tmp_path, capfd, GEO_TOML + 'population_file = "p.tif"\n', "world.population_file", "covering")


def test_a_pipe_to_take_the_grid_from_is_refused_without_reading_it(tmp_path):
    """A pipe nobody writes to blocks a reader forever: the grid's raster must be a regular file."""
    os.mkfifo(tmp_path / "l.tif")
    (tmp_path / "s.toml").write_text(f'[world]\ncrs = "{CRS}"\nlandcover_file = "l.tif"\n')
    done = subprocess.run([sys.executable, "-m", "sim", "validate", str(tmp_path / "s.toml")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "world.landcover_file" in done.stderr and "regular GeoTIFF" in done.stderr
