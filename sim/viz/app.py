"""The live page (served by ``skywatch viz SCENARIO``): a large map that keeps up, the run's clock and headline.

The page is a Solara app over the Mesa model and its metrics (:mod:`sim.metrics`). The scenario comes from the
environment variable ``SKYWATCH_SCENARIO`` (a path or a shipped name; ``baseline`` when unset).
Play steps the model in a thread of its own, never on the page's thread of events, and shows every
frame: the map is painted from arrays (:mod:`sim.viz.raster_map`), the headline read from the
outcome registry, the small charts (:mod:`sim.viz.live_charts`) redrawn about once a second. The
run stops at the scenario's ``run.steps``. Controls show their value and unit and take effect on
Reset, which rebuilds the model with them.
"""

from __future__ import annotations

import dataclasses
import html
import math
import os
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara

from sim.params import SCHEMA, Param
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.viz.figures import BORDER_COLOUR, COAST_COLOUR, OKABE_ITO, TERRAIN_SHADES
from sim.viz.live_charts import COLUMNS, LiveCharts
from sim.viz.live_run import Frame, LiveRun
from sim.viz.raster_map import LAYER_NAMES, SYMBOLS, Layers, RasterMap

# Over plain http on the loopback address Solara falls back to a lax session cookie, which is what
# a local page needs; its warning about cookies for embedding in other sites does not apply here.
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)

SCENARIO_ENV = "SKYWATCH_SCENARIO"
CONTROLS = ("drones.count", "drones.patrol", "drones.sensor_radius_km", "intel.sharing_latency_h", "cartels.risk_aversion",
            "adaptation.route_shifting", "adaptation.encryption", "adaptation.counter_drone")
SEEDS = ("run.seed", "world.seed")
SLIDER_SPAN = 4  # a slider reaches this many times the scenario's value (within the schema's bounds) ...
SLIDER_FLOOR = {int: 100, float: 10.0}  # ... and at least this far
SLIDER_STEPS = 100  # positions of a float slider
MAX_STEPS_PER_FRAME = 48
CHART_PERIOD_S = 1.0  # the charts are redrawn at most this often while playing
MAP_WIDTH_PX = 768
LAYER_LABELS = {"flow": "flow (log colour scale)", "footprints": "drone sensor footprints", "zones": "counter-drone zones",
                "seizures": "seizures so far"}
GLYPHS = {"square": "■", "triangle": "▲", "ring": "○", "disk": "●", "star": "★", "plus": "✚", "diamond": "◆", "cross": "✖",
          "cell": "▪"}
CSS = """
.skywatch-map img, img.skywatch-map { image-rendering: pixelated; min-width: 600px; }
.skywatch-headline table { border-collapse: collapse; font-size: 14px; }
.skywatch-headline td { padding: 1px 8px; }
.skywatch-headline td.value { text-align: right; font-weight: 600; font-variant-numeric: tabular-nums; }
.skywatch-headline td.unit { color: #666; }
.skywatch-headline td.part { padding-left: 22px; color: #444; }
.skywatch-control { font-size: 14px; margin-bottom: -14px; }
.skywatch-legend { font-size: 12px; line-height: 1.5; max-width: 768px; }
.skywatch-legend span.item { white-space: nowrap; margin-right: 14px; }
.skywatch-status { font-size: 16px; font-weight: 600; }
"""


def slider_range(param: Param, value: float) -> tuple[float, float, float]:
    """(lowest, highest, step) of the slider for ``param`` starting at ``value``, within the schema's bounds."""
    low = param.low if param.low is not None else 0
    high = max(SLIDER_SPAN * value, SLIDER_FLOOR[param.kind])
    high = min(high, param.high) if param.high is not None else high
    if param.kind is int:
        return low, high, 1
    step = 10.0 ** math.floor(math.log10((high - low) / SLIDER_STEPS))  # a round step, so round values lie on the grid
    return math.floor(low / step) * step, high, step


def shown(param: Param, value: Any) -> str:
    """``value`` of ``param`` with its unit, as a control's label shows it (``24 drones``, ``2.5 km``, ``on``)."""
    if param.kind is bool:
        return "on" if value else "off"
    text = f"{value:,.3g}" if param.kind is float else f"{value:,}" if param.kind is int else str(value)
    return text if param.unit in ("-", "") else f"{text} {param.unit}"


def control_label(param: Param, value: Any, applied: Any) -> str:
    """A control's label: name, value and unit, and whether it waits for Reset."""
    same = math.isclose(value, applied, rel_tol=1e-9) if param.kind is float else value == applied
    pending = "" if same else " (on Reset)"
    return f"{param.name}: {shown(param, value)}{pending}"


