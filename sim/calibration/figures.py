"""A calibration's figures: the posterior's marginals and pairs, and the posterior predictive check.

* ``marginals.png``: one panel per parameter, the weighted histogram of the last generation over the prior's range,
  the weighted median marked;
* ``pairs.png``: every pair of parameters, the particles shaded by weight;
* ``ppc.png``: each target's predicted 5–95 % interval and median against its figure, in the target's uncertainties
  from the figure (0 = on it).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.calibration.config import CalibrationSpec
from sim.calibration.outputs import WEIGHT
from sim.outfolder import replace_file
from sim.viz.figures import literal
from sim.viz.sweep_plots import COLOURS

BINS = 20
PANEL_INCHES = 3.2
DPI = 110


def draw_marginals(spec: CalibrationSpec, frame: pd.DataFrame, central: dict[str, float], out: Path) -> Path:
    """``marginals.png``: each parameter's weighted posterior histogram over its prior range."""
    count = len(spec.priors)
    fig, axes = plt.subplots(1, count, figsize=(PANEL_INCHES * count, PANEL_INCHES), squeeze=False)
    for ax, prior in zip(axes[0], spec.priors, strict=True):
        ax.hist(frame[prior.name], bins=np.linspace(prior.low, prior.high, BINS + 1), weights=frame[WEIGHT],
                color=COLOURS[0], alpha=0.8)
        ax.axvline(central[prior.name], color=COLOURS[1], linestyle="--", label=f"median {central[prior.name]:.4g}")
        ax.set(xlabel=prior.name, ylabel="posterior weight", xlim=(prior.low, prior.high))
        ax.legend(fontsize="small")
    fig.suptitle(f"posterior marginals ({literal(spec.path.name)}; x axis: each prior's range)")
    return _save(fig, out / "marginals.png")


def draw_pairs(spec: CalibrationSpec, frame: pd.DataFrame, out: Path) -> Path:
    """``pairs.png``: each pair of parameters' particles, darker for more weight (one panel for a single parameter)."""
    pairs = list(itertools.combinations(spec.priors, 2)) or [(spec.priors[0], spec.priors[0])]
    fig, axes = plt.subplots(1, len(pairs), figsize=(PANEL_INCHES * len(pairs), PANEL_INCHES), squeeze=False)
    weights = frame[WEIGHT].to_numpy()
    for ax, (x, y) in zip(axes[0], pairs, strict=True):
        ax.scatter(frame[x.name], frame[y.name], c=weights, cmap="Blues", s=12, edgecolors="none")
        ax.set(xlabel=x.name, ylabel=y.name, xlim=(x.low, x.high), ylim=(y.low, y.high))
    fig.suptitle(f"posterior pairs ({literal(spec.path.name)}; shade: particle weight)")
    return _save(fig, out / "pairs.png")


def draw_checks(table: pd.DataFrame, out: Path) -> Path:
    """``ppc.png``: each target's predicted interval against its figure, in uncertainties from the figure."""
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(table) + 1.8))
    for k, row in enumerate(table.itertuples()):
        scale = row.uncertainty
        low, median, high = ((getattr(row, key) - row.target_value) / scale
                             for key in ("predicted_low", "predicted_median", "predicted_high"))
        colour = COLOURS[0] if row.covered else COLOURS[1]
        ax.plot([low, high], [k, k], color=colour, linewidth=4, solid_capstyle="butt", marker="|", markersize=14)
        ax.plot(median, k, "o", color="black")
        figure_low, figure_high = ((row.figure_low - row.target_value) / scale, (row.figure_high - row.target_value) / scale)
        ax.plot([figure_low, figure_high], [k + 0.2, k + 0.2], color="grey", linewidth=2)
    ax.axvline(0, color="grey", linestyle=":")
    ax.set_yticks(range(len(table)), [f"{row.target} ({row.statistic})" for row in table.itertuples()], fontsize="small")
    ax.set_xlabel("(predicted − target) / uncertainty\nbar: predicted 5–95 %, dot: median; grey: the figure (or its bound)")
    ax.set_title("posterior predictive check (blue: meets the figure, orange: misses it)")
    return _save(fig, out / "ppc.png")


def _save(fig: plt.Figure, path: Path) -> Path:
    """Lay ``fig`` out, write it to ``path`` (PNG, whole or not at all) and close it."""
    fig.tight_layout()
    replace_file(path, lambda temp: fig.savefig(temp, dpi=DPI, format="png"))
    plt.close(fig)
    return path
