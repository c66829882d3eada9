"""Sweep files: parsing and validating them, and the design's points and per-run seeds.

A sweep file is TOML with a ``[sweep]`` table (``base``, ``design``, ``samples``,
``replications``, ``seed``, ``max_runs``), a ``[sweep.parameters]`` table of swept parameters by dotted name
and an optional ``[sweep.fixed]`` table of values applied to the base scenario for every run.
A swept parameter is a list of levels (any parameter, categorical ones included) or a
``{low, high}`` range (numbers only). ``grid`` takes lists only and runs their full product;
``lhs``, ``sobol`` and ``random`` need at least one range and draw ``samples`` points in the unit
cube, each coordinate mapped to its parameter: a range linearly (integers on equal-width bins,
so every integer in ``[low, high]`` is equally likely), a list uniformly among its levels.
Anything wrong raises :class:`~sim.scenario.ScenarioError` before a run starts (every error of
the file at once where they do not depend on each other), and so does a sweep planning more runs
than ``max_runs`` (default :data:`DEFAULT_MAX_RUNS`): the runs are counted before any point is drawn;
so does a point whose values the base scenario cannot take together (:func:`plan_runs` builds each
point's scenario, some 30 µs apiece).

Seeds: common random numbers. Replicate r has the same ``run.seed`` at every point
(:func:`run_seed` of the sweep seed and r only), so two points differ by their levers alone and
their difference is paired replicate by replicate; ``run.seed`` cannot be swept or fixed. The
world is the base scenario's (its ``world.seed``) at every point, unless ``world.seed`` is itself
swept (structural uncertainty: each level a different world, crossed with the same replicates).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.scenario import (
    DESCRIPTION_KEY,
    INT64_MAX,
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
from sim.world_cache import preflight_all

DESIGNS = ("grid", "lhs", "sobol", "random")
SAMPLED_DESIGNS = ("lhs", "sobol", "random")
SWEEP_KEYS = ("base", "design", "samples", "replications", "seed", "max_runs", "parameters", "fixed")
SEEDED_BY_SWEEP = "run.seed"
# Spawn keys of the sweep seed: the design's draws apart from every run's seed.
DESIGN_STREAM = (0,)
RUN_STREAM = 1
MAX_RUN_SEED = 2**63 - 1
DEFAULT_MAX_RUNS = 10_000  # runs a sweep may plan unless sweep.max_runs raises the cap
MAX_RUNS_CEILING = 1_000_000  # the highest sweep.max_runs: the plan, journal and results table are held in memory


@dataclass(frozen=True)
class Count:
    """An integer key of ``[sweep]``: its default (None when it must be given) and inclusive bounds."""

    default: int | None
    low: int
    high: int


COUNTS = {"samples": Count(None, 1, INT64_MAX), "replications": Count(1, 1, INT64_MAX), "seed": Count(0, 0, MAX_RUN_SEED),
          "max_runs": Count(DEFAULT_MAX_RUNS, 1, MAX_RUNS_CEILING)}


@dataclass(frozen=True)
class Range:
    """A ``{low, high}`` range of a numeric parameter."""

    low: float
    high: float


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file.

    Attributes:
        path: the sweep file.
        base: the base scenario with the ``[sweep.fixed]`` values applied.
        design: one of :data:`DESIGNS`.
        samples: points drawn by a sampled design (the base sample N of Saltelli's scheme for
            ``sobol``); 0 for ``grid``.
        replications: runs per point; replicate r has the same run seed at every point.
        seed: the sweep seed every point and run seed derives from.
        parameters: swept parameters by dotted name, each a list of levels or a :class:`Range`.
    """

    path: Path
    base: Scenario
    design: str
    samples: int
    replications: int
    seed: int
    parameters: dict[str, list[Any] | Range]

    @property
    def planned_runs(self) -> int:
        """How many runs the sweep plans, counted without drawing its design."""
        if self.design == "grid":
            points = math.prod(len(levels) for levels in self.parameters.values())
        elif self.design == "sobol":
            points = self.samples * (len(self.parameters) + 2)  # Saltelli's scheme for first-order and total indices
        else:
            points = self.samples
        return points * self.replications


@dataclass(frozen=True)
class Run:
    """One run of a sweep: its identity, seed and swept values."""

    run_id: str
    point: int
    replicate: int
    seed: int
    values: dict[str, Any]


