"""The comparison figure: each scenario's mean with its interval, and its paired difference from the reference.

Every outcome drawn has two panels, one above the other: the mean over runs with its 95 % interval
per scenario, and below it each scenario's difference from the reference with its paired 95 %
interval (the reference's place left empty, a dashed line at zero). The caption carries the
cost-effectiveness ratios and the provenance: version, how the runs were seeded, each scenario's
digest (and, for run folders, seeds).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from sim.compare import DIFFERENCE_KEYS, MEAN_KEYS, SEIZURES, VALUE_SEIZED, Comparison, provenance_lines
from sim.intervals import CONFIDENCE
from sim.viz.sweep_plots import COLOURS  # Okabe–Ito, in the order every figure gives to series

# Outcomes drawn (the comparison's cost goes between them), each where some scenario has a value.
BEFORE_COST: tuple[str, ...] = (SEIZURES, "seizure_rate", VALUE_SEIZED)
AFTER_COST: tuple[str, ...] = ("privacy_exposure", "trust")
PANEL_COLUMNS = 3
PANEL_SIZE = (4.6, 4.4)  # inches per outcome (both its panels)
HEIGHT_RATIOS = (3, 2)  # means panel : differences panel
CAPTION_CHARS = 170  # caption lines wrap at this many characters
DPI = 110


def _colour(k: int) -> str:
    return COLOURS[k % len(COLOURS)]


def _number(value: float, _position: object = None) -> str:
    """A value as a tick: thousands in full with separators, small values to 3 digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _error_bar(ax: plt.Axes, x: int, row: dict, keys: tuple[str, str, str, str], colour: str) -> None:
    """One point with its interval (no bar where there is no interval)."""
    estimate, low, high, _ = (row[key] for key in keys)
    if math.isnan(estimate):
        return
    spread = [[0.0], [0.0]] if math.isnan(low) else [[estimate - low], [high - estimate]]
    ax.errorbar([x], [estimate], yerr=spread, fmt="o", color=colour, capsize=5, markersize=6, elinewidth=1.5)


def _draw_outcome(means: plt.Axes, differences: plt.Axes, comparison: Comparison, outcome: str) -> None:
    rows = comparison.table[comparison.table["outcome"] == outcome].to_dict("records")
    labels = [row["scenario"] for row in rows]
    for k, row in enumerate(rows):
        _error_bar(means, k, row, MEAN_KEYS, _colour(k))
        if k > 0:
            _error_bar(differences, k, row, DIFFERENCE_KEYS, _colour(k))
    unit = rows[0]["unit"]
    means.set_title(outcome.replace("_", " ").capitalize() + (" per day" if rows[0]["per_day"] else ""))
    means.set_ylabel(unit if unit != "-" else "share (0–1)")
    differences.axhline(0.0, color="grey", lw=0.8, ls="--")
    differences.set_ylabel(f"Δ vs {comparison.reference.label}")
    differences.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=8)
    means.tick_params(labelbottom=False)
    for ax in (means, differences):
        ax.yaxis.set_major_formatter(FuncFormatter(_number))
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.margins(y=0.15)


def _caption(comparison: Comparison) -> str:
    lines = [*comparison.ratios, *(f"note: {note}" for note in comparison.notes), *provenance_lines(comparison)]
    return "\n".join(textwrap.fill(line, CAPTION_CHARS) for line in lines)


def draw_comparison(comparison: Comparison, out_path: Path) -> Path:
    """Draw the comparison figure into ``out_path`` (PNG) and return the path.

    Seizures, the seizure rate, the value seized, the cost, privacy exposure and trust, each where
    some scenario has a value: means with their intervals above, paired differences below; the
    caption holds the cost-effectiveness ratios and the provenance. Scenario and folder names are
    drawn as they are, never read as maths (``$``).
    """
    with plt.rc_context({"text.parse_math": False}):
        return _draw(comparison, out_path)


def _draw(comparison: Comparison, out_path: Path) -> Path:
    table = comparison.table
    drawn = [outcome for outcome in (*BEFORE_COST, comparison.cost, *AFTER_COST)
             if np.isfinite(table.loc[table["outcome"] == outcome, "mean"].to_numpy(dtype=float)).any()]
    blocks = max(1, math.ceil(len(drawn) / PANEL_COLUMNS))
    fig = plt.figure(figsize=(PANEL_SIZE[0] * PANEL_COLUMNS, PANEL_SIZE[1] * blocks + 1.4), layout="constrained")
    grid = fig.add_gridspec(2 * blocks, PANEL_COLUMNS, height_ratios=HEIGHT_RATIOS * blocks)
    for k, outcome in enumerate(drawn):
        block, column = divmod(k, PANEL_COLUMNS)
        means = fig.add_subplot(grid[2 * block, column])
        _draw_outcome(means, fig.add_subplot(grid[2 * block + 1, column], sharex=means), comparison, outcome)
    fig.suptitle(f"Mean over runs with its {CONFIDENCE:.0%} interval (above); difference from "
                 f"{comparison.reference.label} with its paired {CONFIDENCE:.0%} interval (below)")
    fig.supxlabel(_caption(comparison), fontsize=8, ha="left", x=0.01)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path, dpi=DPI)
    plt.close(fig)
    return out_path
