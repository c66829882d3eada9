"""The live page's small time series: one panel per kind of quantity, so unlike units never share an axis.

The figure and its lines are made once per run; an update only replaces the lines' data, rescales
and renders to PNG (no pyplot, no layout engine per frame).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.units import HOURS_PER_DAY
from sim.viz.figures import OKABE_ITO

CHART_SIZE_IN = (4.8, 6.6)
CHART_DPI = 80


@dataclass(frozen=True)
class Chart:
    """One panel: its title, its y-axis unit and (metric column, label, colour) lines."""

    title: str
    unit: str
    lines: tuple[tuple[str, str, str], ...]
    limits: tuple[float, float] | None = None  # a fixed y range, for quantities with one


CHARTS = (
    Chart("Shipments (cumulative)", "shipments",
          (("shipments_delivered", "delivered", "orange"), ("shipments_seized", "seized", "vermillion"))),
    Chart("Seized, by source (cumulative)", "shipments",
          (("seized_by_drone_cue", "drone cue", "sky"), ("seized_at_checkpoint", "checkpoint", "green"),
           ("seized_by_intercept", "intercept", "purple"), ("seized_by_tip", "tip", "orange"))),
    Chart("Drones", "drones", (("drones_airborne", "airborne", "blue"), ("drones_lost", "lost (cumulative)", "black"))),
    Chart("Levels", "0–1",
          (("encryption_level", "encryption", "purple"), ("counter_drone_level", "counter-drone", "vermillion"),
           ("trust", "trust in authorities", "green")), (0.0, 1.0)),
    Chart("Violence (cumulative)", "events", (("violence_events", "violence events", "vermillion"),)),
)
COLUMNS = tuple(column for chart in CHARTS for column, _, _ in chart.lines)


class LiveCharts:
    """The panels of one run, redrawn from its collected metrics."""

    def __init__(self) -> None:
        """Make the figure, one axis per chart, and an empty line per metric."""
        self.figure = Figure(figsize=CHART_SIZE_IN, dpi=CHART_DPI)
        FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.16, right=0.97, top=0.96, bottom=0.08, hspace=0.75)
        self.axes = self.figure.subplots(len(CHARTS), 1, sharex=True)
        self.lines = {}
        for ax, chart in zip(self.axes, CHARTS, strict=True):
            for column, label, colour in chart.lines:
                (self.lines[column],) = ax.plot([], [], color=OKABE_ITO[colour], label=label, lw=1.4)
            ax.set_title(chart.title, fontsize=9, loc="left")
            ax.set_ylabel(chart.unit, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6, loc="upper left", frameon=False, ncols=2)
        self.axes[-1].set_xlabel("time (days)", fontsize=8)

    def png(self, series: dict[str, list[float]]) -> bytes:
        """The panels drawn from ``series`` (metric column → one value per step, with ``hour``), as PNG bytes."""
        days = np.asarray(series["hour"], dtype=float) / HOURS_PER_DAY
        for column, line in self.lines.items():
            line.set_data(days, np.asarray(series[column], dtype=float))
        for ax, chart in zip(self.axes, CHARTS, strict=True):
            ax.relim()
            ax.autoscale_view()
            if chart.limits is not None:
                ax.set_ylim(*chart.limits)
        self.axes[-1].set_xlim(0.0, max(days[-1], 1.0 / HOURS_PER_DAY) if days.size else 1.0)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        return buffer.getvalue()
