"""Sites where the user puts them: given in km (lists or a CSV), they land in their cells; bad ones are refused."""

import json

import numpy as np
import pytest

from sim.cli import main
from sim.scenario import Scenario, load_scenario
from sim.world import INFRA_NAMES, build_world

SIDE = 72  # cells of 2 km: the world is 144 km square
CELL_KM = 2.0
SMALL = {"world.height": SIDE, "world.width": SIDE, "world.cell_km": CELL_KM}
SITES = {  # kind: (points in km, the flat cells they lie in)
    "sources": ([[10.0, 130.5], [101.0, 139.9], [60.0, 120.0]], [65 * SIDE + 5, 69 * SIDE + 50, 60 * SIDE + 30]),
    "sinks": ([[20.0, 0.0], [143.9, 1.0]], [10, 71]),
    "bases": ([[70.0, 70.0]], [35 * SIDE + 35]),
    "checkpoints": ([[30.0, 50.0], [144.0, 144.0]], [25 * SIDE + 15, 71 * SIDE + 71]),
    "posts": ([[40.0, 80.0], [41.0, 81.0], [100.0, 20.0]], [40 * SIDE + 20, 40 * SIDE + 20, 10 * SIDE + 50]),
    "infrastructure": ([[12.0, 126.0], [90.0, 90.0], [100.0, 138.0], [58.0, 118.0]],
                       [63 * SIDE + 6, 45 * SIDE + 45, 69 * SIDE + 50, 59 * SIDE + 29]),
}
COUNTS = {"sources": "world.sources", "sinks": "world.sinks", "bases": "drones.bases", "checkpoints": "ground.checkpoints",
          "posts": "ground.units", "infrastructure": "world.infrastructure"}


def _given(kinds=tuple(SITES)) -> dict:
    """Overrides giving the sites of ``kinds``, their counts set to match."""
    overrides = {}
    for kind in kinds:
        points, _ = SITES[kind]
        overrides[f"sites.{kind}_km"] = points
        overrides[COUNTS[kind]] = len(points)
    return overrides


def _centres(cells: list[int]) -> np.ndarray:
    rows, cols = np.divmod(np.array(cells), SIDE)
    return np.column_stack([cols + 0.5, rows + 0.5])


def _world(**overrides):
    return build_world(Scenario().with_overrides({**SMALL, **overrides}, "test"))


def test_given_sites_land_in_the_cells_holding_them():
    world = _world(**_given())
    np.testing.assert_array_equal(world.sources, SITES["sources"][1])
    np.testing.assert_array_equal(world.sinks, SITES["sinks"][1])
    np.testing.assert_array_equal(world.infra_cells, SITES["infrastructure"][1])
    np.testing.assert_array_equal(world.bases, _centres(SITES["bases"][1]))
    np.testing.assert_array_equal(world.checkpoints, _centres(SITES["checkpoints"][1]))
    np.testing.assert_array_equal(world.posts, _centres(SITES["posts"][1]))
    np.testing.assert_array_equal(world.source_owner, [0, 1, 0])  # cartel i mod cartels.count (2)
    np.testing.assert_array_equal(world.infra_kind, np.arange(4) % len(INFRA_NAMES))  # lab, stash house, airstrip in turn
    np.testing.assert_array_equal(world.infra_owner, [0, 0, 1, 0])  # the owner of the nearest source


def test_a_kind_given_leaves_every_other_kind_where_chance_put_it():
    random = _world()
    for kind in SITES:
        world = _world(**_given((kind,)))
        kept = {"sources": "sources", "sinks": "sinks", "bases": "bases", "checkpoints": "checkpoints", "posts": "posts",
                "infrastructure": "infra_cells"}
        kept.pop(kind)
        if kind == "sources":  # labs are drawn near the sources
            kept.pop("infrastructure")
        for attribute in kept.values():
            np.testing.assert_array_equal(getattr(world, attribute), getattr(random, attribute), err_msg=f"{kind}: {attribute}")
        np.testing.assert_array_equal(world.cell_hours, random.cell_hours)


def test_file_sites_follow_the_list_ones_and_extra_columns_are_ignored(tmp_path):
    (tmp_path / "sites.csv").write_text("name, kind, y_km, x_km\nNogales, sinks, 0.5, 60\nLab A,sources,140,3\n"
                                        "Lukeville,sinks,1,100.2\n")
    (tmp_path / "s.toml").write_text("[world]\nheight = 72\nwidth = 72\ncell_km = 2.0\nsinks = 3\nsources = 1\n"
                                     '[sites]\nsinks_km = [[2, 0]]\nfile = "sites.csv"\n')
    world = build_world(load_scenario(tmp_path / "s.toml"))
    np.testing.assert_array_equal(world.sinks, [1, 30, 50])
    np.testing.assert_array_equal(world.sources, [70 * SIDE + 1])


