"""Calibration files: the scenario, the parameters' priors, the targets, the distance and the ABC-SMC settings.

A calibration file is TOML with one ``[calibration]`` table::

    [calibration]
    scenario = "drone_surge"      # a shipped scenario's name, or a path relative to this file
    population = 200              # particles per generation
    generations = 5               # ABC-SMC generations (populations), at most
    min_epsilon = 0.0             # stop earlier once the acceptance threshold is this small
    replications = 1              # runs per evaluation (seeds derived from the parameters), statistics averaged
    steps = 672                   # run.steps of every run (default: the scenario's)
    seed = 0                      # the base every run seed is derived from
    distance = "scaled_euclidean" # sqrt(Σ ((statistic − target) / uncertainty)²)
    ppc_draws = 40                # posterior particles the predictive check runs

    [calibration.fixed]           # optional: values set for every run
    "world.height" = 128

    [calibration.parameters."drones.detect_prob"]
    prior = "uniform"             # uniform {low, high}; normal {mean, sd}; lognormal {median, sigma}
    low = 0.2                     # normal and lognormal are cut to [low, high] (default: the schema's bounds);
                                  # sd within 1e-6 to 1e6 times high − low, sigma within 1e-6 to 100 (and 1e6 × ln(high / low))
    high = 0.9

    [calibration.targets.oig_flown_hours_share]   # a figure of sim/data/reference_figures.toml
    uncertainty = 0.05                            # optional: overrides the figure's

    [calibration.targets.synthetic_rate]          # or any name with its own value, statistic and uncertainty
    statistic = "seizure_rate"
    value = 0.31
    uncertainty = 0.02

Every bound is checked against the parameter schema; anything wrong raises :class:`~sim.scenario.ScenarioError`
(one line per error) before anything runs or is written.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pyabc import RV, Distribution
from pyabc.random_variables import RVDecorator

from sim.calibration.statistics import BY_NAME as STATISTICS_BY_NAME
from sim.params import SCHEMA, Param
from sim.reference import ReferenceFigure, load_reference
from sim.scenario import (
    DESCRIPTION_KEY,
    ErrorList,
    Scenario,
    ScenarioError,
    anchored,
    check_value,
    did_you_mean,
    known_param,
    load_scenario,
    param_of,
    path_is_well_formed,
    read_toml,
    resolve_scenario_path,
    shown,
)
from sim.sweep.design import Count  # an integer key's default and bounds, as in sweep files
from sim.world_cache import preflight_all

PRIORS = ("uniform", "normal", "lognormal")
DISTANCES = ("scaled_euclidean",)
CALIBRATION_KEYS = ("scenario", "population", "generations", "min_epsilon", "replications", "steps", "seed", "distance",
                    "ppc_draws", "fixed", "parameters", "targets")
TARGET_KEYS = ("statistic", "value", "uncertainty")
SEEDED = "run.seed"  # set for each run from the calibration seed and the parameters
# The spreads a prior may take: beyond them its density is a spike or flat to within rounding, and pyabc's weights NaN.
SD_WIDTHS = (1e-6, 1e6)  # a normal prior's sd, in widths high − low (a lognormal's sigma, at most 1e6 widths ln(high / low))
SIGMAS = (1e-6, 100.0)  # a lognormal prior's sigma, of the natural log


COUNTS = {"population": Count(100, 2, 100_000), "generations": Count(5, 1, 1000), "replications": Count(1, 1, 1000),
          "seed": Count(0, 0, 2**63 - 1), "steps": Count(None, 1, 10**7), "ppc_draws": Count(40, 2, 100_000)}


class IntervalDecorator(RVDecorator):
    """A random variable cut to ``[low, high]``: drawn by inverting its distribution function, density renormalised."""

    def __init__(self, component: RV, low: float, high: float):
        self.low, self.high = low, high
        self.mass_low, self.mass_high = float(component.cdf(low)), float(component.cdf(high))
        super().__init__(component)

    def copy(self) -> IntervalDecorator:
        """An independent copy."""
        return IntervalDecorator(self.component.copy(), self.low, self.high)

    def decorator_repr(self) -> str:
        """How the decorator is shown."""
        return f"Interval: {self.low:g} ≤ X ≤ {self.high:g}"

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        """One draw (numpy's global generator, which pyabc seeds in each worker)."""
        u = np.random.uniform(self.mass_low, self.mass_high)
        return float(np.clip(self.component.ppf(u), self.low, self.high))

    def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        """Density at ``x``: 0 outside the interval."""
        return float(self.component.pdf(x)) / (self.mass_high - self.mass_low) if self.low <= x <= self.high else 0.0

    def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
        """Not a discrete variable: 0."""
        return 0.0

    def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        """Distribution function at ``x``."""
        clipped = min(max(x, self.low), self.high)
        return (float(self.component.cdf(clipped)) - self.mass_low) / (self.mass_high - self.mass_low)


@dataclass(frozen=True)
class Prior:
    """The prior of one calibrated parameter.

    Attributes:
        name: the parameter's dotted name.
        kind: ``uniform``, ``normal`` or ``lognormal``.
        low: the lowest value drawn.
        high: the highest value drawn.
        centre: normal: the mean; lognormal: the median; uniform: unused (the middle).
        spread: normal: the standard deviation; lognormal: sigma of the log; uniform: unused.
        integer: whether the parameter takes integers (draws are rounded).
    """

    name: str
    kind: str
    low: float
    high: float
    centre: float
    spread: float
    integer: bool

    def rv(self) -> RV | IntervalDecorator:
        """The pyabc random variable of this prior."""
        if self.kind == "uniform":
            return RV("uniform", self.low, self.high - self.low)
        if self.kind == "normal":
            return IntervalDecorator(RV("norm", self.centre, self.spread), self.low, self.high)
        return IntervalDecorator(RV("lognorm", self.spread, 0.0, self.centre), self.low, self.high)

    def value(self, drawn: float) -> int | float:
        """A drawn value as the parameter takes it (rounded for integers)."""
        return round(drawn) if self.integer else float(drawn)


@dataclass(frozen=True)
class Target:
    """One figure the calibration fits.

    Attributes:
        name: a reference figure's id, or the file's own name for a target with its own value.
        statistic: the model statistic compared with it (:mod:`sim.calibration.statistics`).
        value: the number aimed at.
        uncertainty: one standard deviation: each miss is divided by it.
        figure: the reference figure, or None for a target with its own value.
    """

    name: str
    statistic: str
    value: float
    uncertainty: float
    figure: ReferenceFigure | None


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration file.

    Attributes:
        path: the file.
        digest: SHA-256 of the file's bytes (a resumed run must have the same).
        scenario: the scenario calibrated, with ``calibration.fixed`` and ``steps`` applied.
        priors: the calibrated parameters' priors, in the file's order.
        targets: the targets, in the file's order.
        population: particles per generation.
        generations: generations at most.
        min_epsilon: stop once the acceptance threshold is at most this.
        replications: runs per evaluation.
        seed: the base of every run seed.
        distance: the distance's name (:data:`DISTANCES`).
        ppc_draws: posterior particles the predictive check runs.
    """

    path: Path
    digest: str
    scenario: Scenario
    priors: tuple[Prior, ...]
    targets: tuple[Target, ...]
    population: int
    generations: int
    min_epsilon: float
    replications: int
    seed: int
    distance: str
    ppc_draws: int

    def distribution(self) -> Distribution:
        """The joint prior: independent priors, one per parameter."""
        return Distribution(**{prior.name: prior.rv() for prior in self.priors})


def _named_entries[T](table: Any, parse: Callable[[str, Any, Path], T], key: str, expected: str, source: Path,
                      errors: ErrorList) -> list[T]:
    """``parse(name, value, source)`` of each entry of the non-empty table ``calibration.KEY``; errors gathered."""
    parsed: list[T] = []
    if not isinstance(table, dict) or not table:
        errors.add(ScenarioError(source, f"calibration.{key}", f"expected {expected}"))
        return parsed
    for name, value in table.items():
        with errors.gather():
            parsed.append(parse(name, value, source))
    return parsed



def _prior_bound(param: Param, table: dict[str, Any], end: str, required: bool, field: str, source: Path) -> float:
    """A prior's ``low`` or ``high`` (``end``): as written (within the schema's bounds), else the schema's own."""
    if required or end in table:
        return _within(param, _number(table, end, field, source), f"{field}.{end}", source)
    bound = param.low if end == "low" else param.high
    if bound is None:
        raise ScenarioError(source, f"{field}.{end}", f"expected a{' lower' if end == 'low' else 'n upper'} bound "
                            "(the schema gives none)")
    return float(bound)


