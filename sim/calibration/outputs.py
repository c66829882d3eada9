"""What a calibration leaves in its folder besides pyabc's database.

* ``posterior.parquet``: the last generation's particles, one column per parameter and their ``weight``;
* ``ppc.csv`` and ``ppc.json``: the posterior predictive check of every target (the interval the model predicts
  from posterior draws against the figure);
* ``calibrated.toml``: the scenario at the posterior's weighted median, with ``calibration.*`` filled in;
* ``provenance.json``: versions, digests, seeds, settings, each generation's epsilon and the command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc import History

from sim import __version__
from sim.calibration.config import CalibrationSpec, Target
from sim.calibration.evaluate import run_statistics
from sim.calibration.smc import DATABASE
from sim.scenario import Scenario

PPC_QUANTILES = (0.05, 0.5, 0.95)  # the predicted interval's ends and its middle
WEIGHT = "weight"
DETERMINISM = ("each run's seed is derived from the calibration seed, the replicate and the parameter values (not an "
               "evaluation counter), so a parameter point gives the same statistics anywhere; pyabc's own draws depend "
               "on unseeded worker generators and on the order workers finish, so the posterior is reproducible in "
               "distribution only")


@dataclass(frozen=True)
class Check:
    """The posterior predictive check of one target.

    Attributes:
        target: the target.
        low: the predicted interval's lower end (5 %).
        median: the predicted median.
        high: the predicted interval's upper end (95 %).
        covered: whether the predicted interval meets the figure (its value, or its low–high bound).
        missing: draws whose run could not give the statistic.
    """

    target: Target
    low: float
    median: float
    high: float
    covered: bool
    missing: int

    def row(self) -> dict[str, Any]:
        """The check as a table row."""
        figure = self.target.figure
        return {"target": self.target.name, "statistic": self.target.statistic,
                "figure_low": figure.low if figure else self.target.value,
                "figure_high": figure.high if figure else self.target.value, "target_value": self.target.value,
                "uncertainty": self.target.uncertainty, "predicted_low": self.low, "predicted_median": self.median,
                "predicted_high": self.high, "covered": self.covered, "missing_draws": self.missing,
                "status": figure.status if figure else "own value"}


def posterior(history: History) -> pd.DataFrame:
    """The last generation's particles: one column per parameter and their normalised ``weight``."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    frame = frame.reset_index(drop=True)
    frame.columns.name = None
    frame[WEIGHT] = weights
    return frame


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` under ``weights`` (the smallest value whose cumulative weight reaches q)."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][min(np.searchsorted(cumulative, q), len(values) - 1)])


def central_values(spec: CalibrationSpec, frame: pd.DataFrame) -> dict[str, int | float]:
    """Each parameter's weighted posterior median, as the scenario takes it."""
    weights = frame[WEIGHT].to_numpy()
    return {prior.name: prior.value(weighted_quantile(frame[prior.name].to_numpy(), weights, 0.5)) for prior in spec.priors}


def predictive_check(spec: CalibrationSpec, frame: pd.DataFrame) -> list[Check]:
    """Run the model at ``ppc_draws`` particles drawn by weight; each target's predicted interval against its figure."""
    rng = np.random.default_rng(spec.seed)
    draws = rng.choice(len(frame), size=spec.ppc_draws, p=frame[WEIGHT].to_numpy() / frame[WEIGHT].sum())
    statistics = tuple(dict.fromkeys(target.statistic for target in spec.targets))
    predicted: dict[str, list[float]] = {name: [] for name in statistics}
    for row in draws:
        values = {prior.name: prior.value(frame[prior.name].iloc[row]) for prior in spec.priors}
        for name, value in run_statistics(spec.scenario, values, statistics, spec.replications, spec.seed).items():
            predicted[name].append(value)
    checks = []
    for target in spec.targets:
        values = np.array(predicted[target.statistic])
        given = values[~np.isnan(values)]
        low, median, high = np.quantile(given, PPC_QUANTILES) if given.size else (np.nan,) * 3
        figure_low = target.figure.low if target.figure else target.value
        figure_high = target.figure.high if target.figure else target.value
        covered = bool(given.size) and low <= figure_high and figure_low <= high
        checks.append(Check(target, float(low), float(median), float(high), covered, int(values.size - given.size)))
    return checks


def write_checks(checks: list[Check], out: Path) -> pd.DataFrame:
    """``ppc.csv`` and ``ppc.json``; returns the table."""
    table = pd.DataFrame([check.row() for check in checks])
    table.to_csv(out / "ppc.csv", index=False)
    records = json.loads(table.to_json(orient="records"))  # NaN → null: strict JSON
    (out / "ppc.json").write_text(json.dumps(records, indent=2) + "\n")
    return table


def calibrated_scenario(spec: CalibrationSpec, central: dict[str, int | float]) -> Scenario:
    """The scenario at the posterior's central estimate, its ``calibration.*`` keys saying what it was fitted to."""
    references = [target.name for target in spec.targets if target.figure is not None]
    scenario = spec.scenario.with_overrides({**central, "calibration.config": str(spec.path.resolve()),
                                             "calibration.parameters": [prior.name for prior in spec.priors],
                                             "calibration.targets": references}, str(spec.path))
    fitted = ", ".join(f"{name} = {value:g}" for name, value in central.items())
    scenario.description = f"{spec.scenario.description} (calibrated by {spec.path.name}: {fitted})".strip()
    return scenario


def provenance_record(spec: CalibrationSpec, history: History, calibrated: Scenario, started: datetime,
                      sampler: str, command: str) -> dict[str, Any]:
    """``provenance.json``: where the posterior came from."""
    populations = history.get_all_populations()
    generations = populations[populations["t"] >= 0]
    return {
        "skywatch_version": __version__, "pyabc_version": pyabc.__version__, "config": str(spec.path.resolve()),
        "config_sha256": spec.digest, "scenario": spec.scenario.source, "scenario_sha256": spec.scenario.sha256(),
        "calibrated_sha256": calibrated.sha256(), "seed": spec.seed, "population": spec.population,
        "generations_planned": spec.generations, "generations_done": len(generations),
        "min_epsilon": spec.min_epsilon, "replications": spec.replications, "distance": spec.distance,
        "evaluations": int(history.total_nr_simulations), "runs": int(history.total_nr_simulations) * spec.replications,
        "epsilon_by_generation": [float(e) for e in generations["epsilon"]], "sampler": sampler, "database": DATABASE,
        "started_utc": started.isoformat(timespec="seconds"), "ended_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command, "determinism": DETERMINISM,
    }
