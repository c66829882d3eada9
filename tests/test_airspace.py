"""Authorised airspace: drones patrol and sense only inside the zones; bad zones and mask files are refused."""

from pathlib import Path

import numpy as np
import pytest

from sim.airspace import authorised_mask, rasterise, self_intersects
from sim.kernels import flight
from sim.model import SkywatchModel
from sim.outcomes import summarize
from sim.scenario import Scenario, load_scenario

SIDE = 72  # cells of 1 km
SMALL = {"world.height": SIDE, "world.width": SIDE, "drones.count": 10, "drones.endurance_h": 4.0, "drones.turnaround_h": 1.0,
         "run.validate": True}
BAND_AND_TRIANGLE = ([[20, 0], [44, 0], [44, 72], [20, 72]], [[50, 10], [70, 30], [52, 50]])
NEAR = 1e-6  # cells: a point this close to an authorised cell counts as on its edge


def _scenario(**overrides) -> Scenario:
    return Scenario().with_overrides({**SMALL, **overrides}, "test")


def _l_shaped_mask() -> np.ndarray:
    """A non-convex authorised area: a band down the west and a band along the south."""
    mask = np.zeros((SIDE, SIDE), dtype=bool)
    mask[:, 8:24] = True
    mask[48:64, 8:64] = True
    return mask


