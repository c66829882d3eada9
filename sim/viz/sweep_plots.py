"""Figures of a sweep folder: outcomes against the swept parameters, heat maps, Sobol indices.

Drawn from ``results.parquet`` (and ``sobol.csv`` for a Sobol design) alone, so a finished or
half-finished sweep can be plotted at any time. Swept parameters are the table's columns named
in the schema (a list-valued one, such as ``airspace.zones_km``, drawn by its levels' text);
outcomes that do not vary over the successful runs are not drawn. Every figure's
caption gives the table's provenance (version, base scenario digest, seeds); the Sobol figure
hatches the indices too unstable to trust and says so in its title.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from sim.intervals import CONFIDENCE, t_half_width
from sim.outfolder import replace_file
from sim.params import Param
from sim.provenance import caption
from sim.scenario import known_param
from sim.sweep.results import read_provenance, read_results
from sim.sweep.sensitivity import SOBOL_FILE, outcome_columns, read_sobol, with_stability
from sim.viz.figures import OKABE_ITO, add_caption

COLOURS = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "black", "yellow")]
MAX_LEVELS = 12  # a numeric parameter with more distinct values than this is binned
BINS = 8  # equal-count bins of a sampled numeric parameter (heat maps: 6)
HEAT_BINS = 6
PANEL_COLUMNS = 4
PANEL_SIZE = (4.2, 3.2)
DPI = 110


def _param(name: str) -> Param:
    """The schema entry of swept parameter ``name`` (a parameter column of a results table: one :func:`known_param` knows)."""
    return cast(Param, known_param(name))


def _label(name: str) -> str:
    unit = _param(name).unit
    return name if unit in ("-", "") else f"{name} ({unit})"


def _numeric(name: str) -> bool:
    return _param(name).kind in (int, float)


def _panels(names: list[str], title: str) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure with one panel per name, ``PANEL_COLUMNS`` to a row; unused panels hidden."""
    rows = -(-len(names) // PANEL_COLUMNS)
    columns = min(len(names), PANEL_COLUMNS)
    fig, axes = plt.subplots(rows, columns, figsize=(PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows + 0.8),
                             layout="constrained", squeeze=False)
    flat = list(axes.flat)
    for ax in flat[len(names):]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig, flat[:len(names)]


def _as_text(value: object) -> object:
    """A list-valued level (read back from Parquet as an array) as its text; any other value as it is."""
    return str(value.tolist()) if isinstance(value, np.ndarray) else value


def _binned(values: pd.Series) -> bool:
    return _numeric(str(values.name)) and values.nunique() > MAX_LEVELS


def _groups(values: pd.Series, bins: int) -> pd.Series:
    """Group keys of a parameter's values: the values themselves, or equal-count bins of a many-valued number."""
    return pd.qcut(values, q=bins, duplicates="drop") if _binned(values) else values


def _mean_interval(frame: pd.DataFrame, keys: pd.Series, x: str, outcome: str) -> pd.DataFrame:
    """Per group of ``keys``: the x position, the outcome's mean and the 95 % interval of the mean."""
    grouped = frame.groupby(keys, observed=True)
    n = grouped[outcome].count()
    mean = grouped[outcome].mean()
    half = t_half_width(grouped[outcome].std(), n).fillna(0.0)
    position = grouped[x].mean() if isinstance(keys.dtype, pd.CategoricalDtype) else pd.Series(mean.index, index=mean.index)
    return pd.DataFrame({"x": position, "mean": mean, "low": mean - half, "high": mean + half})


def _outcome_vs(frame: pd.DataFrame, x: str, outcomes: list[str], lines: str | None, over: str) -> plt.Figure:
    levels = list(frame[lines].unique()) if lines else [None]
    suffix = f", one line per {lines}" if lines else ""
    fig, axes = _panels(outcomes, f"Outcomes against {x}: mean and {CONFIDENCE:.0%} interval over {over}{suffix}")
    categories = None if _numeric(x) else list(frame[x].unique())
    keys = _groups(frame[x], BINS)
    for ax, outcome in zip(axes, outcomes, strict=False):
        for k, level in enumerate(levels):
            part = frame if level is None else frame[frame[lines] == level]
            band = _mean_interval(part, keys[part.index], x, outcome)
            colour = COLOURS[k % len(COLOURS)]
            if categories is None:
                ax.plot(band["x"], band["mean"], "o-", color=colour, ms=3, label=str(level))
                ax.fill_between(band["x"].astype(float), band["low"], band["high"], color=colour, alpha=0.25, lw=0)
            else:
                where = np.array([categories.index(v) for v in band["x"]]) + 0.1 * (k - (len(levels) - 1) / 2)
                ax.errorbar(where, band["mean"], yerr=[band["mean"] - band["low"], band["high"] - band["mean"]],
                            fmt="o", color=colour, capsize=3, label=str(level))
        if categories is not None:
            ax.set_xticks(range(len(categories)), [str(c) for c in categories])
        ax.set_title(outcome, fontsize=9)
        ax.set_xlabel(_label(x))
        ax.set_ylabel(outcome)
    handles = [Patch(color=COLOURS[k % len(COLOURS)], label=f"{lines} = {level}") for k, level in enumerate(levels) if lines]
    handles.append(Patch(color="grey", alpha=0.25, label=f"{CONFIDENCE:.0%} interval of the mean"))
    axes[0].legend(handles=handles, fontsize=7)
    return fig


def _heat_map(frame: pd.DataFrame, a: str, b: str, outcomes: list[str]) -> plt.Figure:
    fig, axes = _panels(outcomes, f"Mean outcome over {a} and {b} (averaged over replications and other parameters)")
    keys_a, keys_b = _groups(frame[a], HEAT_BINS), _groups(frame[b], HEAT_BINS)
    for ax, outcome in zip(axes, outcomes, strict=False):
        table = frame.groupby([keys_b, keys_a], observed=True)[outcome].mean().unstack()
        image = ax.imshow(table.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
        fig.colorbar(image, ax=ax, label=outcome)
        ax.set_xticks(range(table.shape[1]), [_tick(v) for v in table.columns], rotation=45, fontsize=7)
        ax.set_yticks(range(table.shape[0]), [_tick(v) for v in table.index], fontsize=7)
        ax.set_xlabel(_label(a))
        ax.set_ylabel(_label(b))
        ax.set_title(outcome, fontsize=9)
    return fig


def _tick(value: object) -> str:
    if isinstance(value, pd.Interval):
        return f"{value.mid:.3g}"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def draw_sobol_indices(indices: pd.DataFrame) -> plt.Figure:
    """Bars of S1 and ST per outcome; unstable pairs hatched, their panels' titles and the figure's title say so."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    title = f"Sobol indices: first-order (S1) and total (ST), with {CONFIDENCE:.0%} confidence intervals"
    unstable = int((~indices["stable"]).sum())
    if unstable:
        title += (f"\nUNSTABLE: {unstable} of {len(indices)} (outcome, parameter) pairs (hatched) have intervals wider than "
                  "the index or indices outside [0, 1]; raise sweep.samples (and sweep.replications)")
    fig, axes = _panels(outcomes, title)
    for ax, outcome in zip(axes, outcomes, strict=False):
        part = indices[indices["outcome"] == outcome]
        where = np.arange(len(part))
        hatches = ["///" if not stable else "" for stable in part["stable"]]
        for offset, (index, colour) in zip((-0.2, 0.2), (("S1", COLOURS[0]), ("ST", COLOURS[1])), strict=True):
            ax.bar(where + offset, part[index], width=0.4, yerr=part[f"{index}_conf"], color=colour, capsize=3, label=index,
                   hatch=hatches, edgecolor="white")
        ax.set_xticks(where, part["parameter"], rotation=20, fontsize=7)
        ax.axhline(0, color=OKABE_ITO["black"], lw=0.6)
        ax.set_ylabel("index")
        shaky = not part["stable"].all()
        ax.set_title(f"{outcome} (unstable)" if shaky else outcome, fontsize=9,
                     color=OKABE_ITO["vermillion"] if shaky else OKABE_ITO["black"])
    axes[0].legend(fontsize=7)
    return fig


@dataclass(frozen=True)
class SweepFigures:
    """The figures a sweep folder calls for, chosen from its table but not drawn yet: their number is known first."""

    folder: Path
    note: str  # the caption under every figure: the table's provenance
    drawings: tuple[tuple[str, Callable[[], plt.Figure]], ...]  # (file name, what draws the figure)

    def __len__(self) -> int:
        return len(self.drawings)

    def write(self, on_figure: Callable[[int], None] | None = None) -> list[Path]:
        """Draw every figure into the folder; call ``on_figure`` with the number written so far after each; return the paths."""
        paths = []
        for name, draw in self.drawings:
            fig = draw()
            add_caption(fig, self.note)
            replace_file(self.folder / name, lambda temp, fig=fig: fig.savefig(temp, dpi=DPI, format="png"))
            plt.close(fig)
            paths.append(self.folder / name)
            if on_figure is not None:
                on_figure(len(paths))
        return paths


def plan_sweep_figures(folder: Path) -> SweepFigures:
    """The figures of the sweep folder ``folder``, read from its tables; none when no outcome varies."""
    frame = read_results(folder)
    parameters = [c for c in frame.columns if known_param(c) is not None]
    ok = frame[frame["status"] == "ok"]
    ok = ok.assign(**{p: ok[p].map(_as_text) for p in parameters if _param(p).kind is tuple})  # arrays cannot be grouped
    outcomes = [c for c in outcome_columns(frame, parameters) if ok[c].nunique() > 1]
    if not outcomes:
        return SweepFigures(folder, "", ())
    over = "replications" if ok.groupby("point").size().max() > 1 else "runs"
    categorical = [p for p in parameters if not _numeric(p)]
    drawings = []
    for x in parameters:
        lines = next((c for c in categorical if c != x), None)
        pooled = f"runs in each bin of {x}" if _binned(ok[x]) else over
        drawings.append((f"outcomes_vs_{x}.png", partial(_outcome_vs, ok, x, outcomes, lines, pooled)))
    for a, b in itertools.combinations([p for p in parameters if _numeric(p)], 2):
        drawings.append((f"heatmap_{a}_{b}.png", partial(_heat_map, ok, a, b, outcomes)))
    indices = read_sobol(folder / SOBOL_FILE) if (folder / SOBOL_FILE).is_file() else pd.DataFrame()
    if not indices.empty:
        # stability judged afresh from the numbers, so sobol.csv files from before the stable column are marked too
        drawings.append(("sobol_indices.png", partial(draw_sobol_indices, with_stability(indices))))
    return SweepFigures(folder, caption(read_provenance(folder)), tuple(drawings))
