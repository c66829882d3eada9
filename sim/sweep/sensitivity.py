"""Sobol sensitivity indices of a Sobol sweep's outcomes, estimated with SALib.

Each point's outcome is its mean over replications (failed runs left out). Outcomes that are
constant over the points have no indices and are left out; outcomes missing at some point (every
run of it failed, or the outcome is null there) are listed with no indices, as not estimated, so
the table and the warning say so instead of staying silent.

Small samples give indices that cannot be trusted. A pair (outcome, parameter) is marked unstable
when an index's confidence interval (twice its half-width) is wider than the index and than
:data:`NEGLIGIBLE` (a near-zero index known to within ±0.05 is a stable "no
influence"), or when an index lies outside [0, 1] by more than its half-width. ``sobol.csv``
says so in its ``stable`` and ``note`` columns. Outcomes whose point means are mostly replication
noise stay unstable however many samples are drawn: they need more ``sweep.replications``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import sobol

from sim.scenario import ScenarioError, one_line, shown
from sim.sweep.design import SweepSpec, design_rng, unit_problem
from sim.sweep.results import IDENTITY, STATUS

SOBOL_FILE = "sobol.csv"
CONF_LEVEL = 0.95
RESAMPLES = 200
COLUMNS = ("outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf")
NEGLIGIBLE = 0.1  # an index whose interval is narrower than this is stable, however small the index
SOBOL_EXPECTED = "expected the Sobol indices skywatch sweep writes"


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
        if np.isnan(y).any():
            rows.extend((outcome, name, *[np.nan] * (len(COLUMNS) - 2)) for name in names)
            continue
        if np.ptp(y) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            indices = sobol.analyze(unit_problem(spec), y, calc_second_order=False, num_resamples=RESAMPLES,
                                    conf_level=CONF_LEVEL, seed=design_rng(spec))
        for j, name in enumerate(names):
            rows.append((outcome, name, *(float(indices[k][j]) for k in COLUMNS[2:])))
    return with_stability(pd.DataFrame(rows, columns=list(COLUMNS)))


def _unstable_because(row: pd.Series) -> str:
    """Why the indices of one (outcome, parameter) row cannot be trusted; empty when they can."""
    reasons = []
    for index in ("S1", "ST"):
        value, conf = row[index], row[f"{index}_conf"]
        if not np.isfinite([value, conf]).all():
            reasons.append(f"{index} not estimated")
        elif value + conf < 0.0 or value - conf > 1.0:
            reasons.append(f"{index} {value:.2f} outside [0, 1]")
        elif 2.0 * conf > max(abs(value), NEGLIGIBLE):
            reasons.append(f"{index} interval ±{conf:.2f} wider than {index} {value:.2f}")
    return "; ".join(reasons)


def with_stability(indices: pd.DataFrame) -> pd.DataFrame:
    """The indices (:data:`COLUMNS`) with two more columns: ``stable``, and ``note`` saying why not (empty when stable)."""
    notes = indices.apply(_unstable_because, axis=1, result_type="reduce") if len(indices) else pd.Series(dtype=str)
    return indices[list(COLUMNS)].assign(stable=notes == "", note=notes.astype(str))


def stability_warning(indices: pd.DataFrame, samples: int) -> str | None:
    """One line saying how many index pairs are unstable at base sample ``samples``; None when all are stable."""
    unstable = int((~indices["stable"]).sum())
    if unstable == 0:
        return None
    return (f"Sobol indices unstable for {unstable} of {len(indices)} (outcome, parameter) pairs at samples = {samples} "
            "(intervals wider than the indices, or indices outside [0, 1]); see the note column of "
            f"{SOBOL_FILE}; raise sweep.samples, and sweep.replications for noisy outcomes")


def read_sobol(path: Path) -> pd.DataFrame:
    """The indices (:data:`COLUMNS`) of a sweep's ``sobol.csv``, as floats (NaN where not estimated).

    Raises:
        ScenarioError: not a CSV table, a column of :data:`COLUMNS` missing, or an index neither a finite number
            nor empty.
    """
    try:
        indices = pd.read_csv(path)
    except ValueError as err:  # pandas' EmptyDataError and ParserError, undecodable text
        raise ScenarioError(path, "file", f"{SOBOL_EXPECTED} ({one_line(str(err), 120)})") from None
    missing = [column for column in COLUMNS if column not in indices.columns]
    if missing:
        raise ScenarioError(path, missing[0], f"{SOBOL_EXPECTED}, with the columns {', '.join(COLUMNS)}")
    for column in COLUMNS[2:]:
        values = pd.to_numeric(indices[column], errors="coerce")
        wrong = (values.isna() & indices[column].notna()) | np.isinf(values)
        if wrong.any():
            raise ScenarioError(path, column, f"expected a finite number or nothing, got {shown(indices[column][wrong].iloc[0])}")
        indices[column] = values
    return indices[list(COLUMNS)]
