"""What the replications' run folders hold beyond their summaries: the flow raster and the per-step metrics.

The brief keeps every run's folder for the time it is made (:func:`sim.compare.run_groups` with
``keep_dir``). Per scenario, :func:`mean_flow` is the mean of the runs' ``flow.npy`` and
:func:`bands` the mean of a per-step metric over the runs with the 95 % Student t interval of that
mean at every step (:func:`sim.intervals.t_half_width`), so the band narrows as 1/√N.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.compare import run_folder_name
from sim.intervals import t_half_width
from sim.outcomes import CORRIDOR_COLUMN
from sim.units import HOURS_PER_DAY

FLOW = "flow.npy"
METRICS = "metrics.csv"
HOUR = "hour"
CORRIDOR_SPREAD = "corridors_in_use"  # derived per step from the launches per corridor (:func:`corridor_spread`)
SPREAD_WINDOW_H = 24.0  # launches are counted over the last day before each step
LAUNCHED_PREFIX = CORRIDOR_COLUMN.format("")


@dataclass(frozen=True)
class Band:
    """A per-step series over the replications of one scenario.

    Attributes:
        days: time of each step, days.
        mean: the mean over the runs at each step.
        low: lower bound of the 95 % interval of the mean at each step (NaN with one run).
        high: upper bound of the same interval.
    """

    days: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


def run_folders(keep_dir: Path, label: str, replications: int) -> list[Path]:
    """The folders of the runs of scenario ``label`` that finished (a failed run leaves none), by replicate."""
    folders = (keep_dir / run_folder_name(label, r) for r in range(replications))
    return [folder for folder in folders if (folder / FLOW).is_file() and (folder / METRICS).is_file()]


def mean_flow(folders: list[Path], step_hours: float, days: float) -> np.ndarray | None:
    """The mean over the runs of ``flow.npy`` as shipment-hours spent in each cell per day (H × W), or None without runs.

    ``flow.npy`` counts shipment-steps; per day and in hours, runs of other lengths or step lengths compare.
    """
    if not folders:
        return None
    return np.mean([np.load(folder / FLOW).astype(float) for folder in folders], axis=0) * step_hours / days


def corridor_spread(frame: pd.DataFrame, step_hours: float) -> np.ndarray:
    """The effective number of corridors launched on at each step, from 1 (one corridor) to the corridor count.

    It is exp(Shannon entropy) of the launches per corridor over the last :data:`SPREAD_WINDOW_H` hours; NaN before any
    launch in the window.
    """
    launched = frame[[column for column in frame.columns if column.startswith(LAUNCHED_PREFIX)]]
    window = max(1, math.ceil(SPREAD_WINDOW_H / step_hours))
    counts = launched.rolling(window, min_periods=1).sum().to_numpy(dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = counts / totals
        entropy = -np.where(shares > 0, shares * np.log(shares), 0.0).sum(axis=1)
    return np.where(totals[:, 0] > 0, np.exp(entropy), np.nan)


def bands(folders: list[Path], columns: list[str], step_hours: float) -> dict[str, Band]:
    """Each of ``columns`` (metrics.csv columns, or :data:`CORRIDOR_SPREAD`) as a :class:`Band` over ``folders``' runs.

    A column some run lacks is left out.
    """
    frames = [pd.read_csv(folder / METRICS) for folder in folders]
    if not frames:
        return {}
    steps = min(len(frame) for frame in frames)  # the runs of one scenario have one length
    days = frames[0][HOUR].to_numpy(dtype=float)[:steps] / HOURS_PER_DAY
    found = {}
    for column in columns:
        if column == CORRIDOR_SPREAD:
            values = np.array([corridor_spread(frame, step_hours)[:steps] for frame in frames])
        elif all(column in frame for frame in frames):
            values = np.array([frame[column].to_numpy(dtype=float)[:steps] for frame in frames])
        else:
            continue
        n = len(frames)
        with warnings.catch_warnings():  # a step no run has a value at (no launch yet) is NaN, not a warning
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(values, axis=0)
            half = t_half_width(np.nanstd(values, axis=0, ddof=1), n) if n > 1 else np.full(steps, np.nan)
        found[column] = Band(days, mean, mean - half, mean + half)
    return found
