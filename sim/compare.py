"""Replicated comparisons of scenarios (``skywatch compare``): means, intervals, paired differences, cost-effectiveness.

The runs are read from run folders, grouped by scenario (the resolved ``scenario.toml`` without
its run seed identifies one), or run here: replicate r of every scenario gets the same run seed
(common random numbers), derived from the comparison seed as a sweep derives its run seeds. Per
outcome and scenario the table holds the mean over the runs and its 95 % interval; the difference
from the first scenario (the reference) with a paired interval over the seeds both ran; and per
scenario the incremental cost-effectiveness ratio against the reference (extra cost per extra
seizure and per extra unit of value seized) with Fieller's interval, or a statement that the
scenario adds none. Totals are divided by the run's length in days when the lengths differ.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table

from sim import __version__
from sim.intervals import CONFIDENCE, Interval, mean_interval, paired_difference, ratio_interval
from sim.outcomes import BY_NAME, LARGE, MAX_OUTCOME, OUTCOMES, format_value
from sim.outfolder import open_regular, staged_folder
from sim.scenario import Scenario, ScenarioError, load_scenario, shipped_scenarios, shown
from sim.sweep.design import SEEDED_BY_SWEEP, Run, run_seed
from sim.sweep.engine import Task
from sim.sweep.job import Engine
from sim.sweep.results import IDENTITY, STATUS, outcomes
from sim.units import HOURS_PER_DAY

SUMMARY = "summary.json"
SCENARIO_FILE = "scenario.toml"
NOT_A_RUN = "expected a run folder written by skywatch run"
WORLD_SEED = "world.seed"
COST = "total_cost"  # the cost of every lever, the numerator of the cost-effectiveness ratios
FALLBACK_COST = "surveillance_cost"  # used when some run's summary has no COST
COST_UNIT = "currency"
SEIZURES = "shipments_seized"
VALUE_SEIZED = "value_seized"
# Outcomes compared, in the registry's order (labels such as the seed identify a run, they do not measure it).
COMPARED: tuple[str, ...] = tuple(
    o.name for o in OUTCOMES if o.compared and o.where != "metrics" and o.aggregation != "label"
)
# Amounts accumulated over a run, compared per day when run lengths differ; the cost is one too.
TOTALS = frozenset({o.name for o in OUTCOMES if o.aggregation == "total"} | {COST})
FORMATS = ("csv", "parquet")
TABLE_STEM, REPLICATES_STEM, FIGURE = "comparison", "replicates", "comparison.png"
COMPARISONS_DIR = Path("comparisons")
MAX_FOLDER_NAME = 100  # characters of a default folder name before the others are only counted
FOLDER_SEED_SUFFIX = re.compile(r"-seed\d+$")  # `skywatch run` names its folders SCENARIO-seedR or SCENARIO-worldW-seedR
UNSAFE_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]+")
LISTED_SEEDS = 6  # a caption lists at most this many seeds of a scenario
SUFFIXES = ((3, "k"), (6, "M"), (9, "G"), (12, "T"))  # powers of ten named in numbers at a glance
ROUNDING = 1e-9  # a half-width below this share of its estimate is floating-point rounding, shown as 0


@dataclass(frozen=True)
class Ratio:
    """An incremental cost-effectiveness ratio: extra cost per extra unit of a gain.

    Attributes:
        name: its name in the table's ``outcome`` column.
        gain: the outcome gained (below the cost).
        per: one unit of the gain, in words.
        none: the gain in words, where the scenario adds none.
    """

    name: str
    gain: str
    per: str
    none: str


RATIOS = (Ratio("icer_per_extra_seizure", SEIZURES, "seizure", "seizures"),
          Ratio("icer_per_extra_value_seized", VALUE_SEIZED, "unit of value seized", "value seized"))
MEAN_KEYS = ("mean", "ci_low", "ci_high", "n")  # a table row's estimate, bounds and count
DIFFERENCE_KEYS = ("diff", "diff_ci_low", "diff_ci_high", "n_pairs")


@dataclass(frozen=True)
class Group:
    """The runs of one scenario.

    Attributes:
        label: the scenario's name in tables and figures.
        digest: SHA-256 of the resolved scenario without its run seed (:func:`scenario_digest`).
        days: the length of each run, days.
        world_seed: the seed of the world every run of the scenario shares.
        versions: the Skywatch version(s) that made the runs.
        runs: one row per run, indexed by its seed: every scalar outcome (NaN where missing).
        failed: one line per run that raised instead of finishing.
    """

    label: str
    digest: str
    days: float
    world_seed: int
    versions: str
    runs: pd.DataFrame
    failed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """A comparison of groups of runs against the first (the reference).

    Attributes:
        groups: the scenarios, the reference first.
        table: one row per (outcome, scenario), then one per (ratio, scenario) (:func:`compare`).
        ratios: one line per scenario but the reference: its cost-effectiveness ratios or why there are none.
        notes: what a reader must know to read the table (per-day totals, the cost used, failed runs...).
        cost: the outcome taken as the cost.
        per_day: whether totals are per day.
        seed: the comparison seed (the run seeds derive from it when it ran them).
        replicated: whether the runs were made by the comparison (else read from folders).
    """

    groups: list[Group]
    table: pd.DataFrame
    ratios: list[str]
    notes: list[str]
    cost: str
    per_day: bool
    seed: int
    replicated: bool

    @property
    def reference(self) -> Group:
        """The first scenario, which the others are compared with."""
        return self.groups[0]


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario with its run seed left out: runs with the same digest replicate one scenario."""
    values = {name: value for name, value in scenario.values.items() if name != SEEDED_BY_SWEEP}
    return Scenario(values, scenario.source, scenario.description).sha256()


