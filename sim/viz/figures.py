"""Matplotlib figures of a finished run (drawn above the model; the model never imports this)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm, Normalize, to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch
from matplotlib.ticker import LogFormatter, MaxNLocator

from sim.basemap import Basemap, read_basemap
from sim.model import SkywatchModel
from sim.outcomes import CORRIDOR_COLUMN
from sim.outfolder import replace_file
from sim.provenance import caption, provenance
from sim.run import OVERVIEW_FILE
from sim.world import ABROAD, ROUGH, WATER, World

# Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000"}


IMPASSABLE_COLOUR = "#60708c"  # blue-grey: impassable land, cells no route can cross (the live map's too)
WATER_COLOUR = "#9ecae1"  # light blue: sea and lakes
ABROAD_COLOUR = "#f4ecd2"  # pale cream: beyond the international border, outside the model
ROUGH_COLOUR, ROUGH_ALPHA = "#8c6239", 0.3  # brown tint over the grey of rough land (forest, mountain)
COAST_COLOUR, BORDER_COLOUR = OKABE_ITO["blue"], OKABE_ITO["black"]  # the basemap's lines
LABEL_FONT = 6.5  # basemap names
UNAUTHORISED_COLOUR = "#cc79a7"  # purple tint over airspace the partner may not fly
UNAUTHORISED_ALPHA = 0.18
CAPTION_FONT = 7
CAPTION_COLOUR = "dimgrey"
TERRAIN_ALPHA = 0.45  # the grey of travel cost over the white of the axes
OVERVIEW_SIZE_IN = (16, 10)  # the overview figure, inches
OVERVIEW_DPI = 110
COUNT_TICKS = 5  # at most this many intervals on the axes of drone counts
OVERVIEW_PNG_COMPRESSION = 1  # zlib level: the fastest (the default, 6, spends more for a file about 7 % smaller)
# The overview's fixed layout (figure fractions): a layout engine would cost more than its whole drawing.
OVERVIEW_GRID = {"left": 0.04, "right": 0.955, "bottom": 0.07, "top": 0.935, "wspace": 0.24, "hspace": 0.3}


@dataclass(frozen=True)
class Shade:
    """How the maps shade one kind of terrain, and what the legend calls it."""

    colour: str
    label: str
    alpha: float = 1.0


TERRAIN_SHADES = {
    "water": Shade(WATER_COLOUR, "sea and lakes (impassable)"),
    "impassable": Shade(IMPASSABLE_COLOUR, "impassable land (cliffs, barriers)"),
    "abroad": Shade(ABROAD_COLOUR, "abroad: beyond the border, outside the model"),
    "rough": Shade(ROUGH_COLOUR, "rough land (forest, mountain)", ROUGH_ALPHA),
}


def travel_relief(world: World) -> np.ndarray:
    """(H, W) log travel hours per cell, impassable cells as the dearest passable one: the terrain drawn in grey."""
    passable = np.isfinite(world.cell_hours)
    return np.log(np.where(passable, world.cell_hours, np.nanmax(world.cell_hours[passable])))


def terrain_masks(world: World) -> dict[str, np.ndarray]:
    """(H, W) bool cells of each terrain shade of :data:`TERRAIN_SHADES` the world has (only those present).

    Impassable cells are water or abroad by their land cover, else impassable land (a barrier, or
    ``inf`` in a cost raster); passable rough land is tinted over the grey of its travel cost.
    """
    passable = np.isfinite(world.cell_hours)
    masks = {"water": ~passable & (world.cover == WATER), "abroad": ~passable & (world.cover == ABROAD),
             "rough": passable & (world.cover == ROUGH)}
    masks["impassable"] = ~passable & ~masks["water"] & ~masks["abroad"]
    return {name: masks[name] for name in TERRAIN_SHADES if masks[name].any()}


def literal(text: str) -> str:
    """``text`` as matplotlib draws it letter for letter: a ``$`` of a name or a path never opens maths."""
    return text.replace("$", r"\$")


def add_caption(fig: plt.Figure, text: str) -> None:
    """Put ``text`` (a provenance line) under the figure, in small grey type; nothing when it is empty."""
    if text:
        fig.supxlabel(literal(text), fontsize=CAPTION_FONT, color=CAPTION_COLOUR)


def flat_to_xy(cells: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of the centres of flat ``cells`` on a raster ``width`` cells wide, cell units."""
    rows, cols = np.divmod(np.asarray(cells, dtype=np.int64), width)
    return cols + 0.5, rows + 0.5


