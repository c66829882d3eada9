"""Ports of entry and the open border: inspection rates, counting apart, route shifting between crossings, bad input."""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sim.cli import main
from sim.model import SkywatchModel
from sim.outcomes import summarize
from sim.ports import OPEN_BORDER, crossings_of, open_crossings
from sim.scenario import Scenario, load_scenario
from sim.viz.figures import draw_overview
from sim.viz.raster_map import OKABE_ITO_RGB, Layers, RasterMap
from sim.world import ABROAD, OPEN, WATER, border_cells, build_world

SIDE = 80
QUIET = {  # a small world where only the crossings seize: no checkpoints, no units, launches free
    "world.height": SIDE, "world.width": SIDE, "ground.checkpoints": 0, "ground.units": 0, "cartels.launch_cost": 0.0,
    "cartels.shipments_per_day": 192.0, "run.steps": 1,
}
SIGMAS = 4.0  # a rate within this many binomial standard errors of its expectation passes


def _model(**overrides) -> SkywatchModel:
    return SkywatchModel(Scenario().with_overrides({**QUIET, **overrides}, "test"))


def _run(model: SkywatchModel, steps: int) -> None:
    for _ in range(steps):
        model.step()


def _assert_rate(seized: int, arrived: int, expected: float) -> None:
    assert arrived >= 200, "enough arrivals to measure a rate"
    bound = SIGMAS * np.sqrt(expected * (1 - expected) / arrived)
    assert abs(seized / arrived - expected) <= bound, (seized, arrived, expected)


def test_ports_inspect_at_their_own_rates():
    model = _model(**{"world.sinks": 2, "ports.inspect_each": [0.15, 0.6]})
    _run(model, 400)
    border = model.border_control
    assert border.arrived.size == 2, "no open crossings by default"
    for port, rate in enumerate((0.15, 0.6)):
        _assert_rate(int(border.seized[port]), int(border.arrived[port]), rate)


def test_concealment_cuts_the_chance_by_its_share():
    model = _model(**{"world.sinks": 2, "ports.inspect": 0.6, "ports.concealment": 0.75})
    np.testing.assert_allclose(model.crossings.catch, [0.15, 0.15])
    _run(model, 300)
    border = model.border_control
    _assert_rate(int(border.seized.sum()), int(border.arrived.sum()), 0.6 * (1 - 0.75))


def test_seizures_at_ports_and_on_the_open_border_are_counted_apart_and_add_up():
    model = _model(**{"world.sinks": 2, "ports.inspect_each": [0.3, 0.1], "ports.names": ["Nogales", "Douglas"],
                      "border.open_segments": 3, "border.open_detect": 0.2, "border.open_extra_hours": 0.5,
                      "ground.checkpoints": 6, "ground.units": 4, "adaptation.route_shifting": True, "run.validate": True})
    _run(model, 400)
    summary = summarize(model)
    t = model.tally
    assert t.seized_at_ports > 0 and t.seized_open_border > 0 and t.seized_at_checkpoint > 0
    assert t.shipments_seized == (t.seized_at_ports + t.seized_open_border + t.seized_at_checkpoint + t.seized_by_drone_cue
                                  + t.seized_by_intercept + t.seized_by_tip)
    assert t.shipments_delivered == t.delivered_via_ports + t.delivered_open_border
    assert summary["crossing_seizures"] == {"Nogales": int(model.border_control.seized[0]),
                                            "Douglas": int(model.border_control.seized[1]),
                                            OPEN_BORDER: t.seized_open_border}
    arrivals = summary["crossing_arrivals"]
    assert arrivals["Nogales"] + arrivals["Douglas"] == t.seized_at_ports + t.delivered_via_ports
    assert arrivals[OPEN_BORDER] == t.seized_open_border + t.delivered_open_border
    assert summary["port_seizure_share"] == pytest.approx(t.seized_at_ports / t.shipments_seized)
    json.dumps(summary)  # every new outcome can be written


def _arrival_shares(route_shifting: bool) -> tuple[np.ndarray, np.ndarray]:
    """Share of the arrivals at each crossing in the first planning period and in the last 2 of 12 days.

    Two ports, the first inspecting heavily, and two open crossings between them.
    """
    model = _model(**{"world.sinks": 2, "ports.inspect_each": [0.6, 0.05], "border.open_segments": 2,
                      "border.open_detect": 0.05, "border.open_extra_hours": 1.0, "adaptation.route_shifting": route_shifting})
    period = model.launches.period
    _run(model, period)
    first = model.border_control.arrived.copy()
    _run(model, 10 * period)
    before = model.border_control.arrived.copy()
    _run(model, 2 * period)
    last = model.border_control.arrived - before
    return first / first.sum(), last / last.sum()