def unique_labels(labels: list[str], digests: list[str]) -> list[str]:
    """``labels`` with a short digest appended to each one that two different scenarios share."""
    return [f"{label}#{digest[:6]}" if labels.count(label) > 1 else label for label, digest in zip(labels, digests, strict=True)]


def _missing_folder(path: Path) -> ScenarioError:
    hint = ""
    if path.name in shipped_scenarios():
        hint = f" ({path.name} is a shipped scenario: pass --replications N to run the scenarios named)"
    return ScenarioError(path, "DIR", f"no such run folder{hint}")


def _read_run(path: Path) -> tuple[Scenario, str, dict[str, float | int | None]]:
    """A run folder's resolved scenario, the version that made it, and its summary's scalar outcomes.

    Raises:
        ScenarioError: no run folder, a summary that is not a JSON object (or nests too deep for
            its outcomes to be read), or an outcome too large for a float.
    """
    if not os.path.lexists(path):
        raise _missing_folder(path)
    if not path.is_dir():
        raise ScenarioError(path, "DIR", f"{NOT_A_RUN}, found a file")
    try:
        with open_regular(path / SUMMARY, SUMMARY) as file:
            summary = json.loads(file.read())
        measured = outcomes(summary) if isinstance(summary, dict) else None
        non_finite = _first_field(summary, _non_finite) if measured is not None else None
    except RecursionError:
        raise ScenarioError(path, SUMMARY, f"{NOT_A_RUN}, found JSON nested too deep") from None
    except (OSError, ValueError) as err:  # ValueError: bad JSON, undecodable text
        raise ScenarioError(path, SUMMARY, NOT_A_RUN) from err
    if measured is None:
        raise ScenarioError(path, SUMMARY, NOT_A_RUN)
    if not measured:  # a run with no outcome at all would silently drop out of the comparison
        raise ScenarioError(path / SUMMARY, "outcomes", f"expected a run's outcomes (numbers), got {shown(summary)}")
    mistyped = _first_field(summary, _not_a_number)
    if mistyped is not None:  # one so written would be left out of the comparison without a word
        raise ScenarioError(path / SUMMARY, mistyped[0], f"expected a number or null, got {shown(mistyped[1])}")
    if non_finite is not None:  # skywatch run writes strict JSON: null, never NaN or infinity
        raise ScenarioError(path / SUMMARY, non_finite[0], f"expected a finite number or null, got {shown(non_finite[1])}")
    for name, value in measured.items():  # means, variances and axes of larger ones overflow to infinity
        if value is not None and not -MAX_OUTCOME <= value <= MAX_OUTCOME:
            raise ScenarioError(path / SUMMARY, name, f"expected a number of magnitude at most {MAX_OUTCOME:g}, "
                                f"got {shown(value)}")
    if not (path / SCENARIO_FILE).is_file():
        raise ScenarioError(path, SCENARIO_FILE, NOT_A_RUN)
    return load_scenario(path / SCENARIO_FILE), str(summary.get("version", "unknown")), measured