def _label(ax: plt.Axes, x: float, y: float, text: str, **style) -> None:
    """Write a basemap name at (x, y), in small type with a white halo, clipped to the map."""
    ax.annotate(literal(text), (x, y), xytext=(3, 2), textcoords="offset points", fontsize=LABEL_FONT, clip_on=True, zorder=6,
                path_effects=[patheffects.withStroke(linewidth=2, foreground="white")], **style)


def draw_basemap(ax: plt.Axes, basemap: Basemap) -> list[Line2D]:
    """Draw the basemap's coast and border lines and its named ports and towns on ``ax`` (cell units); its legend handles."""
    for kind, xy in basemap.lines:
        coast = kind == "coast"
        ax.plot(xy[:, 0], xy[:, 1], color=COAST_COLOUR if coast else BORDER_COLOUR, lw=0.7 if coast else 1.3,
                ls="-" if coast else "-.", zorder=4)
    for kind, name, x, y in basemap.points:
        if kind == "port":  # along the border: names slanted up into the land beyond it
            _label(ax, x, y, name, rotation=45, rotation_mode="anchor")
        else:
            ax.plot(x, y, "o", color="black", ms=2.5, zorder=5)
            _label(ax, x, y, name)
    kinds = {kind for kind, _ in basemap.lines} | {kind for kind, *_ in basemap.points}
    handles = {"coast": Line2D([], [], color=COAST_COLOUR, lw=0.7, label="coastline"),
               "border": Line2D([], [], color=BORDER_COLOUR, lw=1.3, ls="-.", label="international border"),
               "town": Line2D([], [], marker="o", ls="", ms=3, color="black", label="town (named)")}
    return [handle for kind, handle in handles.items() if kind in kinds]


def _paint_over(image: np.ndarray, colour: np.ndarray | tuple[float, float, float], alpha: float,
                where: np.ndarray | None = None) -> None:
    """Paint ``colour`` (RGB in [0, 1], one or one per cell) with opacity ``alpha`` over ``image`` (H, W, 3), where given."""
    painted = image * (1.0 - alpha) + np.asarray(colour) * alpha
    if where is None:
        image[...] = painted
    else:
        image[where] = painted[where]


def map_raster(model: SkywatchModel, shades: dict[str, np.ndarray]) -> tuple[np.ndarray, LogNorm | None]:
    """The map's raster layers painted into one (H, W, 3) uint8 RGB image, and the flow's colour scale (None: no flow).

    Bottom to top, over white: travel cost in greys (log hours, light = fast), the terrain ``shades``
    (:func:`terrain_masks`), the tint of airspace the partner may not fly, the flow (log scale).
    """
    world = model.world
    terrain = travel_relief(world)
    image = np.ones((*world.shape, 3))
    _paint_over(image, colormaps["Greys"](Normalize()(terrain))[..., :3], TERRAIN_ALPHA)
    for name, mask in shades.items():  # water, impassable land, abroad and rough land in shades of their own
        _paint_over(image, to_rgb(TERRAIN_SHADES[name].colour), TERRAIN_SHADES[name].alpha, mask)
    if world.airspace.size:  # outside the authorised airspace: tinted
        _paint_over(image, to_rgb(UNAUTHORISED_COLOUR), UNAUTHORISED_ALPHA, ~world.airspace)
    flow = model.flow.reshape(world.shape).astype(float)
    norm = LogNorm(vmin=1, vmax=flow.max()) if flow.max() > 0 else None
    if norm is not None:
        _paint_over(image, colormaps["viridis"](norm(np.maximum(flow, 1.0)))[..., :3], 1.0, flow > 0)
    return np.round(image * 255).astype(np.uint8), norm