def _integer(table: dict[str, Any], key: str, source: Path) -> int:
    """The integer ``sweep.KEY``, within the bounds :data:`COUNTS` gives it."""
    count = COUNTS[key]
    value = table.get(key, count.default)
    if value is None:
        raise ScenarioError(source, f"sweep.{key}", "missing; expected an integer")
    if not isinstance(value, int) or isinstance(value, bool) or not count.low <= value <= count.high:
        raise ScenarioError(source, f"sweep.{key}", f"expected an integer in [{count.low:,}, {count.high:,}], got {shown(value)}")
    return value


def _levels(name: str, value: list[Any], source: Path) -> list[Any]:
    if not value:
        raise ScenarioError(source, name, "expected a non-empty list of values")
    levels = [anchored(name, check_value(name, v, source), source.parent) for v in value]
    if len(set(levels)) != len(levels):
        raise ScenarioError(source, name, f"expected distinct values, got {shown(value)}")
    missing = [level for level in levels if _names_no_file(name, level)]
    if missing:  # every run of that level would fail: one line now, not a table of failed rows
        raise ScenarioError(source, name, f"file not found: {missing[0]}")
    return levels


def _names_no_file(name: str, level: Any) -> bool:
    """Whether ``level`` of parameter ``name`` names a file (an absolute path, as anchored) that is not there."""
    param = known_param(name)
    return param is not None and param.is_path and isinstance(level, str) and bool(level) and not Path(level).is_file()


def _range(name: str, value: dict[str, Any], source: Path) -> Range:
    param = param_of(name, source)
    if param.kind not in (int, float):
        raise ScenarioError(
            source, name, f"a range needs a numeric parameter; give a list of levels, e.g. {list(param.choices or [])}"
        )
    if set(value) != {"low", "high"}:
        raise ScenarioError(source, name, f"expected a range {{ low = …, high = … }}, got keys {shown(sorted(value))}")
    low, high = check_value(name, value["low"], source), check_value(name, value["high"], source)
    if not low < high:
        raise ScenarioError(source, name, f"expected low < high, got low = {shown(low)}, high = {shown(high)}")
    return Range(low, high)


def _swept(name: str, value: Any, source: Path) -> list[Any] | Range:
    """The levels or range of swept parameter ``name``."""
    param_of(name, source)  # a known parameter or platform field
    if name == SEEDED_BY_SWEEP:
        raise ScenarioError(source, name, "set for each replicate from sweep.seed; use sweep.replications for more seeds")
    if isinstance(value, list):
        return _levels(name, value, source)
    if isinstance(value, dict):
        return _range(name, value, source)
    raise ScenarioError(source, name, f"expected a list of values or a {{ low, high }} range, got {shown(value)}")


def _parameters(table: Any, source: Path, errors: ErrorList) -> dict[str, list[Any] | Range] | None:
    """The swept parameters, or None when any is invalid (its errors go to ``errors``)."""
    if not isinstance(table, dict) or not table:
        errors.add(ScenarioError(source, "sweep.parameters", "expected a table of swept parameters by dotted name"))
        return None
    found = len(errors.errors)
    parameters: dict[str, list[Any] | Range] = {}
    for name, value in table.items():
        with errors.gather():
            parameters[name] = _swept(name, value, source)
    return parameters if len(errors.errors) == found else None


def _fixed(table: Any, swept: set[str], source: Path, errors: ErrorList) -> dict[str, Any]:
    """The checked values of ``[sweep.fixed]``; its errors go to ``errors``."""
    if not isinstance(table, dict):
        errors.add(ScenarioError(source, "sweep.fixed", "expected a table of parameter values by dotted name"))
        return {}
    fixed: dict[str, Any] = {}
    for name, value in table.items():
        if name in swept or name == SEEDED_BY_SWEEP:
            errors.add(ScenarioError(source, f"sweep.fixed.{name}", "is swept or seeded by the sweep; it cannot also be fixed"))
            continue
        with errors.gather():
            fixed[name] = anchored(name, check_value(name, value, source), source.parent)
    return fixed


