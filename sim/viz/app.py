"""The live page: Mesa's SolaraViz over a Skywatch model (served by ``skywatch viz SCENARIO``).

The scenario comes from the environment variable ``SKYWATCH_SCENARIO`` (a path or a shipped
name; ``baseline`` when unset). The controls are generated from the parameter schema, starting at
the scenario's values; a change takes effect on Reset, which rebuilds the model with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.model import SkywatchModel
from sim.params import SCHEMA, Param
from sim.scenario import Scenario, load_scenario
from sim.viz.figures import OKABE_ITO
from sim.viz.live_map import live_cells, live_map_figure

SCENARIO_ENV = "SKYWATCH_SCENARIO"
CONTROLS = ("drones.count", "drones.patrol", "drones.sensor_radius_km", "intel.sharing_latency_h", "cartels.risk_aversion",
            "adaptation.route_shifting", "adaptation.encryption", "adaptation.counter_drone", "run.seed")
SLIDER_SPAN = 4  # a slider reaches this many times the scenario's value (within the schema's bounds) ...
SLIDER_FLOOR = {int: 100, float: 10.0}  # ... and at least this far
SLIDER_STEPS = 100  # positions of a float slider


class _LiveScenario(Scenario):
    """A scenario that is falsy, so that SolaraViz hands the controls to the model as keyword arguments.

    SolaraViz takes a truthy ``model.scenario`` for Mesa's own scenario class.
    """

    def __bool__(self) -> bool:
        return False


def keyword(name: str) -> str:
    """The keyword argument carrying parameter ``name`` (``drones.count`` → ``drones__count``)."""
    return name.replace(".", "__")


class LiveModel(SkywatchModel):
    """A Skywatch model built from a base scenario and the page's controls."""

    def __init__(self, base: Scenario | None = None, **controls: Any) -> None:
        """Build the model.

        Args:
            base: scenario the controls override (the one named by ``SKYWATCH_SCENARIO`` when None).
            **controls: parameter values keyed by ``keyword(name)``.
        """
        base = base if base is not None else load_scenario(os.environ.get(SCENARIO_ENV, "baseline"))
        overrides = {name.replace("__", "."): value for name, value in controls.items()}
        scenario = base.with_overrides(overrides, "live page controls")
        super().__init__(_LiveScenario(scenario.values, scenario.source, scenario.description))


def control(param: Param, value: Any) -> dict[str, Any]:
    """The SolaraViz input for ``param``, starting at ``value`` and within the schema's bounds."""
    label = param.name if param.unit in ("-", "") else f"{param.name} ({param.unit})"
    if param.kind is bool:
        return {"type": "Checkbox", "value": value, "label": label}
    if param.choices is not None:
        return {"type": "Select", "value": value, "values": list(param.choices), "label": label}
    low = param.low if param.low is not None else 0
    high = max(SLIDER_SPAN * value, SLIDER_FLOOR[param.kind])
    high = min(high, param.high) if param.high is not None else high
    if param.kind is int:
        return {"type": "SliderInt", "value": value, "min": int(low), "max": int(high), "step": 1, "label": label}
    return {"type": "SliderFloat", "value": value, "min": float(low), "max": float(high),
            "step": (high - low) / SLIDER_STEPS, "label": label}


def model_params(scenario: Scenario) -> dict[str, Any]:
    """SolaraViz's ``model_params``: the fixed base scenario and one control per name in ``CONTROLS``."""
    return {"base": scenario, **{keyword(name): control(SCHEMA[name], scenario[name]) for name in CONTROLS}}


@solara.component
def MapView(model: SkywatchModel) -> None:
    """A line of the model's state above the map (terrain, flow, shipments, drones and footprints, bases, units, ...)."""
    update_counter.get()
    frame = model.datacollector.get_model_vars_dataframe()
    delivered, seized = (
        (int(frame["shipments_delivered"].iloc[-1]), int(frame["shipments_seized"].iloc[-1])) if len(frame) else (0, 0)
    )
    solara.Text(f"step {model.steps} · drones in fleet {model.fleet.x.size} · in transit {live_cells(model).size:,} · "
                f"delivered {delivered:,} · seized {seized:,}",
                classes=["skywatch-status"])
    solara.FigureMatplotlib(live_map_figure(model), format="png", dpi=80)


@dataclass(frozen=True)
class Panel:
    """One time-series panel: its title, y-axis label and (column, label, colour) lines."""

    title: str
    ylabel: str
    lines: tuple[tuple[str, str, str], ...]


PANELS = (
    Panel(
        "Shipments (cumulative)",
        "shipments",
        (("shipments_delivered", "delivered", "orange"), ("shipments_seized", "seized", "vermillion")),
    ),
    Panel(
        "Detections and seizures by source (cumulative)",
        "events",
        (
            ("detections", "drone detections", "sky"),
            ("seized_by_drone_cue", "seized after a drone cue", "vermillion"),
            ("seized_at_checkpoint", "seized at a checkpoint", "green"),
            ("seized_by_intercept", "seized after an intercept", "purple"),
            ("seized_by_tip", "seized after a tip", "orange"),
            ("tips", "tips", "yellow"),
            ("intercepts", "intercepts", "black"),
        ),
    ),
    Panel(
        "Cartel adaptation (mean of cartels)",
        "level (0–1)",
        (("encryption_level", "encryption", "purple"), ("counter_drone_level", "counter-drone", "vermillion")),
    ),
    Panel("Drones", "drones", (("drones_airborne", "airborne", "blue"), ("drones_lost", "lost (cumulative)", "black"))),
    Panel(
        "Community", "trust (0–1) / events", (("trust", "trust", "green"), ("violence_events", "violence events", "vermillion"))
    ),
)


def series_component(panel: Panel) -> Any:
    """A SolaraViz component drawing ``panel`` against simulated hours."""

    @solara.component
    def Series(model: SkywatchModel) -> None:
        update_counter.get()
        frame = model.datacollector.get_model_vars_dataframe()
        fig = Figure(figsize=(6, 3.2), layout="constrained")
        ax = fig.subplots()
        hours = frame["hour"] if len(frame) else np.zeros(0)
        for column, label, colour in panel.lines:
            ax.plot(hours, frame[column] if len(frame) else np.zeros(0), color=OKABE_ITO[colour], label=label)
        ax.set(title=panel.title, xlabel="time (hours)", ylabel=panel.ylabel)
        ax.legend(fontsize=7, loc="upper left")
        solara.FigureMatplotlib(fig, format="png", dpi=80)

    return Series


@solara.component
def Page() -> None:
    """The page: one model per browser session, built when the session opens."""
    scenario = solara.use_memo(lambda: load_scenario(os.environ.get(SCENARIO_ENV, "baseline")), [])
    model = solara.use_memo(lambda: LiveModel(scenario), [])
    SolaraViz(model, components=[MapView, *map(series_component, PANELS)], model_params=model_params(scenario),
              name=f"Skywatch — {os.path.basename(scenario.source)}", play_interval=50)
