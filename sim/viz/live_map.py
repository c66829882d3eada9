"""The map of a model in progress: the run overview's map plus live shipments and drone footprints."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import EllipseCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.model import SkywatchModel
from sim.viz.figures import OKABE_ITO, draw_map, flat_to_xy

# Fixed margins (figure fractions) leaving the right third to the legend: a layout engine would
# cost more than half of a frame's drawing time.
MARGINS = {"left": 0.08, "right": 0.6, "bottom": 0.11, "top": 0.93}


def _draw_live_layers(ax: plt.Axes, model: SkywatchModel) -> None:
    """Shipments as one scatter layer, airborne drones and their sensor footprints as one collection each."""
    x, y = flat_to_xy(model.live_cells(), model.world.shape[1])
    ax.scatter(x, y, s=3, c=OKABE_ITO["vermillion"], marker=".", linewidths=0, alpha=0.7, rasterized=True)
    fleet = model.fleet
    up = np.asarray(fleet.airborne, dtype=bool)
    offsets = np.column_stack([fleet.x[up], fleet.y[up]])
    diameter = 2.0 * model.air.footprint_radii()[up]
    ax.add_collection(EllipseCollection(diameter, diameter, 0.0, units="xy", offsets=offsets, offset_transform=ax.transData,
                                        facecolors=OKABE_ITO["sky"], edgecolors=OKABE_ITO["blue"], alpha=0.3, linewidths=0.6))
    ax.plot(offsets[:, 0], offsets[:, 1], "o", color=OKABE_ITO["blue"], ms=3)


def draw_live_map(fig: Figure, model: SkywatchModel) -> None:
    """Redraw ``fig`` as the map of ``model`` now (the overview's map, its flow colour bar in ``fig``, plus the live layers)."""
    fig.clear()
    fig.subplots_adjust(**MARGINS)
    ax = fig.add_subplot()
    draw_map(ax, model)
    _draw_live_layers(ax, model)
    legend = ax.get_legend()
    handles = [*legend.legend_handles,
               Line2D([], [], marker=".", ls="", color=OKABE_ITO["vermillion"], label="shipment in transit"),
               Line2D([], [], marker="o", ls="", ms=10, color=OKABE_ITO["sky"], mec=OKABE_ITO["blue"], alpha=0.5,
                      label="drone airborne, sensor footprint")]
    labels = [text.get_text() for text in legend.get_texts()] + [h.get_label() for h in handles[len(legend.legend_handles):]]
    legend.remove()
    fig.legend(handles, labels, loc="upper right", fontsize=7, framealpha=0.85)
    ax.set_title(f"Hour {model.steps * model.units.step_hours:,.1f}: {model.live_cells().size:,} shipments in transit, "
                 f"{int(np.count_nonzero(model.fleet.airborne))} drones airborne", fontsize=9)
