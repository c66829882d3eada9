"""The brief's figures, drawn with matplotlib and embedded in the page as SVG ``data:`` URIs.

Each figure is a self-contained SVG (text drawn as paths, rasters inlined as PNG), so the page
loads no font or image from anywhere. The SVG is the same for the same data: its element ids come
from a fixed salt and it carries no date.
"""

from __future__ import annotations

import base64
import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm, TwoSlopeNorm

from sim.brief.series import Band
from sim.viz.figures import literal
from sim.viz.sweep_plots import COLOURS  # Okabe–Ito, in the order every figure gives to series

SVG_SETTINGS = {"svg.hashsalt": "skywatch-brief", "svg.fonttype": "path"}  # fixed ids; text as paths (no font to fetch)
SVG_METADATA = {"Date": None}  # no date: the same figure for the same data
MAP_INCHES = 4.6  # side of one map panel
MAP_COLUMNS = 2  # maps side by side, at most
RASTER_DPI = 72  # matplotlib's SVG resolution: rasters at it (the maps' at MAP_DPI)
MAP_DPI = 160  # the maps' rasters: a 256-cell world at about 2.5 pixels a cell, so one-cell routes show
LINE_STYLES = ("-", "--", "-.", ":")  # with the colours, so that a scenario hidden under another's line still shows
PANEL_INCHES = (4.4, 2.9)  # one time-series panel
PANEL_COLUMNS = 2
BAND_ALPHA = 0.2
TERRAIN_ALPHA = 0.35
NO_CHANGE = 1e-9  # |Δ flow| below this (shipment-hours per cell per day) is no change, left clear


def colour(k: int) -> str:
    """The colour of the k-th scenario (the reference is 0) in every figure of the brief."""
    return COLOURS[k % len(COLOURS)]


def svg_uri(figure: plt.Figure, dpi: float = RASTER_DPI) -> str:
    """``figure`` as a ``data:image/svg+xml;base64,...`` URI, its rasters at ``dpi`` (closed afterwards)."""
    buffer = io.BytesIO()
    with plt.rc_context(SVG_SETTINGS):
        figure.savefig(buffer, format="svg", metadata=SVG_METADATA, bbox_inches="tight", dpi=dpi)
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _terrain(ax: plt.Axes, terrain: np.ndarray | None, extent: tuple[float, float, float, float]) -> None:
    """The world's travel cost (log hours per cell, impassable as the dearest) in light grey, when known."""
    if terrain is not None:
        ax.imshow(terrain, cmap="Greys", alpha=TERRAIN_ALPHA, extent=extent, interpolation="nearest")


def displacement_figure(reference: str, flow: np.ndarray, others: list[tuple[str, np.ndarray | None]], cell_km: float,
                        terrain: np.ndarray | None) -> str:
    """The reference's mean flow, then each scenario's mean flow minus it, on the world in km.

    Args:
        reference: the reference scenario's label.
        flow: its mean flow over the replications, shipment-hours per cell per day (H × W).
        others: each other scenario's label and mean flow (None: no map, e.g. another world's grid).
        cell_km: side of a cell, km.
        terrain: log travel hours per cell of the reference's world (H × W), drawn beneath, or None.

    Returns:
        The figure as an SVG data URI.
    """
    h, w = flow.shape
    extent = (0.0, w * cell_km, h * cell_km, 0.0)
    columns = min(MAP_COLUMNS, 1 + len(others))
    rows = math.ceil((1 + len(others)) / columns)
    figure, grid = plt.subplots(rows, columns, figsize=(MAP_INCHES * columns, MAP_INCHES * rows), squeeze=False)
    axes = grid.flat
    first = axes[0]
    _terrain(first, terrain, extent)
    if flow.max() > 0:
        norm = LogNorm(vmin=flow[flow > 0].min(), vmax=flow.max())
        image = first.imshow(np.ma.masked_where(flow <= 0, flow), cmap="viridis", norm=norm, extent=extent,
                             interpolation="nearest")
        figure.colorbar(image, ax=first, fraction=0.046, pad=0.03, label="shipment-hours per cell per day")
    first.set_title(f"{literal(reference)}: mean flow", fontsize=10)
    for ax, (label, other) in zip(axes[1:], others, strict=False):
        _terrain(ax, terrain, extent)
        if other is None:
            ax.text(0.5, 0.5, "no map of differences:\nanother world grid, or no run finished", ha="center", va="center",
                    transform=ax.transAxes)
        else:
            difference = other - flow
            limit = float(np.abs(difference).max())
            if limit > NO_CHANGE:
                shown = np.ma.masked_where(np.abs(difference) <= NO_CHANGE, difference)
                image = ax.imshow(shown, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -limit, limit), extent=extent,
                                  interpolation="nearest")
                figure.colorbar(image, ax=ax, fraction=0.046, pad=0.03,
                                label=f"Δ shipment-hours per cell per day vs {literal(reference)}")
        ax.set_title(f"{literal(label)} − {literal(reference)}", fontsize=10)
    for ax in axes[:1 + len(others)]:
        ax.set_xlabel("km east")
        ax.set_ylabel("km south")
    for ax in axes[1 + len(others):]:
        ax.set_visible(False)
    figure.tight_layout()
    return svg_uri(figure, MAP_DPI)


def series_figure(panels: list[tuple[str, str, dict[str, Band]]]) -> str:
    """Time series with bands, one panel per measure, one line per scenario.

    Args:
        panels: per panel its title, its y label and each scenario's band (by label, the reference first; a scenario
            missing from a panel keeps its colour in the others).

    Returns:
        The figure as an SVG data URI.
    """
    labels = list(dict.fromkeys(label for _, _, by_label in panels for label in by_label))
    rows = math.ceil(len(panels) / PANEL_COLUMNS)
    figure, axes = plt.subplots(rows, PANEL_COLUMNS, figsize=(PANEL_INCHES[0] * PANEL_COLUMNS, PANEL_INCHES[1] * rows),
                                squeeze=False)
    for ax, (title, ylabel, by_label) in zip(axes.flat, panels, strict=False):
        for label, band in by_label.items():
            k = labels.index(label)
            shade = colour(k)
            ax.plot(band.days, band.mean, color=shade, ls=LINE_STYLES[k % len(LINE_STYLES)], lw=1.4, label=literal(label))
            ax.fill_between(band.days, band.low, band.high, color=shade, alpha=BAND_ALPHA, lw=0)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    handles, names = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="lower center", ncol=min(len(names), 4), frameon=False,
                  bbox_to_anchor=(0.5, 1.0))
    figure.tight_layout()
    return svg_uri(figure)
