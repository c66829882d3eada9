"""One run on the live page: the model, stepped by the page's play thread, and the frames it shows.

A :class:`LiveRun` owns a model and a lock: stepping and drawing take the lock, so the page's
thread of events (a layer toggled, Reset pressed) never sees the model half-way through a step.
A :class:`Frame` is everything the page shows of one moment: the map as PNG bytes, the clock and
the headline numbers. Nothing here imports the web stack, so it is tested without a browser.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sim.model import SkywatchModel
from sim.outcomes import BY_NAME
from sim.scenario import Scenario
from sim.units import HOURS_PER_DAY
from sim.viz.raster_map import Layers, RasterMap, encode_png

MINUTES_PER_HOUR = 60


def clock(hours: float) -> str:
    """Simulated time elapsed as days, hours and minutes: ``"2 d 06:15"`` for 54.25 h."""
    minutes = round(hours * MINUTES_PER_HOUR)
    days, minutes = divmod(minutes, round(HOURS_PER_DAY * MINUTES_PER_HOUR))
    return f"{days} d {minutes // MINUTES_PER_HOUR:02d}:{minutes % MINUTES_PER_HOUR:02d}"


@dataclass(frozen=True)
class Headline:
    """The run's story at a glance: (label, value as shown, unit) rows."""

    rows: tuple[tuple[str, str, str], ...]

    def value(self, label: str) -> str:
        """The value shown for ``label``."""
        return next(v for name, v, _ in self.rows if name == label)


def headline(model: SkywatchModel) -> Headline:
    """Launched, in transit, delivered, seized (in all and by source), seizure rate, drones, cost so far."""

    def read(name: str) -> float | int | None:
        return BY_NAME[name].read(model)

    def count(name: str) -> str:
        return f"{int(read(name)):,}"

    rate = read("seizure_rate")
    return Headline((
        ("launched", count("shipments_launched"), "shipments"),
        ("in transit", count("shipments_in_transit"), "shipments"),
        ("delivered", count("shipments_delivered"), "shipments"),
        ("seized", count("shipments_seized"), "shipments"),
        ("  after a drone cue", count("seized_by_drone_cue"), "shipments"),
        ("  at a checkpoint", count("seized_at_checkpoint"), "shipments"),
        ("  after an intercept", count("seized_by_intercept"), "shipments"),
        ("  after a tip", count("seized_by_tip"), "shipments"),
        ("seizure rate", "—" if rate is None else f"{100.0 * rate:.1f}", "% of ended"),
        ("drones airborne", f"{count('drones_airborne')} of {model.fleet.x.size}", "drones"),
        ("drones lost", count("drones_lost"), "drones"),
        ("cost so far", f"{read('total_cost'):,.0f}", "currency"),
    ))


@dataclass(frozen=True)
class Frame:
    """What the page shows of one moment of a run."""

    step: int  # steps simulated
    steps: int  # the scenario's run.steps
    hours: float  # simulated hours elapsed
    png: bytes  # the map
    headline: Headline

    @property
    def complete(self) -> bool:
        """Whether the run has reached the scenario's length."""
        return self.step >= self.steps

    @property
    def status(self) -> str:
        """One line: the clock and the step, or that the run is complete."""
        if self.complete:
            return f"Run complete: {self.step:,} steps, {clock(self.hours)} simulated."
        return f"{clock(self.hours)} elapsed · step {self.step:,} of {self.steps:,}"


class LiveRun:
    """A model on the live page, stepped in one thread and drawn in any (under one lock)."""

    def __init__(self, scenario: Scenario) -> None:
        """Build the model of ``scenario`` and its map painter."""
        self.scenario = scenario
        self.model = SkywatchModel(scenario)
        self.painter = RasterMap(self.model)
        self.lock = threading.Lock()

    @property
    def steps(self) -> int:
        """The scenario's length, steps."""
        return self.model.params.run.steps

    @property
    def complete(self) -> bool:
        """Whether the model has reached the scenario's length."""
        return self.model.steps >= self.steps

    def advance(self, steps: int) -> int:
        """Step the model ``steps`` times, never past ``run.steps``; return the steps taken."""
        with self.lock:
            taken = max(0, min(steps, self.steps - self.model.steps))
            for _ in range(taken):
                self.model.step()
        return taken

    def frame(self, layers: Layers) -> Frame:
        """The map (with ``layers``), clock and headline of the model now."""
        with self.lock:
            model = self.model
            return Frame(model.steps, self.steps, model.steps * model.units.step_hours,
                         encode_png(self.painter.paint(layers)), headline(model))

    def series(self, columns: tuple[str, ...]) -> dict[str, list[float]]:
        """A copy of the collected metrics ``columns`` (and ``hour``), one value per step so far."""
        with self.lock:
            collected = self.model.datacollector.model_vars
            return {name: list(collected[name]) for name in ("hour", *columns)}