TEXT_FIELDS = frozenset({"version", "scenario_sha256"})  # the only text a run's summary.json holds


def _first_field(summary: dict[str, Any], wrong: Callable[[str, Any], bool], prefix: str = "") -> tuple[str, Any] | None:
    """The first field of ``summary`` (mappings as ``key.name``) that is ``wrong`` by name and value, and its value."""
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if (found := _first_field(value, wrong, f"{name}.")) is not None:
                return found
        elif wrong(name, value):
            return name, value
    return None


def _non_finite(_name: str, value: Any) -> bool:
    """NaN or infinity (skywatch run writes null, never these)."""
    return isinstance(value, float) and not math.isfinite(value)


def _not_a_number(name: str, value: Any) -> bool:
    """Neither a number, null nor one of the summary's text fields."""
    return not (value is None or (isinstance(value, int | float) and not isinstance(value, bool)) or name in TEXT_FIELDS)


def run_days(scenario: Scenario) -> float:
    """The length of a run of ``scenario``, days."""
    run = scenario.params.run
    return run.steps * run.step_hours / HOURS_PER_DAY


def _frame(seeds: list[int], measured: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per run, indexed by seed, every outcome as a float (NaN where null or missing)."""
    return pd.DataFrame(measured, index=pd.Index(seeds, name="seed", dtype="int64"), dtype=float)


def read_groups(paths: list[Path]) -> list[Group]:
    """Read run folders and group them by scenario, in the order the scenarios first appear.

    A group is named after its first folder, less a trailing ``-seedR`` (how ``skywatch run`` names
    its folders; a ``-worldW`` before it stays); a short digest tells apart different scenarios that
    would share a name.

    Raises:
        ScenarioError: a folder that does not exist or is not a run folder, or two runs of one
            scenario with the same seed.
    """
    found: dict[str, list[tuple[Path, int, str, dict[str, Any]]]] = {}
    first_outcomes: list[tuple[Path, set[str]]] = []
    scenarios: dict[str, Scenario] = {}
    for path in map(Path, paths):
        scenario, version, measured = _read_run(path)
        _check_same_outcomes(path, measured, first_outcomes)
        digest = scenario_digest(scenario)
        scenarios.setdefault(digest, scenario)
        runs = found.setdefault(digest, [])
        seed = scenario[SEEDED_BY_SWEEP]
        twin = next((other for other, other_seed, _, _ in runs if other_seed == seed), None)
        if twin is not None:
            raise ScenarioError(path, SEEDED_BY_SWEEP, f"the same scenario and seed as {twin}: each run counts once")
        runs.append((path, seed, version, measured))
    digests = list(found)
    labels = unique_labels([FOLDER_SEED_SUFFIX.sub("", found[d][0][0].resolve().name) for d in digests], digests)
    groups = []
    for label, digest in zip(labels, digests, strict=True):
        _, seeds, versions, measured_runs = zip(*found[digest], strict=True)
        scenario = scenarios[digest]
        groups.append(Group(label, digest, run_days(scenario), scenario[WORLD_SEED], ",".join(sorted(set(versions))),
                            _frame(list(seeds), list(measured_runs))))
    return groups


def _check_same_outcomes(path: Path, measured: dict[str, Any], first: list[tuple[Path, set[str]]]) -> None:
    """The run at ``path`` holds the registered outcomes the first run read holds, no more and no fewer.

    A run lacking one would be compared over the others alone, or not paired at all. An outcome that is a
    mapping counts by its name alone (``crossing_arrivals``, whatever ports it holds), so scenarios with other
    ports or platforms compare. ``first`` is empty before the first run and gets that run's outcomes; every
    run read after it was checked against it, so it stands for them all.

    Raises:
        ScenarioError: naming the first run that lacks an outcome another run has.
    """
    names = {name.split(".", 1)[0] for name in measured} & REGISTERED
    if not first:
        first.append((path, names))
        return
    first_path, first_names = first[0]
    for lacks, missing in ((path, first_names - names), (first_path, names - first_names)):
        if missing:
            raise ScenarioError(lacks / SUMMARY, min(missing), "expected every outcome the other runs compared hold "
                                "(null where it has no value); it is missing")


REGISTERED = frozenset(o.name for o in OUTCOMES)  # the outcomes a run's summary may hold


def name_scenarios(arguments: list[tuple[str, Scenario]]) -> dict[str, Scenario]:
    """Scenarios by label: each argument's file stem (a shipped scenario's name), with a short digest where two share one.

    Raises:
        ScenarioError: two arguments name the same scenario.
    """
    digests = [scenario_digest(scenario) for _, scenario in arguments]
    for k, digest in enumerate(digests):
        if digest in digests[:k]:
            first = arguments[digests.index(digest)][0]
            raise ScenarioError(arguments[k][0], "scenario", f"the same scenario as {first}: name each scenario once")
    labels = unique_labels([Path(argument).stem for argument, _ in arguments], digests)
    return dict(zip(labels, (scenario for _, scenario in arguments), strict=True))


def replicate_seeds(seed: int, replications: int) -> list[int]:
    """Run seeds of replicates 0, 1, ...: a sweep's run seeds, the same for every scenario (common random numbers)."""
    return [run_seed(seed, replicate) for replicate in range(replications)]


