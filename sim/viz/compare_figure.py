"""The comparison figure of several run folders: headline outcomes as bars, seizures over time."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from sim.compare import RunRecord
from sim.outcomes import BY_NAME
from sim.viz.sweep_plots import COLOURS  # Okabe–Ito, in the order every figure gives to series

# Outcomes drawn as bars (titles and units from the registry); a panel is drawn when some run has a value.
BARS: tuple[str, ...] = (
    "seizure_rate", "shipments_delivered", "cost_per_seizure", "privacy_exposure", "violence_events", "trust",
)
PANEL_COLUMNS = 3
PANEL_SIZE = (4.6, 3.4)  # inches per panel
DPI = 110


def _colour(k: int) -> str:
    return COLOURS[k % len(COLOURS)]


def _number(value: float, _position: object = None) -> str:
    """A value as a bar label or tick: thousands in full with separators, small values to 3 digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _draw_bars(ax: plt.Axes, runs: list[RunRecord], key: str) -> None:
    outcome = BY_NAME[key]
    values = [run.summary.get(key) for run in runs]
    heights = [np.nan if v is None else float(v) for v in values]
    bars = ax.bar(range(len(runs)), heights, color=[_colour(k) for k in range(len(runs))], edgecolor="black", lw=0.5)
    ax.bar_label(bars, labels=["n/a" if v is None else _number(v) for v in values], fontsize=8, padding=2)
    ax.yaxis.set_major_formatter(FuncFormatter(_number))
    ax.set_xticks(range(len(runs)), [run.name for run in runs], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(outcome.unit if outcome.unit != "-" else "share (0–1)")
    ax.set_title(key.replace("_", " ").capitalize())
    ax.margins(y=0.15)


def _draw_seized(ax: plt.Axes, runs: list[RunRecord]) -> None:
    for k, run in enumerate(runs):
        ax.plot(run.metrics["hour"], run.metrics["shipments_seized"], color=_colour(k), label=run.name)
    ax.set_xlabel("time (hours)")
    ax.set_ylabel("shipments seized (cumulative)")
    ax.set_title("Seizures over time")
    ax.legend(fontsize=8)


def draw_comparison(runs: list[RunRecord], out_path: Path) -> Path:
    """Draw the comparison figure of ``runs`` into ``out_path`` (PNG) and return the path.

    One bar panel per headline outcome that some run has (seizure rate, shipments delivered,
    cost per seizure, privacy exposure, violence, trust), each run in its own colour, above the
    cumulative seizures of every run over time across the figure's width.
    """
    bars = [key for key in BARS if any(run.summary.get(key) is not None for run in runs)]
    rows = math.ceil(len(bars) / PANEL_COLUMNS) + 1
    fig = plt.figure(figsize=(PANEL_SIZE[0] * PANEL_COLUMNS, PANEL_SIZE[1] * rows + 0.6), layout="constrained")
    grid = fig.add_gridspec(rows, PANEL_COLUMNS)
    for k, key in enumerate(bars):
        _draw_bars(fig.add_subplot(grid[divmod(k, PANEL_COLUMNS)]), runs, key)
    _draw_seized(fig.add_subplot(grid[-1, :]), runs)
    fig.suptitle(f"Run comparison: {', '.join(run.name for run in runs)}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path, dpi=DPI)
    plt.close(fig)
    return out_path