def _inside(mask: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points in an authorised cell or on the edge of one."""
    found = np.zeros(x.shape, dtype=bool)
    for dx in (-NEAR, NEAR):
        for dy in (-NEAR, NEAR):
            c, r = np.floor(x + dx).astype(int), np.floor(y + dy).astype(int)
            ok = (r >= 0) & (r < mask.shape[0]) & (c >= 0) & (c < mask.shape[1])
            found[ok] |= mask[r[ok], c[ok]]
    return found


def _fly_and_check(scenario: Scenario, steps: int) -> SkywatchModel:
    """Step a validating model, checking after every step: nothing sensed outside, patrol waypoints and legs inside."""
    model = SkywatchModel(scenario)
    mask = model.world.airspace
    fleet = model.fleet
    sensed = patrol_legs = 0
    for _ in range(steps):
        model.step()  # validating mode: the air phase's check raises on any cell sensed outside
        assert not model.air.cover[~mask].any()
        sensed += int(np.count_nonzero(model.air.cover))
        patrol = fleet.state == flight.PATROL
        assert _inside(mask, fleet.wx[patrol], fleet.wy[patrol]).all(), "a patrol waypoint outside the zones"
        for d in np.flatnonzero(patrol):
            # legs after the first of a step start at a waypoint reached (the first may be transit from the base)
            for x0, y0, x1, y1 in fleet.legs[d, 1:fleet.leg_count[d]]:
                t = np.linspace(0.0, 1.0, 65)
                assert _inside(mask, x0 + t * (x1 - x0), y0 + t * (y1 - y0)).all(), "a patrol leg left the zones"
                patrol_legs += 1
    assert sensed > 0 and patrol_legs > 0, "the drones patrolled and sensed inside the zones"
    return model


@pytest.mark.parametrize("policy", ["random", "lawnmower", "hotspot"])
def test_drones_stay_and_sense_inside_polygon_zones(policy):
    model = _fly_and_check(_scenario(**{"airspace.zones_km": BAND_AND_TRIANGLE, "drones.patrol": policy}), 120)
    summary = summarize(model)
    mask = model.world.airspace
    assert summary["authorised_share"] == pytest.approx(mask.mean()) and 0.3 < mask.mean() < 0.5
    area = mask.sum()  # 1 km cells
    assert summary["seizures_per_authorised_km2"] == pytest.approx(summary["shipments_seized"] / area)


@pytest.mark.parametrize("policy", ["random", "lawnmower"])
def test_drones_stay_and_sense_inside_a_non_convex_mask_file(tmp_path, policy):
    np.save(tmp_path / "mask.npy", _l_shaped_mask())
    scenario = _scenario(**{"airspace.mask_file": str(tmp_path / "mask.npy"), "drones.patrol": policy})
    model = _fly_and_check(scenario, 120)
    assert (model.world.airspace == _l_shaped_mask()).all()


def test_an_all_true_mask_changes_nothing(tmp_path):
    np.save(tmp_path / "all.npy", np.ones((SIDE, SIDE), dtype=np.uint8))
    plain = _scenario(**{"run.steps": 80, "drones.patrol": "random"})
    masked = plain.with_overrides({"airspace.mask_file": str(tmp_path / "all.npy")}, "test")
    runs = []
    for scenario in (plain, masked):
        model = SkywatchModel(scenario)
        for _ in range(80):
            model.step()
        runs.append(summarize(model))
    for summary in runs:
        summary.pop("scenario_sha256")
    assert runs[0] == runs[1]


def test_rasterise_takes_cells_whose_centre_is_inside():
    square = np.array([[2.0, 1.0], [6.0, 1.0], [6.0, 3.0], [2.0, 3.0]])
    cells = rasterise(square, (5, 8), 1.0)
    expected = np.zeros((5, 8), dtype=bool)
    expected[1:3, 2:6] = True
    assert (cells == expected).all()
    assert (rasterise(square * 2.0, (5, 8), 2.0) == expected).all(), "km scale with the cell size"


def test_self_intersection_is_detected():
    assert self_intersects(np.array([[0.0, 0.0], [4.0, 4.0], [4.0, 0.0], [0.0, 4.0]]))  # a bow tie
    assert not self_intersects(np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [2.0, 1.0], [0.0, 4.0]]))  # non-convex, simple


def test_no_zones_and_no_file_restrict_nothing():
    assert authorised_mask(_scenario(), (SIDE, SIDE)).size == 0


def test_sovereign_zones_scenario_loads_and_runs():
    scenario = load_scenario("sovereign_zones").with_overrides({"run.validate": True}, "test")
    assert scenario.params.airspace.zones_km
    model = SkywatchModel(scenario)
    for _ in range(8):
        model.step()
    assert 0.0 < summarize(model)["authorised_share"] < 1.0


# --- bad input: one line, exit 2, nothing written ------------------------------------------------------

def _refused(tmp_path: Path, refused, body: str, *fragments: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f"[world]\nheight = {SIDE}\nwidth = {SIDE}\n{body}")
    refused(path, *fragments)


@pytest.mark.parametrize(("zones", "fragments"), [
    ("[[[0, 0], [10, 0]]]", ("airspace.zones_km[0]", "3 to 4096", "got 2")),
    ("[[[0, 0], [10, 10], [20, 20]]]", ("airspace.zones_km[0]", "non-zero area")),
    ("[[[0, 0], [10, 0], [10, 10], [0, 10]], [[0, 0], [10, 10], [10, 0], [0, 10]]]", ("airspace.zones_km[1]", "edges cross")),
    ("[[[0, 0], [80, 0], [0, 30]]]", ("airspace.zones_km[0]", "inside the world", "[80.0, 0.0]")),
    ("[[[0.1, 0.1], [0.4, 0.1], [0.1, 0.4]]]", ("airspace.zones_km[0]", "at least one cell centre")),
    ("[[[-1, 0], [10, 0], [0, 10]]]", ("airspace.zones_km", "list of polygons")),
    ("[[[0, 0, 1], [10, 0], [0, 10]]]", ("airspace.zones_km", "list of polygons")),
    ('"west"', ("airspace.zones_km", "list of polygons")),
])
def test_bad_zones_are_refused(tmp_path, refused, zones, fragments):
    _refused(tmp_path, refused, f"[airspace]\nzones_km = {zones}\n", *fragments)


@pytest.mark.parametrize(("array", "fragments"), [
    (np.ones((SIDE, SIDE + 1), dtype=bool), ("airspace.mask_file", "bool or numeric array of shape (72, 72)", "(72, 73)")),
    (np.ones((SIDE, SIDE), dtype=np.complex64), ("airspace.mask_file", "bool or numeric", "complex64")),
    (np.full((SIDE, SIDE), 2, dtype=np.int16), ("airspace.mask_file", "0 or 1", "found 2 at row 0, column 0")),
    (np.full((SIDE, SIDE), np.nan), ("airspace.mask_file", "0 or 1", "nan")),
    (np.zeros((SIDE, SIDE), dtype=bool), ("airspace.mask_file", "at least one authorised cell")),
])
def test_bad_mask_files_are_refused(tmp_path, refused, array, fragments):
    np.save(tmp_path / "mask.npy", array)
    _refused(tmp_path, refused, '[airspace]\nmask_file = "mask.npy"\n', *fragments)