def run_folder_name(label: str, replicate: int) -> str:
    """The name of replicate ``replicate``'s run (its folder under ``keep_dir`` in :func:`run_groups`)."""
    return f"{label}-r{replicate}"


def run_groups(scenarios: dict[str, Scenario], seeds: list[int], engine: Engine,
               on_row: Callable[[dict[str, Any]], None] | None = None, keep_dir: Path | None = None) -> list[Group]:
    """Run every scenario (by label) once per seed on ``engine``; return the groups in the order given.

    A run that raises is left out of its group and recorded in :attr:`Group.failed`. With
    ``keep_dir``, every finished run's folder is kept there, named by :func:`run_folder_name`.
    """
    labels = list(scenarios)
    tasks = [Task(Run(run_folder_name(label, r), k, r, seed, {}), scenarios[label], keep_dir)
             for k, label in enumerate(labels) for r, seed in enumerate(seeds)]
    rows: list[dict[str, Any]] = []
    for row in engine(tasks):
        rows.append(row)
        if on_row is not None:
            on_row(row)
    rows.sort(key=lambda row: (row["point"], row["replicate"]))
    groups = []
    for k, label in enumerate(labels):
        done = [row for row in rows if row["point"] == k and row["status"] == "ok"]
        failed = tuple(f"{row['run_id']} (seed {row['seed']}): {row['error']}" for row in rows
                       if row["point"] == k and row["status"] != "ok")
        measured = [{key: value for key, value in row.items() if key not in (*IDENTITY, *STATUS)} for row in done]
        scenario = scenarios[label]
        groups.append(Group(label, scenario_digest(scenario), run_days(scenario), scenario[WORLD_SEED], __version__,
                            _frame([row["seed"] for row in done], measured), failed))
    return groups


def _is_total(column: str) -> bool:
    """Whether the outcome ``column`` (``name`` or ``name.part``) is a total over the run."""
    return column.split(".", 1)[0] in TOTALS


def _unit(column: str, per_day: bool) -> str:
    base = column.split(".", 1)[0]
    unit = BY_NAME[base].unit if base in BY_NAME else COST_UNIT
    return f"{unit}/day" if per_day and _is_total(column) else unit


def _values(group: Group, column: str, per_day: bool) -> pd.Series:
    """The outcome ``column`` of each run of ``group`` (by seed): per day when ``per_day`` and it is a total."""
    if column not in group.runs:
        return pd.Series(math.nan, index=group.runs.index)
    values = group.runs[column]
    return values / group.days if per_day and _is_total(column) else values