def test_flow_moves_away_from_a_heavily_inspecting_port_only_when_the_cartels_shift_routes():
    first, last = _arrival_shares(route_shifting=True)
    assert last[0] < 0.3 * first[0], (first, last)
    assert last[2:].sum() > first[2:].sum() + 0.2, f"the open border takes some of the flow: {first}, {last}"
    first, last = _arrival_shares(route_shifting=False)
    np.testing.assert_allclose(last, first, atol=0.1)
    assert last[0] > 0.3, (first, last)


def test_open_crossings_add_their_hours_to_the_routes_ending_there():
    model = _model(**{"world.sinks": 2, "border.open_segments": 2, "border.open_extra_hours": 5.0})
    routes, hours = model.routes, model.book.along.hours
    last = routes.start + routes.length - 1
    open_routes = routes.sink >= model.crossings.ports
    assert open_routes.any() and (~open_routes).any()
    cell_hours = model.world.cell_hours.ravel()[routes.cells[last]]
    np.testing.assert_allclose(hours[last], cell_hours + 5.0 * open_routes, rtol=1e-6)


def test_the_border_is_beside_abroad_cover_else_the_northern_edge():
    cover = np.full((6, 8), OPEN, dtype=np.int8)
    passable = np.ones(cover.shape, dtype=bool)
    np.testing.assert_array_equal(border_cells(cover, passable), np.arange(8))
    cover[:, 6:] = ABROAD  # the border runs north to south at column 5
    cover[0, 5] = WATER
    passable = (cover != ABROAD) & (cover != WATER)
    np.testing.assert_array_equal(border_cells(cover, passable), np.arange(1, 6) * 8 + 5)


def test_open_crossings_fill_the_widest_gaps_between_the_ports():
    border = np.arange(100)  # a northern edge 100 cells wide
    np.testing.assert_array_equal(open_crossings(border, np.array([0, 99]), 1, 100), [49])
    np.testing.assert_array_equal(open_crossings(border, np.array([0, 99]), 3, 100), [24, 49, 74])
    assert open_crossings(border, np.array([0, 99]), 0, 100).size == 0
    assert open_crossings(np.array([3]), np.array([3]), 2, 100).size == 0, "never on a port"


def test_procedural_world_places_the_open_crossings_on_its_northern_edge():
    scenario = Scenario().with_overrides({**QUIET, "border.open_segments": 4}, "test")
    world = build_world(scenario)
    crossings = crossings_of(scenario.params, world)
    assert crossings.cells.size == world.sinks.size + 4 and np.all(crossings.cells < SIDE)
    assert np.unique(crossings.cells).size == crossings.cells.size


@pytest.mark.parametrize("segments", [0, 3])
def test_the_maps_mark_the_ports_and_the_open_crossings(segments):
    model = _model(**{"border.open_segments": segments})
    fig = draw_overview(model)
    labels = {text.get_text() for text in fig.axes[0].get_legend().get_texts()}
    plt.close(fig)
    assert "port of entry (sink)" in labels
    assert ("open border crossing" in labels) == (segments > 0)
    painter = RasterMap(model)
    image = painter.paint(Layers(flow=False, footprints=False, zones=False, seizures=False))
    black = np.all(image == OKABE_ITO_RGB["black"], axis=-1)
    rows, cols = painter.cell_pixels(model.crossings.open_cells)
    assert model.crossings.open_cells.size == segments
    assert all(black[max(r - 3, 0):r + 4, max(c - 3, 0):c + 4].any() for r, c in zip(rows, cols, strict=True))


def _walled_cost(folder: Path) -> None:
    """A 64-cell cost raster whose north-western corner (rows 0-9, columns 0-19) no source reaches."""
    cost = np.ones((64, 64))
    cost[10, :21] = np.inf
    cost[:11, 20] = np.inf
    np.save(folder / "cost.npy", cost)


@pytest.mark.parametrize(("sites", "field"), [
    ("sinks_km = [[50.5, 0.5], [5.5, 2.5]]", "sites.sinks_km[1]"),
    ('sinks_km = [[50.5, 0.5]]\nfile = "sinks.csv"', "sites.file"),
])
def test_a_port_no_source_reaches_is_refused(tmp_path, refused, sites, field):
    _walled_cost(tmp_path)
    (tmp_path / "sinks.csv").write_text("kind,x_km,y_km\nsinks,5.5,2.5\n")
    scenario = tmp_path / "walled.toml"
    scenario.write_text('[world]\nheight = 64\nwidth = 64\ncost_file = "cost.npy"\nsinks = 2\n'
                        f'[sites]\n{sites}\n[ports]\nnames = ["Nogales", "Sasabe"]\n')
    refused(scenario, field, "expected a passable path from a source to every port of entry", "'Sasabe' at x 5.5, y 2.5 km")


