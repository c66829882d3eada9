"""Sobol sensitivity indices of a Sobol sweep's outcomes, estimated with SALib.

Each point's outcome is its mean over replications (failed runs left out). Outcomes that are
constant over the points, or missing at any point, have no indices and are left out.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from SALib.analyze import sobol

from sim.sweep.design import SweepSpec, design_rng, unit_problem
from sim.sweep.results import IDENTITY, STATUS

SOBOL_FILE = "sobol.csv"
CONF_LEVEL = 0.95
RESAMPLES = 200
COLUMNS = ("outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf")


def outcome_columns(frame: pd.DataFrame, parameters: list[str]) -> list[str]:
    """The outcome columns of a results table: all but identity, swept parameters and status."""
    return [c for c in frame.columns if c not in (*IDENTITY, *parameters, *STATUS)]


def sobol_indices(spec: SweepSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """First-order (S1) and total (ST) indices with their 95 % confidence half-widths, per outcome and parameter."""
    names = list(spec.parameters)
    ok = frame[frame["status"] == "ok"]
    means = ok.groupby("point")[outcome_columns(frame, names)].mean(numeric_only=True)
    means = means.reindex(range(spec.samples * (len(names) + 2)))
    rows = []
    for outcome in means.columns:
        y = means[outcome].to_numpy(dtype=float)
        if np.isnan(y).any() or np.ptp(y) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            indices = sobol.analyze(unit_problem(spec), y, calc_second_order=False, num_resamples=RESAMPLES,
                                    conf_level=CONF_LEVEL, seed=design_rng(spec))
        for j, name in enumerate(names):
            rows.append((outcome, name, *(float(indices[k][j]) for k in COLUMNS[2:])))
    return pd.DataFrame(rows, columns=list(COLUMNS))