def draw_map(ax: plt.Axes, model: SkywatchModel, basemap: Basemap | None = None) -> None:
    """Draw the run's map on ``ax``: terrain, flow, tracks, sites, posts, seizures and zones, in km; the basemap if given.

    The raster layers are one image (:func:`map_raster`), the drone tracks one line broken between drones.
    """
    world = model.world
    h, w = world.shape
    km = model.units.cell_km
    shades = terrain_masks(world)
    image, flow_norm = map_raster(model, shades)
    ax.imshow(image, extent=(0, w, h, 0), interpolation="nearest")
    if flow_norm is not None:
        bar = ax.figure.colorbar(ScalarMappable(norm=flow_norm, cmap="viridis"), ax=ax, fraction=0.035, pad=0.02,
                                 label="flow (shipment-steps per cell)")
        bar.ax.yaxis.set_major_formatter(LogFormatter())  # plain numbers: mathtext's first use costs more than the map
        bar.ax.minorticks_off()  # a tick is dear to draw the first time; a log scale has eight a decade
    names = world.corridor_names
    for k in range(1, len(names)):
        ax.axvline(k * w / len(names), color=OKABE_ITO["black"], ls=":", lw=0.8)
    for k, name in enumerate(names):
        ax.text((k + 0.5) * w / len(names), h * 0.02, literal(name), ha="center", va="top", fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
    tracks = np.array(model.air.track) if model.air.track else np.zeros((0, 0, 2))
    if tracks.ndim == 3 and tracks.size:  # (steps, drones, 2) → one line per drone, NaN between drones
        broken = np.concatenate([tracks.transpose(1, 0, 2), np.full((tracks.shape[1], 1, 2), np.nan)], axis=1).reshape(-1, 2)
        ax.plot(broken[:, 0], broken[:, 1], color=OKABE_ITO["sky"], lw=0.4, alpha=0.6)
    ax.plot(*flat_to_xy(world.sources, w), "s", color=OKABE_ITO["orange"], ms=7, mec="black")
    ax.plot(*flat_to_xy(world.sinks, w), "^", color=OKABE_ITO["orange"], ms=9, mec="black")
    ax.plot(*flat_to_xy(model.crossings.open_cells, w), "^", color=OKABE_ITO["black"], ms=6, mec="white")
    found = model.infrastructure.discovered
    ix, iy = flat_to_xy(world.infra_cells, w)
    ax.plot(ix[~found], iy[~found], "o", mfc="none", mec=OKABE_ITO["purple"], ms=5)
    ax.plot(ix[found], iy[found], "o", color=OKABE_ITO["purple"], ms=5, mec="black")
    if model.air.bases.size and model.fleet.x.size:
        ax.plot(model.air.bases[:, 0], model.air.bases[:, 1], "*", color=OKABE_ITO["blue"], ms=13, mec="white")
    posts = np.array([unit.post for unit in model.ground.units]).reshape(-1, 2)
    ax.plot(posts[:, 0], posts[:, 1], "P", color=OKABE_ITO["green"], ms=7, mec="black")
    ax.plot(model.ground.checkpoints[:, 0], model.ground.checkpoints[:, 1], "D", color=OKABE_ITO["yellow"], ms=5, mec="black")
    if model.seizures.cells:
        ax.plot(*flat_to_xy(np.array(model.seizures.cells), w), "x", color=OKABE_ITO["vermillion"], ms=5, mew=1.2)
    zone_radius = model.units.cells(model.params.counter.radius_km)
    for x, y in model.counter_zones:
        ax.add_patch(Circle((x, y), zone_radius, fill=False, ec=OKABE_ITO["vermillion"], lw=1.8))
    basemap_handles = draw_basemap(ax, basemap) if basemap is not None else []
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ticks = np.linspace(0, w, 5)
    ax.set_xticks(ticks, [f"{t * km:.0f}" for t in ticks])
    ticks = np.linspace(0, h, 5)
    ax.set_yticks(ticks, [f"{t * km:.0f}" for t in ticks])
    ax.set_xlabel("west → east (km)")
    ax.set_ylabel("north → south (km)")
    legend = [
        Patch(facecolor="#eeeeee", edgecolor="grey", label="terrain: light = fast (roads, plains)"),
        Patch(facecolor="#8c8c8c", edgecolor="grey", label="terrain: dark = slow"),
        *(Patch(facecolor=TERRAIN_SHADES[name].colour, alpha=TERRAIN_SHADES[name].alpha, edgecolor="grey",
                label=TERRAIN_SHADES[name].label) for name in shades),
        *([Patch(facecolor=UNAUTHORISED_COLOUR, alpha=UNAUTHORISED_ALPHA, label="outside the authorised airspace")]
          if world.airspace.size else []),
        Line2D([], [], marker="s", ls="", color=OKABE_ITO["orange"], mec="black", label="source"),
        Line2D([], [], marker="^", ls="", color=OKABE_ITO["orange"], mec="black", label="port of entry (sink)"),
        *([Line2D([], [], marker="^", ls="", color=OKABE_ITO["black"], mec="white", label="open border crossing")]
          if model.crossings.open_cells.size else []),
        Line2D([], [], marker="o", ls="", mfc="none", mec=OKABE_ITO["purple"], label="infrastructure, hidden"),
        Line2D([], [], marker="o", ls="", color=OKABE_ITO["purple"], mec="black", label="infrastructure, found"),
        Line2D([], [], marker="*", ls="", color=OKABE_ITO["blue"], ms=11, label="drone base"),
        Line2D([], [], color=OKABE_ITO["sky"], label="drone tracks"),
        Line2D([], [], marker="P", ls="", color=OKABE_ITO["green"], mec="black", label="ground unit post"),
        Line2D([], [], marker="D", ls="", color=OKABE_ITO["yellow"], mec="black", label="checkpoint"),
        Line2D([], [], marker="x", ls="", color=OKABE_ITO["vermillion"], label="seizure"),
        Line2D([], [], marker="o", ls="", ms=10, mfc="none", mec=OKABE_ITO["vermillion"], label="counter-drone zone"),
        *basemap_handles,
    ]
    ax.legend(handles=legend, loc="lower left", fontsize=7, framealpha=0.85)
    ax.set_title("Terrain, trafficking flow, surveillance and seizures")


def metric_columns(model: SkywatchModel) -> dict[str, np.ndarray]:
    """The run's per-step metrics (the rows of ``metrics.csv``), column name → values, without pandas."""
    return {name: np.asarray(values) for name, values in model.datacollector.model_vars.items()}


def trailing_sums(values: np.ndarray, window: int) -> np.ndarray:
    """(rows, k) sums of the last ``window`` rows of ``values`` up to each row (fewer at the start), as floats."""
    sums = np.cumsum(values, axis=0)
    sums[window:] = sums[window:] - sums[:-window]
    return sums.astype(float)


def _count_axis(ax: plt.Axes, hours: np.ndarray, counts: np.ndarray, name: str, **style: Any) -> plt.Axes:
    """A right-hand axis over ``ax`` with ``counts`` (whole drones) against ``hours``, from 0 (a run of no drones: 0 to 1)."""
    twin = ax.twinx()
    twin.yaxis.set_major_locator(MaxNLocator(COUNT_TICKS, integer=True))
    twin.plot(hours, counts, **{"label": name, **style})
    twin.set_ylim(0.0, 1.05 * max(1.0, float(np.max(counts, initial=0.0))))
    twin.set_ylabel(name)
    return twin


def _draw_series(top: plt.Axes, bottom: plt.Axes, frame: dict[str, np.ndarray]) -> None:
    hours = frame["hour"]
    for column, colour in (
        ("shipments_launched", "black"),
        ("shipments_delivered", "orange"),
        ("shipments_seized", "vermillion"),
    ):
        top.plot(hours, frame[column], color=OKABE_ITO[colour], label=column.replace("_", " "))
    top.plot(hours, frame["shipments_in_transit"], color=OKABE_ITO["blue"], ls="--", label="shipments in transit")
    top.set_ylabel("shipments")
    top.set_title("Shipments over time (cumulative)")
    top.legend(fontsize=8)
    bottom.plot(hours, frame["detections"], color=OKABE_ITO["sky"], label="drone detections (cumulative)")
    bottom.plot(hours, frame["seized_by_drone_cue"], color=OKABE_ITO["vermillion"], label="seized after a drone cue")
    bottom.plot(hours, frame["seized_at_checkpoint"], color=OKABE_ITO["green"], label="seized at a checkpoint")
    bottom.plot(hours, frame["seized_by_intercept"], color=OKABE_ITO["purple"], label="seized after an intercept")
    bottom.set_ylabel("events")
    twin = _count_axis(bottom, hours, frame["drones_airborne"], "drones airborne", color=OKABE_ITO["blue"], lw=0.7,
                       alpha=0.6)
    lines = bottom.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    bottom.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="upper left")
    bottom.set_title("Detections and seizures (cumulative)")