def _paired(values: pd.Series, reference: pd.Series) -> Interval:
    """The paired difference of ``values`` from ``reference`` over the seeds both have."""
    common = reference.index.intersection(values.index, sort=False)
    return paired_difference(values.loc[common].to_numpy(), reference.loc[common].to_numpy())


def _columns(groups: list[Group], cost: str) -> list[str]:
    """Outcome columns some run has, in the registry's order (a mapping's parts as ``name.part``), the cost included."""
    present = list(dict.fromkeys(column for group in groups for column in group.runs.columns))
    names = (*COMPARED, cost) if cost not in COMPARED else COMPARED
    return [column for name in names for column in present if column == name or column.startswith(f"{name}.")]


def _cost(groups: list[Group]) -> tuple[str, str]:
    """The cost outcome every run has (:data:`COST`, else :data:`FALLBACK_COST`) and a note when it is the fallback."""
    lacking = [group.label for group in groups if COST not in group.runs or group.runs[COST].isna().any()]
    if not lacking:
        return COST, ""
    return FALLBACK_COST, f"cost is {FALLBACK_COST} (drone and ground hours only): runs of {', '.join(lacking)} have no {COST}"


def _number(value: float, signed: bool = False) -> str:
    """A number to read at a glance: four significant digits, large ones with k, M, G or T (14.14M).

    ``—`` when missing, ``∞`` when unbounded, ``+`` on positive differences when ``signed``.
    """
    if math.isnan(value):
        return "—"
    sign = "+" if signed and value > 0 else ""
    if math.isinf(value):
        return f"{sign}∞" if value > 0 else "-∞"
    for power, suffix in reversed(SUFFIXES):
        if abs(value) >= max(10.0**power, LARGE):
            return f"{sign}{value / 10.0**power:.4g}{suffix}"
    return sign + format_value(float(value))


def plus_minus(interval: Interval, signed: bool = False) -> str:
    """``estimate ± half-width`` of a symmetric interval, or the estimate alone when there is no interval."""
    if math.isnan(interval.low):
        return _number(interval.estimate, signed)
    half = interval.half_width if interval.half_width > ROUNDING * abs(interval.estimate) else 0.0
    return f"{_number(interval.estimate, signed)} ± {_number(half)}"


def describe(interval: Interval, signed: bool = False) -> str:
    """``estimate [low, high]``, or the estimate and its count when there is no interval."""
    if math.isnan(interval.low):
        return f"{_number(interval.estimate, signed)} (n = {interval.n})"
    return f"{_number(interval.estimate, signed)} [{_number(interval.low, signed)}, {_number(interval.high, signed)}]"


def _provenance(group: Group, seed: int) -> dict[str, Any]:
    return {"version": group.versions, "scenario_sha256": group.digest, "world_seed": group.world_seed,
            "comparison_seed": seed, "seeds": " ".join(map(str, group.runs.index))}


def _row(outcome: str, unit: str, per_day: bool, group: Group, estimate: Interval, difference: Interval | None,
         note: str, seed: int) -> dict[str, Any]:
    nothing = Interval(math.nan, math.nan, math.nan, 0)
    difference = difference or nothing
    return {"outcome": outcome, "unit": unit, "per_day": per_day, "scenario": group.label, "n": estimate.n,
            "mean": estimate.estimate, "ci_low": estimate.low, "ci_high": estimate.high, "diff": difference.estimate,
            "diff_ci_low": difference.low, "diff_ci_high": difference.high, "n_pairs": difference.n, "note": note,
            **_provenance(group, seed)}