@pytest.mark.parametrize(("field", "value"), [("inspect_each", "[0.1, 0.5]"), ("names", '["West", "East"]')])
def test_per_port_lists_of_another_length_than_the_sinks_are_refused(tmp_path, refused, field, value):
    scenario = tmp_path / "short.toml"
    scenario.write_text(f"[world]\nheight = 64\nwidth = 64\nsinks = 3\n[ports]\n{field} = {value}\n")
    refused(scenario, f"ports.{field}", "expected 3 values, one per port of entry", "got 2")


@pytest.mark.parametrize(("value", "fragment"), [("[0.1, 1.5]", "a list of numbers in [0, 1]"),
                                                 ('["a"]', "a list of numbers in [0, 1]"),
                                                 ("0.3", "a list of numbers in [0, 1]")])
def test_inspect_each_must_be_probabilities(tmp_path, refused, value, fragment):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(f"[world]\nsinks = 2\n[ports]\ninspect_each = {value}\n")
    refused(scenario, "ports.inspect_each", fragment)


@pytest.mark.parametrize("names", ['["a", "a"]', '["open border", "b"]'])
def test_port_names_given_twice_or_as_the_open_border_are_refused(tmp_path, refused, names):
    """Two crossings under one name would add their counts together in the outputs."""
    scenario = tmp_path / "bad.toml"
    scenario.write_text(f"[world]\nheight = 64\nwidth = 64\nsinks = 2\n[ports]\nnames = {names}\n")
    refused(scenario, "ports.names", "differ from each other")


def test_a_resolved_scenario_with_ports_repeats_the_run(tmp_path):
    first = tmp_path / "a"
    args = ["--set", "world.height=64", "--set", "world.width=64", "--steps", "60", "--set", "world.sinks=2",
            "--set", "ports.inspect_each=[0.4, 0.2]", "--set", 'ports.names=["West", "East"]', "--set",
            "border.open_segments=2", "--set", "border.open_detect=0.3", "--quiet"]
    assert main(["run", "baseline", *args, "--out", str(first)]) == 0
    assert main(["run", str(first / "scenario.toml"), "--quiet", "--out", str(tmp_path / "b")]) == 0
    a, b = (json.loads((tmp_path / d / "summary.json").read_text()) for d in "ab")
    assert a == b and set(a["crossing_arrivals"]) == {"West", "East", OPEN_BORDER}


def test_on_a_mapped_border_the_open_crossings_lie_beside_abroad(tmp_path):
    cover = np.full((64, 64), OPEN, dtype=np.int8)
    cover[:10] = ABROAD  # the country beyond the border fills the ten northern rows
    np.save(tmp_path / "cover.npy", cover)
    (tmp_path / "world.toml").write_text('[world]\nheight = 64\nwidth = 64\nlandcover_file = "cover.npy"\nsinks = 2\n'
                                         "[sites]\nsinks_km = [[10.5, 10.5], [50.5, 10.5]]\n[border]\nopen_segments = 3\n")
    scenario = load_scenario(tmp_path / "world.toml")
    world = build_world(scenario)
    np.testing.assert_array_equal(world.border, 10 * 64 + np.arange(64))
    crossings = crossings_of(scenario.params, world)
    np.testing.assert_array_equal(crossings.cells[:2], [10 * 64 + 10, 10 * 64 + 50])
    assert np.all(crossings.cells[2:] // 64 == 10) and crossings.cells.size == 5


def test_on_a_mapped_border_random_ports_lie_beside_abroad(tmp_path):
    """Without given sinks, the ports are drawn on the border: beside land-cover code 6, not on the northern edge (which
    here is abroad, and impassable)."""
    cover = np.full((64, 64), OPEN, dtype=np.int8)
    cover[:, 40:] = ABROAD  # the border runs north to south at column 39
    np.save(tmp_path / "cover.npy", cover)
    (tmp_path / "world.toml").write_text('[world]\nheight = 64\nwidth = 64\nlandcover_file = "cover.npy"\nsinks = 3\n')
    world = build_world(load_scenario(tmp_path / "world.toml"))
    assert world.sinks.size == 3 and np.all(world.sinks % 64 == 39)
    assert main(["run", str(tmp_path / "world.toml"), "--steps", "2", "--quiet", "--out", str(tmp_path / "run")]) == 0