def _draw_adaptation(ax: plt.Axes, model: SkywatchModel, frame: dict[str, np.ndarray]) -> None:
    hours = frame["hour"]
    ax.plot(hours, frame["encryption_level"], color=OKABE_ITO["purple"], label="encryption level (mean of cartels)")
    ax.plot(hours, frame["counter_drone_level"], color=OKABE_ITO["vermillion"], label="counter-drone level (mean of cartels)")
    daily = max(1, model.units.steps(24.0))
    names = model.world.corridor_names
    launched = trailing_sums(np.column_stack([frame[CORRIDOR_COLUMN.format(name)] for name in names]), daily)
    launches = launched.sum(axis=1, keepdims=True)
    share = launched / np.where(launches == 0, np.nan, launches)
    for k, (name, colour) in enumerate(zip(
        names, ("sky", "green", "orange", "yellow", "blue", "black", "purple", "vermillion"),
        strict=False,  # up to eight corridors, one colour each
    )):
        ax.plot(hours, share[:, k], color=OKABE_ITO[colour], ls=":", label=f"share of launches via {name} (past day)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("level / share")
    ax.set_xlabel("time (hours)")
    twin = _count_axis(ax, hours, frame["drones_lost"], "drones lost", color=OKABE_ITO["black"], lw=1.2,
                       label="drones lost (cumulative)")
    lines, more = ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=7, loc="upper left", ncol=2)
    ax.set_title("Cartel adaptation: encryption, counter-drone measures, route shares")