def _ratio_rows(group: Group, reference: Group, cost: str, cost_note: str, per_day: bool,
                seed: int) -> tuple[list[dict[str, Any]], str]:
    """The cost-effectiveness rows of ``group`` against ``reference`` (``cost_note`` in their notes), and its console line."""
    rows, parts = [], []
    extra_cost = _values(group, cost, per_day) - _values(reference, cost, per_day)  # aligned on common seeds
    for spec in RATIOS:
        gain = _values(group, spec.gain, per_day) - _values(reference, spec.gain, per_day)
        extra = mean_interval(gain.to_numpy())
        if math.isnan(extra.estimate):
            ratio = Interval(math.nan, math.nan, math.nan, 0)
            note = f"cannot pair: no seed ran in both {group.label} and {reference.label}"
            parts.append(note)
        elif not extra.estimate > 0:
            ratio = Interval(math.nan, math.nan, math.nan, extra.n)
            note = f"adds no {spec.none}: Δ {spec.gain} = {describe(extra, signed=True)}"
            parts.append(note)
        else:
            ratio = ratio_interval(extra_cost.to_numpy(), gain.to_numpy())
            note = f"Δ {spec.gain} = {describe(extra, signed=True)} reaches 0: no upper bound" if math.isinf(ratio.high) else ""
            parts.append(f"{describe(ratio)} per extra {spec.per}")
        note = "; ".join(part for part in (note, cost_note) if part)
        rows.append(_row(spec.name, f"{COST_UNIT} per {spec.per}", False, group, ratio, None, note, seed))
    return rows, f"{group.label} vs {reference.label}: " + "; ".join(parts)


def compare(groups: list[Group], seed: int, replicated: bool) -> Comparison:
    """Compare ``groups`` with the first: means, intervals, paired differences and cost-effectiveness ratios.

    Args:
        groups: the scenarios' runs, the reference first.
        seed: the comparison seed (the run seeds derive from it when it ran them), recorded with every row.
        replicated: whether the comparison ran the runs itself.

    Raises:
        ScenarioError: every run of a scenario failed, or no run has any outcome to compare.
    """
    reference = groups[0]
    per_day = len({group.days for group in groups}) > 1
    cost, cost_note = _cost(groups)
    notes = [cost_note] if cost_note else []
    if per_day:
        lengths = ", ".join(f"{group.label} {group.days:g}" for group in groups)
        notes.append(f"totals are per day: the runs' lengths differ (days: {lengths})")
    for group in groups:
        if group.failed and group.runs.empty:
            raise ScenarioError(group.label, "runs", f"expected some run to finish; all {len(group.failed)} failed, "
                                f"first: {group.failed[0]}")
        if group.failed:
            notes.append(f"{group.label}: {len(group.failed)} run(s) failed and are left out; first: {group.failed[0]}")
        if len(group.runs) < 2:
            notes.append(f"{group.label}: {len(group.runs)} run(s): no interval")
        pairs = len(reference.runs.index.intersection(group.runs.index))
        if group is not reference and pairs < max(len(group.runs), len(reference.runs)):
            notes.append(f"{group.label}: paired with {reference.label} over the {pairs} seed(s) both ran")
    columns = _columns(groups, cost)
    if not columns:
        raise ScenarioError(reference.label, "outcomes",
                            "expected runs with outcomes to compare; none has any (or every run failed)")
    rows = []
    for column in columns:
        base_values = _values(reference, column, per_day)
        for group in groups:
            values = _values(group, column, per_day)
            difference = None if group is reference else _paired(values, base_values)
            rows.append(_row(column, _unit(column, per_day), per_day and _is_total(column), group,
                             mean_interval(values.to_numpy()), difference, cost_note if column == cost else "", seed))
    ratios = []
    for group in groups[1:]:
        ratio_rows, line = _ratio_rows(group, reference, cost, cost_note, per_day, seed)
        rows.extend(ratio_rows)
        ratios.append(line)
    return Comparison(groups, pd.DataFrame(rows), ratios, notes, cost, per_day, seed, replicated)


