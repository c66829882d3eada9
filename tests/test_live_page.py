"""The live page's parts that need no browser: the painted map, the run's frames and clock, the controls' labels."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

from sim.model import SkywatchModel
from sim.params import SCHEMA
from sim.scenario import Scenario
from sim.viz.app import control_label, headline_html, shown, slider_range
from sim.viz.live_charts import COLUMNS, LiveCharts
from sim.viz.live_run import LiveRun, clock
from sim.viz.raster_map import MAP_PX, OKABE_ITO_RGB, SYMBOLS, Layers, RasterMap, shape_mask

SMALL = {"world.height": 96, "world.width": 96, "drones.count": 4, "run.steps": 30}


def small(**overrides: object) -> Scenario:
    """The small test world with ``overrides`` (dotted names with ``__`` for dots)."""
    values = {**SMALL, **{name.replace("__", "."): value for name, value in overrides.items()}}
    return Scenario().with_overrides(values, "test")


@pytest.fixture(scope="module")
def played() -> LiveRun:
    """A small run played 20 steps, with launches, drones airborne and a few seizures."""
    live = LiveRun(small(cartels__shipments_per_day=400.0, cartels__budget=1e12))
    live.advance(20)
    return live


@pytest.mark.parametrize(("hours", "text"), [(0.0, "0 d 00:00"), (0.25, "0 d 00:15"), (54.25, "2 d 06:15"),
                                             (24.0, "1 d 00:00"), (167.999, "7 d 00:00")])
def test_clock_reads_days_hours_and_minutes(hours: float, text: str) -> None:
    assert clock(hours) == text


def test_advance_never_passes_run_steps() -> None:
    live = LiveRun(small())
    assert live.advance(25) == 25
    assert live.advance(25) == 5
    assert live.advance(1) == 0
    assert live.model.steps == 30 and live.complete
    frame = live.frame(Layers())
    assert frame.complete
    assert frame.status == "Run complete: 30 steps, 0 d 07:30 simulated."


def test_frame_headline_agrees_with_the_model(played: LiveRun) -> None:
    frame = played.frame(Layers())
    model = played.model
    assert frame.step == 20 and not frame.complete
    assert frame.status == "0 d 05:00 elapsed · step 20 of 30"
    assert frame.headline.value("launched") == f"{model.tally.shipments_launched:,}"
    assert frame.headline.value("in transit") == f"{model.pool.live:,}"
    seized = int(frame.headline.value("seized").replace(",", ""))
    parts = sum(int(frame.headline.value(label).replace(",", ""))
                for label in ("  after a drone cue", "  at a checkpoint", "  after an intercept", "  after a tip"))
    assert seized == model.tally.shipments_seized == parts
    assert frame.headline.value("drones airborne") == f"{int(model.fleet.airborne.sum())} of 4"
    assert "<table>" in headline_html(frame) and "class='part'" in headline_html(frame)


def test_map_is_large_and_shows_the_shipments_in_transit(played: LiveRun) -> None:
    painter = played.painter
    image = painter.paint(Layers(flow=False, footprints=False, zones=False, seizures=False))
    assert image.shape[0] >= MAP_PX and image.shape[1] >= MAP_PX and image.dtype == np.uint8
    cells = played.model.live_cells()
    assert cells.size > 0
    rows, cols = painter.cell_pixels(cells)
    shipment_colour = np.all(image[rows, cols] == OKABE_ITO_RGB["vermillion"], axis=1)
    assert shipment_colour.mean() > 0.5, "most shipments in transit are not drawn (sites may cover a few)"
    empty = RasterMap(SkywatchModel(small())).paint(Layers(flow=False, footprints=False, zones=False, seizures=False))
    assert np.all(image.shape == empty.shape)
    assert not np.any(np.all(empty == OKABE_ITO_RGB["vermillion"], axis=2)), "shipments drawn before any launch"


@pytest.mark.parametrize("layer", ["flow", "footprints", "seizures"])
def test_each_layer_toggle_changes_the_map(played: LiveRun, layer: str) -> None:
    assert played.model.seizures.cells, "the fixture run should have seizures"
    on = played.painter.paint(Layers())
    off = played.painter.paint(Layers(**{layer: False}))
    assert np.any(on != off), f"turning {layer} off changed nothing"


def test_zones_layer_draws_the_counter_drone_zones(played: LiveRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(played.model.counter, "centres", np.array([[48.0, 48.0]]))
    on = played.painter.paint(Layers())
    off = played.painter.paint(Layers(zones=False))
    assert np.any(on != off)


def test_map_png_round_trips(played: LiveRun) -> None:
    frame = played.frame(Layers())
    decoded = np.asarray(Image.open(io.BytesIO(frame.png)).convert("RGB"))
    assert np.array_equal(decoded, played.painter.paint(Layers()))


def test_large_world_is_shown_by_blocks_of_cells() -> None:
    model = SkywatchModel(small(world__height=1024, world__width=2048, world__towns=0, drones__count=0))
    painter = RasterMap(model)
    assert painter.stride == 3 and painter.scale == 1
    assert painter.paint().shape == (342, 683, 3)
    assert painter.block_sum(np.ones((1024, 2048))).sum() == 1024 * 2048


def test_painting_is_a_pure_read(played: LiveRun) -> None:
    before = played.model.datacollector.get_model_vars_dataframe().copy()
    flow = played.model.flow.copy()
    played.painter.paint(Layers())
    assert np.array_equal(flow, played.model.flow)
    assert before.equals(played.model.datacollector.get_model_vars_dataframe())


def test_every_symbol_has_pixels_and_an_outline() -> None:
    for name, symbol in SYMBOLS.items():
        if symbol.shape != "cell":
            mask = shape_mask(symbol.shape, 13)
            assert 5 < mask.sum() < 13 * 13, name


def test_charts_draw_every_panel_from_the_collected_series(played: LiveRun) -> None:
    png = LiveCharts().png(played.series(COLUMNS))
    image = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    assert image.std() > 10
    assert set(played.series(COLUMNS)) == {"hour", *COLUMNS}
    assert len(played.series(COLUMNS)["hour"]) == played.model.steps + 1


def test_frames_drawn_while_the_model_steps_in_another_thread_are_whole() -> None:
    live = LiveRun(small(run__steps=200))
    stepper = threading.Thread(target=live.advance, args=(200,))
    stepper.start()
    frames = []
    while stepper.is_alive():
        frames.append(live.frame(Layers()))
    stepper.join()
    assert all(0 <= f.step <= 200 for f in frames)
    assert [f.step for f in frames] == sorted(f.step for f in frames)


def test_slider_values_and_labels_carry_units() -> None:
    radius = SCHEMA["drones.sensor_radius_km"]
    low, high, step = slider_range(radius, 3.0)
    assert low <= 3.0 <= high
    assert abs(round((3.0 - low) / step) * step + low - 3.0) < 1e-9, "the scenario's value is off the slider's grid"
    assert shown(radius, 3.0) == "3 km"
    assert shown(SCHEMA["drones.count"], 1200) == "1,200 drones"
    assert shown(SCHEMA["adaptation.encryption"], True) == "on"
    assert control_label(SCHEMA["drones.count"], 24, 24) == "drones.count: 24 drones"
    assert control_label(SCHEMA["drones.count"], 30, 24) == "drones.count: 30 drones (on Reset)"
    assert control_label(radius, 3.0000000000000004, 3.0) == "drones.sensor_radius_km: 3 km"


def test_impassable_cells_and_unauthorised_airspace_have_shades_of_their_own(tmp_path) -> None:
    """Water and cliffs are not drawn as the roughest land; airspace the partner may not fly is tinted."""
    import matplotlib.pyplot as plt

    from sim.viz.figures import IMPASSABLE_COLOUR, draw_map
    from sim.viz.raster_map import hex_rgb

    cost = np.full((96, 96), 0.05)  # open land: 20 km/h over 1-km cells (not slow enough to be tinted rough)
    cost[:, 40:44] = np.inf  # a river with no ford ...
    cost[10:12, 40:44] = 0.05  # ... but one bridge
    np.save(tmp_path / "cost.npy", cost)
    zone = [[[0.0, 0.0], [48.0, 0.0], [48.0, 96.0], [0.0, 96.0]]]
    model = SkywatchModel(small(world__cost_file=str(tmp_path / "cost.npy"), airspace__zones_km=zone))
    painter = RasterMap(model)
    image = painter.paint(Layers(flow=False, footprints=False, zones=False, seizures=False))
    river = image[painter.cell_pixels(np.array([50 * 96 + 41]))]
    assert tuple(river[0]) == hex_rgb(IMPASSABLE_COLOUR)
    inside = image[painter.cell_pixels(np.array([50 * 96 + 20]))][0]
    outside = image[painter.cell_pixels(np.array([50 * 96 + 70]))][0]
    assert tuple(inside) != tuple(outside) and inside[0] == inside[1] == inside[2], "only the unauthorised side is tinted"
    fig, ax = plt.subplots()
    draw_map(ax, model)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    plt.close(fig)
    assert "impassable land (cliffs, barriers)" in labels and "outside the authorised airspace" in labels