def _number(table: dict[str, Any], key: str, field: str, source: Path) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(source, f"{field}.{key}", f"expected a finite number, got {shown(value)}")
    return float(value)


def _within(param: Param, value: float, field: str, source: Path) -> float:
    """``value``, checked against the schema's bounds of ``param``."""
    low = -math.inf if param.low is None else param.low
    high = math.inf if param.high is None else param.high
    if not low <= value <= high:
        raise ScenarioError(source, field,
                            f"expected a value within {param.name}'s bounds {param.describe_bounds()}, got {value:g}")
    return value


def _prior(name: str, table: Any, source: Path) -> Prior:
    """The checked prior of parameter ``name``."""
    field = f"calibration.parameters.{name}"
    try:
        param = param_of(name, source)
    except ScenarioError as err:
        raise ScenarioError(source, field, err.expected) from None
    if param.kind not in (int, float) or name == SEEDED:
        raise ScenarioError(source, field, "expected a numeric parameter (not a switch, name, list or run.seed)")
    if not isinstance(table, dict):
        raise ScenarioError(source, field, "expected a table { prior = …, … }")
    kind = table.get("prior")
    if kind not in PRIORS:
        raise ScenarioError(source, f"{field}.prior", f"expected one of {'|'.join(PRIORS)}, got {shown(kind)}")
    expected = {"uniform": {"prior", "low", "high"}, "normal": {"prior", "mean", "sd", "low", "high"},
                "lognormal": {"prior", "median", "sigma", "low", "high"}}[kind]
    unknown = sorted(set(table) - expected)
    if unknown:
        raise ScenarioError(source, f"{field}.{unknown[0]}",
                            f"unknown key for a {kind} prior; expected {', '.join(sorted(expected))}")
    low, high = (_prior_bound(param, table, end, kind == "uniform", field, source) for end in ("low", "high"))
    if not low < high:
        raise ScenarioError(source, field, f"expected low < high, got low = {low:g}, high = {high:g}")
    if param.kind is int and math.ceil(low) > math.floor(high):  # draws are rounded: every one would fall outside
        raise ScenarioError(source, field, f"expected a whole number within [low, high] ({name} takes whole numbers), "
                            f"got low = {low:g}, high = {high:g}")
    centre = spread = math.nan
    if kind != "uniform":
        centre_key, spread_key = ("mean", "sd") if kind == "normal" else ("median", "sigma")
        centre = _within(param, _number(table, centre_key, field, source), f"{field}.{centre_key}", source)
        spread = _number(table, spread_key, field, source)
        if kind == "lognormal" and centre <= 0:
            raise ScenarioError(source, f"{field}.median", f"expected a value > 0, got {centre:g}")
        if kind == "normal":
            least, most = SD_WIDTHS[0] * (high - low), SD_WIDTHS[1] * (high - low)
            widths = f" ({SD_WIDTHS[0]:g} to {SD_WIDTHS[1]:g} times high − low)"
        else:  # in log widths too: a sigma far wider than ln(high / low) leaves the interval no mass to renormalise by
            log_width = math.log(high / low) if low > 0 else math.inf
            least, most = SIGMAS[0], min(SIGMAS[1], SD_WIDTHS[1] * log_width)
            widths = f" (at most {SD_WIDTHS[1]:g} times ln(high / low))" if most < SIGMAS[1] else ""
        if not least <= spread <= most:
            raise ScenarioError(source, f"{field}.{spread_key}",
                                f"expected a value in [{least:g}, {most:g}]{widths}, got {spread:g}")
        if not low <= centre <= high:
            raise ScenarioError(source, f"{field}.{centre_key}", f"expected a value within [low, high] = [{low:g}, {high:g}]")
    return Prior(name, kind, low, high, centre, spread, param.kind is int)