@solara.component
def ParameterControl(name: str, value: Any, applied: Any, scenario_value: Any, on_value: Any) -> None:
    """The control of parameter ``name``: a slider, a choice or a box, labelled with its value and unit.

    A slider's range is set by the scenario's value (``scenario_value``), so it stays put while it is moved.
    """
    param = SCHEMA[name]
    label = control_label(param, value, applied)
    with solara.Div(classes=["skywatch-param", f"param-{name.replace('.', '-')}"]):
        ParameterInput(param, label, value, scenario_value, on_value)


@solara.component
def ParameterInput(param: Param, label: str, value: Any, scenario_value: Any, on_value: Any) -> None:
    """The input of ``param`` itself."""
    name = param.name
    if param.kind is bool:
        solara.Checkbox(label=label, value=value, on_value=on_value)
    elif param.choices is not None:
        solara.Select(label, values=list(param.choices), value=value, on_value=on_value)
    elif name in SEEDS:
        solara.InputInt(label, value=value, on_value=on_value, continuous_update=False)
    else:
        low, high, step = slider_range(param, scenario_value)
        slider = solara.SliderInt if param.kind is int else solara.SliderFloat
        solara.Text(label, classes=["skywatch-control"])
        slider("", value=value, min=low, max=high, step=step, on_value=on_value, thumb_label=False)