def test_a_ground_site_on_impassable_land_moves_to_the_nearest_passable_cell_and_a_base_stays(tmp_path):
    cost = np.ones((SIDE, SIDE), dtype=np.float32)
    cost[:, 30:40] = np.inf  # an impassable band, columns 30 to 39
    np.save(tmp_path / "cost.npy", cost)
    world = _world(**{"world.cost_file": str(tmp_path / "cost.npy"), "sites.posts_km": [[62.0, 20.0], [77.0, 20.0]],
                      "ground.units": 2, "sites.bases_km": [[70.0, 70.0]], "drones.bases": 1})
    np.testing.assert_array_equal(world.posts, _centres([10 * SIDE + 29, 10 * SIDE + 40]))  # column 31 → 29, 38 → 40
    np.testing.assert_array_equal(world.bases, _centres([35 * SIDE + 35]))


def test_a_run_with_every_kind_of_site_given_works_end_to_end(tmp_path):
    lines = ["[world]", "height = 72", "width = 72", "cell_km = 2.0", "sources = 3", "sinks = 2", "infrastructure = 4",
             "[run]", "steps = 200", "validate = true", "[drones]", "count = 6", "bases = 1",
             "[ground]", "units = 3", "checkpoints = 2", "[sites]"]
    lines += [f"{kind}_km = {json.dumps(points)}" for kind, (points, _) in SITES.items()]
    (tmp_path / "s.toml").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "s.toml"), "--quiet", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["shipments_launched"] > 0
    resolved = out / "scenario.toml"
    assert main(["run", str(resolved), "--quiet", "--out", str(tmp_path / "again")]) == 0  # the resolved scenario keeps the sites
    again = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert again == summary


# --- bad input: one line, exit 2, nothing written ------------------------------------------------------

FILE = '[sites]\nfile = "sites.csv"\n'


@pytest.mark.parametrize(("body", "csv", "fragments"), [
    ("sinks = 2\n[sites]\nsinks_km = [[20, 0], [150, 3]]\n", None,
     ("sites.sinks_km[1]", "inside the world", "x in [0, 144]", "[150.0, 3.0]")),
    ("[sites]\nposts_km = [[20, 0, 1]]\n", None, ("sites.posts_km", "list of [x, y] points")),
    ("[sites]\nposts_km = [20, 0]\n", None, ("sites.posts_km", "list of [x, y] points")),
    ("[sites]\nposts_km = [[-1, 0]]\n", None, ("sites.posts_km", "list of [x, y] points", "[0, 1e+06]")),
    ("[sites]\nbases_km = [[20, 10]]\n", None, ("drones.bases", "expected 1, the number of bases given", "got 2")),
    (FILE, "kind,x_km\nsinks,3\n", ("sites.file", "header columns kind,x_km,y_km", "without y_km")),
    (FILE, "", ("sites.file", "header columns kind,x_km,y_km", "without kind, x_km, y_km")),
    (FILE, "kind,x_km,y_km,x_km\nsinks,3,0,50\n", ("sites.file", "each header column once", "x_km more than once")),
    (FILE, "kind,x_km,y_km\nsinks,3,zero\n", ("sites.file", "line 2", "numbers", "'zero'")),
    (FILE, "kind,x_km,y_km\nsinks,3,nan\n", ("sites.file", "line 2", "numbers", "'nan'")),
    (FILE, "kind,x_km,y_km\nsinks,1_0,3\n", ("sites.file", "line 2", "numbers", "'1_0'")),  # not 10, as float() reads it
    (FILE, "kind,x_km,y_km\nsinks,3\n", ("sites.file", "line 2", "numbers", "None")),
    (FILE, "kind,x_km,y_km\nports,3,0\n", ("sites.file", "line 2", "kind one of sources|sinks", "'ports'")),
    ("sinks = 2\n" + FILE, "kind,x_km,y_km\nsinks,3,0\n\nsinks,3,-2\n",
     ("sites.file: line 4", "inside the world", "[3.0, -2.0]", "sites.csv")),
    ('[sites]\nfile = "missing.csv"\n', None, ("sites.file", "file not found", "missing.csv")),
    (FILE, b"kind,x_km,y_km\nsinks,\xff,0\n", ("sites.file", "UTF-8")),
])
def test_bad_sites_are_refused(tmp_path, refused, body, csv, fragments):
    if csv is not None:
        path = tmp_path / "sites.csv"
        path.write_bytes(csv) if isinstance(csv, bytes) else path.write_text(csv)
    scenario = tmp_path / "s.toml"
    scenario.write_text(f"[world]\nheight = {SIDE}\nwidth = {SIDE}\ncell_km = {CELL_KM}\n{body}")
    refused(scenario, *fragments)


def test_the_shipped_scenario_puts_its_sites_where_it_says():
    world = build_world(load_scenario("placed_sites"))
    np.testing.assert_array_equal(world.sinks, [30, 128, 230])  # the file's crossings on the northern edge
    np.testing.assert_array_equal(world.sources, [240 * 256 + 40, 235 * 256 + 110, 245 * 256 + 170, 238 * 256 + 220])
    np.testing.assert_array_equal(world.bases, [[64.5, 150.5], [192.5, 150.5]])
    assert len(world.checkpoints) == 4 and len(world.posts) == 12  # the posts, not given, drawn at random