def _sections(comparison: Comparison) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(outcome, its rows) for every compared outcome, ratios left out."""
    table = comparison.table
    shown = table[~table["outcome"].isin([spec.name for spec in RATIOS])]
    for outcome, part in shown.groupby("outcome", sort=False):
        yield str(outcome), part.to_dict("records")


def row_interval(row: dict[str, Any], keys: tuple[str, str, str, str]) -> Interval:
    """The interval a table row holds under ``keys`` (:data:`MEAN_KEYS` or :data:`DIFFERENCE_KEYS`)."""
    estimate, low, high, n = (row[key] for key in keys)
    return Interval(estimate, low, high, int(n))


def console_table(comparison: Comparison) -> Table:
    """Per outcome, each scenario's mean ± its interval and its difference from the reference ± the paired interval.

    The intervals of a mean and of a paired difference are symmetric: each is shown as ``±`` half its width.
    """
    reference = comparison.reference.label
    title = (f"Mean over runs ± {CONFIDENCE:.0%} interval; difference from {reference} ± paired {CONFIDENCE:.0%} "
             f"interval{'; totals per day' if comparison.per_day else ''}")
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("outcome", overflow="fold")
    table.add_column("scenario", overflow="fold")
    table.add_column("n", justify="right")
    table.add_column("mean", justify="right")
    table.add_column(f"Δ vs {reference}", justify="right")
    for outcome, rows in _sections(comparison):
        label = f"{outcome} /day" if rows[0]["per_day"] else outcome
        for k, row in enumerate(rows):
            difference = "reference" if row["scenario"] == reference else plus_minus(row_interval(row, DIFFERENCE_KEYS), True)
            table.add_row(label if k == 0 else "", str(row["scenario"]), str(row["n"]), plus_minus(row_interval(row, MEAN_KEYS)),
                          difference, end_section=k == len(rows) - 1)
    return table


def _seeds_text(group: Group) -> str:
    seeds = list(map(str, group.runs.index))
    if len(seeds) <= LISTED_SEEDS:
        return "seeds " + ", ".join(seeds)
    return f"seeds {', '.join(seeds[:LISTED_SEEDS - 1])}, …, {seeds[-1]} ({len(seeds)} runs)"


def provenance_lines(comparison: Comparison) -> list[str]:
    """The comparison's provenance for a caption: version, how runs were seeded, each scenario's digest and seeds."""
    if comparison.replicated:
        runs = len(comparison.reference.runs) + len(comparison.reference.failed)
        seeding = (f"{runs} replications; replicate r has the same run seed in every scenario (common random numbers), "
                   f"derived from comparison seed {comparison.seed}")
    else:
        seeding = "run folders paired by seed"
    scenarios = " · ".join(
        f"{group.label}: sha256 {group.digest[:12]}, world seed {group.world_seed}"
        + ("" if comparison.replicated else f", {_seeds_text(group)}")
        + ("" if group.versions == __version__ else f", run by Skywatch {group.versions}")
        for group in comparison.groups
    )
    return [f"Skywatch {__version__} · {seeding}", scenarios]


def replicates_frame(comparison: Comparison) -> pd.DataFrame:
    """Every run compared, one row each: its scenario, digest and seed, then its outcomes."""
    parts = [group.runs.reset_index().assign(scenario=group.label, scenario_sha256=group.digest, world_seed=group.world_seed,
                                             version=group.versions) for group in comparison.groups]
    frame = pd.concat(parts, ignore_index=True)
    first = ["scenario", "scenario_sha256", "world_seed", "seed", "version"]
    return frame[first + [column for column in frame.columns if column not in first]]


def _save(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def default_folder(labels: list[str]) -> Path:
    """``comparisons/FIRST-vs-SECOND-...`` (``FIRST-vs-N-scenarios`` when that is too long)."""
    safe = [UNSAFE_IN_NAMES.sub("_", label) or "scenario" for label in labels]
    name = safe[0] if len(safe) == 1 else f"{safe[0]}-vs-{'-'.join(safe[1:])}"
    if len(name) > MAX_FOLDER_NAME:
        name = f"{safe[0][:MAX_FOLDER_NAME // 2]}-vs-{len(safe) - 1}-scenarios"
    return COMPARISONS_DIR / name


def write_comparison(comparison: Comparison, out: Path, file_format: str, force: bool,
                     draw: Callable[[Comparison, Path], Path]) -> None:
    """Write the comparison folder, swapped in whole (:func:`sim.outfolder.staged_folder`).

    The folder holds the table (``comparison.csv`` or ``.parquet``), every run compared
    (``replicates.csv`` or ``.parquet``) and the figure ``draw`` makes (``comparison.png``).
    """
    with staged_folder(out, "comparison", force) as staging:
        _save(comparison.table, staging / f"{TABLE_STEM}.{file_format}")
        _save(replicates_frame(comparison), staging / f"{REPLICATES_STEM}.{file_format}")
        draw(comparison, staging / FIGURE)