def _check_design(design: str, samples: int | None, parameters: dict[str, list[Any] | Range], source: Path) -> None:
    ranges = [name for name, value in parameters.items() if isinstance(value, Range)]
    if design == "grid" and ranges:
        raise ScenarioError(source, ranges[0], "a grid takes lists of values; a { low, high } range needs lhs, sobol or random")
    if design == "grid" and samples is not None:
        raise ScenarioError(source, "sweep.samples", "only lhs, sobol and random draw samples; a grid runs every combination")
    if design in SAMPLED_DESIGNS and not ranges:
        raise ScenarioError(
            source,
            "sweep.design",
            f"'{design}' samples {{ low, high }} ranges and none is given; use design = \"grid\" for lists only",
        )


def _base(value: Any, source: Path) -> Scenario:
    if not isinstance(value, str) or not value or not path_is_well_formed(value):
        raise ScenarioError(source, "sweep.base", f"expected a shipped scenario's name or a path, got {shown(value)}")
    beside = source.parent / value
    path = beside if beside.is_file() else resolve_scenario_path(value)
    if not path.is_file():
        raise ScenarioError(
            source,
            "sweep.base",
            f"no such scenario {shown(value)} (a path relative to the sweep file, or a shipped scenario's name)",
        )
    if "sweep" in read_toml(path):  # read as a scenario, its [sweep] keys would be refused one by one
        raise ScenarioError(source, "sweep.base", f"expected a scenario, got the sweep file {shown(value)}")
    return load_scenario(path)


def _sweep_table(doc: dict[str, Any], source: Path, errors: ErrorList) -> dict[str, Any]:
    """The ``[sweep]`` table; errors of the document around it and of its keys go to ``errors``."""
    for key in sorted(set(doc) - {"sweep", DESCRIPTION_KEY}):
        errors.add(ScenarioError(source, key, "a sweep file holds only a [sweep] table (and a description)"))
    description = doc.get(DESCRIPTION_KEY, "")
    if not isinstance(description, str):
        errors.add(ScenarioError(source, DESCRIPTION_KEY, f"expected a string, got {shown(description)}"))
    table = doc.get("sweep")
    if not isinstance(table, dict):
        errors.add(ScenarioError(source, "sweep", "expected a [sweep] table"))
        errors.raise_any()  # raises: nothing else can be checked without the table
    for key in table:
        if key not in SWEEP_KEYS:
            errors.add(ScenarioError(source, f"sweep.{key}", f"unknown key{did_you_mean(key, SWEEP_KEYS)}"))
    return table


def parse_sweep(doc: dict[str, Any], source: Path) -> SweepSpec:
    """Validate a parsed sweep file, its planned number of runs included (counted, not drawn).

    Raises:
        ScenarioError: any key or value is missing, unknown or invalid (:class:`ScenarioErrors`
            when several are), or the sweep plans more runs than ``sweep.max_runs``.
    """
    errors = ErrorList()
    table = _sweep_table(doc, source, errors)
    design = table.get("design")
    if design not in DESIGNS:
        errors.add(ScenarioError(source, "sweep.design", f"expected one of {'|'.join(DESIGNS)}, got {shown(design)}"))
    parameters = _parameters(table.get("parameters"), source, errors)
    swept = set(table["parameters"]) if isinstance(table.get("parameters"), dict) else set()
    fixed = _fixed(table.get("fixed", {}), swept, source, errors)
    if design in DESIGNS and parameters is not None:
        with errors.gather():
            _check_design(design, table.get("samples"), parameters, source)
    counts = {"samples": 0}
    for key in COUNTS:
        if key != "samples" or design in SAMPLED_DESIGNS:
            with errors.gather():
                counts[key] = _integer(table, key, source)
    if design == "sobol" and counts["samples"] & (counts["samples"] - 1):
        errors.add(ScenarioError(source, "sweep.samples", f"Sobol sampling needs a power of 2, got {counts['samples']}"))
    base = None
    with errors.gather():
        base = _base(table.get("base"), source).with_overrides(fixed, str(source))
    errors.raise_any()
    spec = SweepSpec(source, base, design, counts["samples"], counts["replications"], counts["seed"], parameters)
    if spec.planned_runs > counts["max_runs"]:
        raise ScenarioError(
            source,
            "sweep.max_runs",
            f"the sweep plans {spec.planned_runs:,} runs, more than sweep.max_runs = "
            f"{counts['max_runs']:,}; plan fewer, or raise sweep.max_runs (at most {MAX_RUNS_CEILING:,})",
        )
    return spec