def draw_overview(model: SkywatchModel) -> plt.Figure:
    """The overview figure of a run: the map (with the scenario's basemap) beside the main time series and the adaptation.

    Raises:
        ScenarioError: a malformed ``world.basemap_file`` (:func:`sim.basemap.read_basemap`).
    """
    return overview_with(model, read_basemap(model.scenario))


def overview_with(model: SkywatchModel, basemap: Basemap | None) -> plt.Figure:
    """The overview figure of a run (:func:`draw_overview`) with ``basemap`` read already (None: no basemap)."""
    fig = plt.figure(figsize=OVERVIEW_SIZE_IN, dpi=OVERVIEW_DPI)  # drawn once, at the dpi it is saved at
    grid = fig.add_gridspec(3, 2, width_ratios=(1.25, 1), **OVERVIEW_GRID)
    draw_map(fig.add_subplot(grid[:, 0]), model, basemap)
    frame = metric_columns(model)
    _draw_series(fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1]), frame)
    _draw_adaptation(fig.add_subplot(grid[2, 1]), model, frame)
    summary = f"seed {model.params.run.seed} · {model.steps} steps of {model.units.step_hours:g} h · {model.fleet.x.size} drones"
    fig.suptitle(f"Skywatch run — {literal(Path(model.scenario.source).stem)} ({summary})")
    add_caption(fig, caption(provenance(model.scenario, run_seed=model.params.run.seed)))
    return fig


def save_overview(fig: plt.Figure, path: Path) -> None:
    """Save the overview figure ``fig`` as the PNG file ``path`` (whole, or not at all) and close it."""
    replace_file(path, lambda temp: fig.savefig(temp, format="png", dpi=OVERVIEW_DPI,
                                                pil_kwargs={"compress_level": OVERVIEW_PNG_COMPRESSION}))
    plt.close(fig)


def write_figures(model: SkywatchModel, folder: Path) -> None:
    """Write the run's figures (``overview.png``) into ``folder``."""
    save_overview(draw_overview(model), folder / OVERVIEW_FILE)