def _target(name: str, table: Any, source: Path) -> Target:
    """The checked target ``name``: a reference figure (its fields overridable) or one with its own value."""
    field = f"calibration.targets.{name}"
    if not isinstance(table, dict):
        raise ScenarioError(source, field, "expected a table (empty for a reference figure as it is)")
    for key in table:
        if key not in TARGET_KEYS:
            raise ScenarioError(source, f"{field}.{key}", f"unknown key; expected {', '.join(TARGET_KEYS)}")
    figures = load_reference()
    figure = figures.get(name)
    if figure is None and "value" not in table:
        raise ScenarioError(source, field, "expected a reference figure's id (sim/data/reference_figures.toml)"
                            f"{did_you_mean(name, list(figures))}, or a target with its own value, statistic and uncertainty")
    statistic = table.get("statistic", figure.statistic if figure else None)
    if statistic is not None and not isinstance(statistic, str):
        raise ScenarioError(source, f"{field}.statistic", f"expected a statistic's name (a string), got {shown(statistic)}")
    if statistic not in STATISTICS_BY_NAME:
        hint = " (the figure is context only: give a statistic)" if figure and not figure.statistic else ""
        raise ScenarioError(source, f"{field}.statistic", f"unknown statistic {shown(statistic)}{hint}"
                            f"{did_you_mean(str(statistic), list(STATISTICS_BY_NAME))}")
    value = _number(table, "value", field, source) if "value" in table else figure.target
    high = STATISTICS_BY_NAME[statistic].high
    if not 0.0 <= value <= high:
        raise ScenarioError(source, f"{field}.value", f"expected a value {statistic} can take, in [0, {high:g}], got {value:g}")
    if "uncertainty" in table:
        uncertainty = _number(table, "uncertainty", field, source)
    elif figure is not None:
        uncertainty = figure.uncertainty
    else:
        raise ScenarioError(source, f"{field}.uncertainty", "expected a positive number")
    if uncertainty <= 0:
        raise ScenarioError(source, f"{field}.uncertainty", f"expected a positive number, got {uncertainty:g}")
    return Target(name, statistic, value, uncertainty, figure)