def load_sweep(name_or_path: str | Path) -> SweepSpec:
    """Load and validate a sweep file (a path, or the name of a shipped ``sweep_*`` file).

    Raises:
        ScenarioError: the file is missing, not TOML, or not a valid sweep.
    """
    path = resolve_scenario_path(str(name_or_path))
    if not path.is_file():
        raise ScenarioError(path, "file", "no such sweep file")
    return parse_sweep(read_toml(path), path)


def _from_unit(spec: Range | list[Any], kind: type, u: np.ndarray) -> list[Any]:
    """Map unit-cube coordinates ``u`` in [0, 1) to a parameter's values."""
    if isinstance(spec, Range):
        if kind is int:
            width = int(spec.high) - int(spec.low) + 1
            return [int(spec.low) + min(int(x * width), width - 1) for x in u]
        return [float(spec.low + x * (spec.high - spec.low)) for x in u]
    return [spec[min(int(x * len(spec)), len(spec) - 1)] for x in u]


def unit_problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem of a sampled sweep: its parameters over the unit cube its points are drawn in."""
    return {"num_vars": len(spec.parameters), "names": list(spec.parameters), "bounds": [[0.0, 1.0]] * len(spec.parameters)}


def design_rng(spec: SweepSpec) -> np.random.Generator:
    """The generator of the design's own draws (points, bootstrap resamples), apart from every run's seed."""
    return np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=DESIGN_STREAM))


def unit_samples(spec: SweepSpec) -> np.ndarray:
    """The sampled design's points in the unit cube, shape (points, swept parameters)."""
    d = len(spec.parameters)
    rng = design_rng(spec)
    if spec.design == "random":
        return rng.random((spec.samples, d))
    from SALib.sample import latin, sobol  # here: SALib loads pandas and scipy.stats, dear in every sweep worker

    if spec.design == "lhs":
        return latin.sample(unit_problem(spec), spec.samples, seed=rng)
    return sobol.sample(unit_problem(spec), spec.samples, calc_second_order=False, seed=rng)


def design_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every point of the design, in order: swept parameter values by dotted name."""
    names = list(spec.parameters)
    if spec.design == "grid":
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*spec.parameters.values())]
    unit = unit_samples(spec)
    columns = [_from_unit(spec.parameters[n], param_of(n, spec.path).kind, unit[:, j]) for j, n in enumerate(names)]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def run_seed(sweep_seed: int, replicate: int) -> int:
    """The run seed of replicate ``replicate`` at every point: common random numbers across the design."""
    words = np.random.SeedSequence(sweep_seed, spawn_key=(RUN_STREAM, replicate)).generate_state(1, np.uint64)
    return int(words[0]) & MAX_RUN_SEED


def _check_point(spec: SweepSpec, point: int, values: dict[str, Any]) -> None:
    """Refuse a point whose values the base scenario cannot take together (a bbox without a CRS, say): no run could start."""
    try:
        spec.base.with_overrides(values, str(spec.path))
    except ScenarioError as err:
        raise ScenarioError(spec.path, err.field_name, f"{err.expected} (at point {point}: {shown(values)})") from None


def preflight_base(spec: SweepSpec) -> None:
    """Refuse a base scenario (its ``[sweep.fixed]`` values applied) that no run could start from.

    The checks a model makes at construction (:func:`sim.world_cache.preflight_all`). A field the
    sweep varies is left to the points: a point its model refuses is a failed run, as in EMA Workbench.

    Raises:
        ScenarioError: what the base scenario's model would refuse, in a field the sweep does not vary.
    """
    try:
        preflight_all([spec.base])
    except ScenarioError as err:
        if not any(error.field_name in spec.parameters for error in err.errors):
            raise


def plan_runs(spec: SweepSpec) -> list[Run]:
    """Every run of the sweep, ordered by (point, replicate).

    Raises:
        ScenarioError: a point's values do not make a valid scenario with the base's (checked here, before any run).
    """
    points = design_points(spec)
    for point, values in enumerate(points):
        _check_point(spec, point, values)
    width_p, width_r = len(str(len(points) - 1)), len(str(spec.replications - 1))
    return [Run(f"p{p:0{width_p}d}-r{r:0{width_r}d}", p, r, run_seed(spec.seed, r), values)
            for p, values in enumerate(points) for r in range(spec.replications)]