def headline_html(frame: Frame) -> str:
    """The headline panel as an HTML table (labels and numbers only)."""
    rows = []
    for label, value, unit in frame.headline.rows:
        kind = "part" if label.startswith(" ") else "whole"  # an indented label is a part of the row above
        rows.append(f"<tr><td class='{kind}'>{html.escape(label.strip())}</td><td class='value'>{html.escape(value)}</td>"
                    f"<td class='unit'>{html.escape(unit)}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


BASEMAP_LEGEND = {"coast": (COAST_COLOUR, "━", "coastline"), "border": (BORDER_COLOUR, "━ ·", "international border"),
                  "town": ("#000000", "•", "town (named)")}


def _item(colour: str, glyph: str, label: str) -> str:
    return f"<span class='item'><span style='color:{colour}'>{glyph}</span> {html.escape(label)}</span>"


def legend_html(painter: RasterMap) -> str:
    """The map's legend: its symbols, layers, the terrain shades it shows and its basemap's lines and towns."""
    marks = [(s.shape, s.colour, s.label) for s in SYMBOLS.values()]
    marks += [("disk", "sky", "sensor footprint"), ("ring", "vermillion", "counter-drone zone")]
    items = [_item(OKABE_ITO[colour], GLYPHS[shape], label) for shape, colour, label in marks]
    items += [_item(TERRAIN_SHADES[name].colour, "■", TERRAIN_SHADES[name].label) for name in painter.shades]
    items += [_item(*BASEMAP_LEGEND[kind]) for kind in BASEMAP_LEGEND if kind in painter.basemap_kinds]
    items += ["<span class='item'>flow: dark purple (few) → yellow (most shipment-steps), log scale</span>",
              "<span class='item'>terrain: light = fast, dark = slow; purple tint = outside the authorised airspace; "
              "dotted lines: corridors</span>"]
    return " ".join(items)


@solara.component
def Page() -> None:
    """The page: one run per browser session, rebuilt on Reset."""
    base = solara.use_memo(lambda: load_scenario(os.environ.get(SCENARIO_ENV, "baseline")), [])
    first = solara.use_memo(lambda: LiveRun(base), [])
    charts_figure = solara.use_memo(LiveCharts, [])
    run = solara.use_reactive(first)
    layers = solara.use_reactive(Layers())
    frame = solara.use_reactive(solara.use_memo(lambda: first.frame(Layers()), []))
    charts = solara.use_reactive(solara.use_memo(lambda: charts_figure.png(first.series(COLUMNS)), []))
    settings = solara.use_reactive({name: base[name] for name in (*CONTROLS, *SEEDS)})
    playing = solara.use_reactive(False)
    per_frame = solara.use_reactive(1)
    error = solara.use_reactive("")

    def show(live: LiveRun, with_charts: bool) -> None:
        frame.set(live.frame(layers.value))
        if with_charts:
            charts.set(charts_figure.png(live.series(COLUMNS)))

    def stopped(problem: Exception) -> None:
        traceback.print_exc()  # a fault in the model: its traceback on the server's console, one line on the page
        playing.set(False)
        error.set(f"The run stopped at step {run.value.model.steps}: {problem}")

    def play(cancel: threading.Event) -> None:
        live = run.value
        charted = time.monotonic()
        try:
            while playing.value and not cancel.is_set() and not live.complete:
                live.advance(per_frame.value)
                if cancel.is_set() or live is not run.value:
                    return  # reset meanwhile: the new run's frame is already shown
                due = time.monotonic() - charted >= CHART_PERIOD_S
                show(live, due)
                charted = time.monotonic() if due else charted
        except Exception as problem:  # any fault of the model ends the run, visibly
            stopped(problem)
            return
        if playing.value and live is run.value:
            show(live, True)
            playing.set(False)

    solara.use_thread(play, dependencies=[playing.value, run.value], intrusive_cancel=False)

    def step() -> None:
        try:
            run.value.advance(per_frame.value)
        except Exception as problem:  # any fault of the model ends the run, visibly
            stopped(problem)
        show(run.value, True)

    def reset() -> None:
        try:
            scenario = base.with_overrides(settings.value, "live page controls")
        except ScenarioError as problem:
            error.set(str(problem))
            return
        error.set("")
        playing.set(False)
        live = LiveRun(scenario)
        run.set(live)
        show(live, True)

    def set_layer(name: str, on: bool) -> None:
        layers.set(dataclasses.replace(layers.value, **{name: on}))
        frame.set(run.value.frame(layers.value))

    applied = run.value.scenario
    solara.Style(CSS)
    solara.Title(f"Skywatch — {scenario_name(base)}")
    with solara.AppBar():
        solara.AppBarTitle(f"Skywatch — {scenario_name(base)}")
    with solara.Sidebar():
        with solara.Card("Scenario", margin=0):
            solara.HTML(unsafe_innerHTML=f"<b>{html.escape(scenario_name(base))}</b>", classes=["skywatch-name"])
            solara.HTML(unsafe_innerHTML=html.escape(base.description or "(no description)"),
                        classes=["skywatch-description"])
        with solara.Card("Run", margin=0):
            RunButtons(frame, playing, step, reset)
            solara.SliderInt(f"steps per frame: {per_frame.value}", value=per_frame.value, min=1, max=MAX_STEPS_PER_FRAME,
                             on_value=per_frame.set, thumb_label=False)
            solara.Text(f"one step = {shown(SCHEMA['run.step_hours'], applied['run.step_hours'])}; "
                        f"run length {applied['run.steps']:,} steps")
            if error.value:
                solara.Error(error.value)
        with solara.Card("Layers", margin=0):
            for name in LAYER_NAMES:
                solara.Checkbox(label=LAYER_LABELS[name], value=getattr(layers.value, name),
                                on_value=lambda on, name=name: set_layer(name, on))
        with solara.Card("Parameters (take effect on Reset)", margin=0):
            for name in (*CONTROLS, *SEEDS):
                ParameterControl(name, settings.value[name], applied[name], base[name],
                                 lambda value, name=name: settings.set({**settings.value, name: value}))
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
        with solara.Column(style={"width": f"{MAP_WIDTH_PX}px", "flex": "none"}):
            MapImage(frame)
            solara.HTML(unsafe_innerHTML=legend_html(run.value.painter), classes=["skywatch-legend"])
        with solara.Column(style={"flex": "none"}):
            with solara.Card("This run so far", margin=0):
                Headline(frame)
            ChartsImage(charts)


# The components below read the frame: each frame re-renders them, not the page and its controls.


@solara.component
def RunButtons(frame: solara.Reactive[Frame], playing: solara.Reactive[bool], step: Callable[[], None],
               reset: Callable[[], None]) -> None:
    """The clock or the end of the run, and Play/Pause, Step and Reset."""
    now = frame.value
    solara.Text(now.status, classes=["skywatch-status"])
    with solara.Row():
        solara.Button("Pause" if playing.value else "Play", color="primary", disabled=now.complete and not playing.value,
                      on_click=lambda: playing.set(not playing.value))
        solara.Button("Step", on_click=step, disabled=playing.value or now.complete)
        solara.Button("Reset", on_click=reset)


@solara.component
def MapImage(frame: solara.Reactive[Frame]) -> None:
    """The map of the frame shown."""
    solara.Image(frame.value.png, width=f"{MAP_WIDTH_PX}px", classes=["skywatch-map"])


@solara.component
def Headline(frame: solara.Reactive[Frame]) -> None:
    """The headline numbers of the frame shown."""
    solara.HTML(unsafe_innerHTML=headline_html(frame.value), classes=["skywatch-headline"])


@solara.component
def ChartsImage(charts: solara.Reactive[bytes]) -> None:
    """The small time series, as last drawn."""
    solara.Image(charts.value, classes=["skywatch-charts"])


def scenario_name(scenario: Scenario) -> str:
    """The scenario's name: its file's stem (``defaults`` for the built-in defaults)."""
    return Path(scenario.source).stem if scenario.source != "defaults" else "defaults"