def _integer(table: dict[str, Any], key: str, source: Path) -> int | None:
    count = COUNTS[key]
    value = table.get(key, count.default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not count.low <= value <= count.high:
        raise ScenarioError(source, f"calibration.{key}",
                            f"expected an integer in [{count.low:,}, {count.high:,}], got {shown(value)}")
    return value


def _scenario(value: Any, fixed: Any, steps: int | None, source: Path) -> Scenario:
    """The calibrated scenario with ``calibration.fixed`` and ``steps`` applied."""
    if not isinstance(value, str) or not value or not path_is_well_formed(value):
        raise ScenarioError(source, "calibration.scenario",
                            f"expected a shipped scenario's name or a path, got {shown(value)}")
    beside = source.parent / value
    path = beside if beside.is_file() else resolve_scenario_path(value)
    if not path.is_file():
        raise ScenarioError(source, "calibration.scenario", f"no such scenario {shown(value)}")
    if not isinstance(fixed, dict):
        raise ScenarioError(source, "calibration.fixed", "expected a table of parameter values by dotted name")
    for name in fixed:
        if known_param(name) is None or name == SEEDED:
            raise ScenarioError(source, f"calibration.fixed.{name}",
                                f"unknown or seeded parameter{did_you_mean(name, tuple(SCHEMA))}")
    values = {name: anchored(name, check_value(name, v, source), source.parent) for name, v in fixed.items()}
    if steps is not None:
        values["run.steps"] = steps
    return load_scenario(path).with_overrides(values, str(source))


def _table(doc: dict[str, Any], source: Path) -> dict[str, Any]:
    extra = sorted(set(doc) - {"calibration", DESCRIPTION_KEY})
    if extra:
        raise ScenarioError(source, extra[0], "a calibration file holds only a [calibration] table (and a description)")
    table = doc.get("calibration")
    if not isinstance(table, dict):
        raise ScenarioError(source, "calibration", "expected a [calibration] table")
    for key in table:
        if key not in CALIBRATION_KEYS:
            raise ScenarioError(source, f"calibration.{key}", f"unknown key{did_you_mean(key, CALIBRATION_KEYS)}")
    return table


def parse_calibration(doc: dict[str, Any], source: Path, digest: str = "") -> CalibrationSpec:
    """Validate a parsed calibration file.

    Raises:
        ScenarioError: a key or value is missing, unknown or invalid (:class:`~sim.scenario.ScenarioErrors` when several are).
    """
    errors = ErrorList()
    table = _table(doc, source)
    counts: dict[str, int | None] = {}
    for key in COUNTS:
        with errors.gather():
            counts[key] = _integer(table, key, source)
    min_epsilon = 0.0
    with errors.gather():
        min_epsilon = _number({"min_epsilon": table.get("min_epsilon", 0.0)}, "min_epsilon", "calibration", source)
        if min_epsilon < 0.0:  # a distance is never below 0: such a threshold is never reached
            raise ScenarioError(source, "calibration.min_epsilon", f"expected a number >= 0, got {min_epsilon:g}")
    distance = table.get("distance", DISTANCES[0])
    if distance not in DISTANCES:
        errors.add(ScenarioError(source, "calibration.distance", f"expected one of {'|'.join(DISTANCES)}, got {shown(distance)}"))
    parameters, targets = table.get("parameters"), table.get("targets")
    priors = _named_entries(parameters, _prior, "parameters", "a table of priors by dotted parameter name", source, errors)
    chosen = _named_entries(targets, _target, "targets", "a table of targets by reference figure id", source, errors)
    scenario = None
    with errors.gather():
        scenario = _scenario(table.get("scenario"), table.get("fixed", {}), counts.get("steps"), source)
    for name in table.get("fixed", {}) if isinstance(table.get("fixed"), dict) else ():
        if isinstance(parameters, dict) and name in parameters:
            errors.add(ScenarioError(source, f"calibration.fixed.{name}", "is calibrated; it cannot also be fixed"))
    errors.raise_any()
    _check_prior_ranges(scenario, tuple(priors), source)
    return CalibrationSpec(source, digest, scenario, tuple(priors), tuple(chosen), counts["population"],
                           counts["generations"], min_epsilon, counts["replications"], counts["seed"], distance,
                           counts["ppc_draws"])


def _check_prior_ranges(scenario: Scenario, priors: tuple[Prior, ...], source: Path) -> None:
    """Refuse a prior that can draw a value the scenario refuses, before any run (a run would fail in a worker).

    Each prior is checked at its low and its high, the others at their middle, as a run's model
    would check it at construction (:func:`sim.world_cache.preflight_all`: the cross-field and world
    checks, e.g. a corridor the world has, a bbox its CRS takes).

    Raises:
        ScenarioError: naming the prior, the value and what the scenario expected instead.
    """
    middle = {prior.name: prior.value((prior.low + prior.high) / 2) for prior in priors}
    ends = [(prior.name, prior.value(end)) for prior in priors for end in (prior.low, prior.high)]
    checked = []  # the ends made into scenarios so far: the last is the one refused

    def scenarios() -> Iterator[Scenario]:
        for name, value in ends:
            checked.append((name, value))
            yield scenario.with_overrides({**middle, name: value}, str(source))

    try:
        preflight_all(scenarios())  # one world built for the ends that share one
    except ScenarioError as err:
        name, value = checked[-1]
        raise ScenarioError(source, f"calibration.parameters.{name}", f"the scenario refuses {value:g}, which this prior "
                            f"can draw ({err.field_name}: {err.expected})") from None


def load_calibration(path: Path) -> CalibrationSpec:
    """Load and validate a calibration file.

    Raises:
        ScenarioError: the file is missing, not TOML, or not a valid calibration file.
    """
    if not path.is_file():
        raise ScenarioError(path, "file", "no such calibration file")
    doc = read_toml(path)
    return parse_calibration(doc, path, hashlib.sha256(path.read_bytes()).hexdigest())
