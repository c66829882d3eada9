"""``skywatch compare``: replicated comparisons with intervals, paired differences and cost-effectiveness ratios."""

import json
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import __version__
from sim.cli import main
from sim.compare import compare, replicate_seeds, run_groups, scenario_digest
from sim.intervals import CONFIDENCE, mean_interval
from sim.outfolder import folder_kind, write_marker
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.sweep.engine import run_task
from sim.sweep.results import failed_row

CHEAP = {"world.height": 64, "world.width": 64, "run.steps": 96}
SMALL = {"world.height": 80, "world.width": 80, "run.steps": 192}
WEEK, FORTNIGHT = 672, 1344  # steps of 15 min


def in_process(tasks):
    """An engine that runs the tasks one after the other in this process (no pool to start)."""
    return map(run_task, tasks)


def fake_run(folder: Path, seed: int, summary: dict, drones: int = 0, steps: int = WEEK) -> Path:
    """A hand-built run folder: a resolved scenario (``drones`` tells scenarios apart) and the given summary values."""
    folder.mkdir(parents=True)
    scenario = Scenario().with_overrides({"run.seed": seed, "run.steps": steps, "drones.count": drones}, "test")
    (folder / "scenario.toml").write_text(scenario.to_toml())
    (folder / "summary.json").write_text(json.dumps({**summary, "seed": seed, "steps": steps, "version": "test"}))
    write_marker(folder, "run")
    return folder


def rows(table: pd.DataFrame, outcome: str) -> dict[str, pd.Series]:
    """The rows of ``outcome``, by scenario."""
    return {row.scenario: row for row in table[table["outcome"] == outcome].itertuples()}


def half_width(row, prefix: str = "") -> float:
    return (getattr(row, f"{prefix}ci_high") - getattr(row, f"{prefix}ci_low")) / 2


# Known costs, seizures and value seized per seed. policy − reference: extra cost 200, 210, 190, 200 (mean 200); extra
# seizures 5, 4, 6, 5 (mean 5); extra value 500, 300, 700, 600 (mean 525). "idle" costs more and seizes one fewer.
SEEDS = (0, 1, 2, 3)
HAND_BUILT = {
    "reference": (0, {"total_cost": [100, 110, 90, 100], "shipments_seized": [10, 12, 8, 10],
                      "value_seized": [1000, 1200, 800, 1000], "surveillance_cost": [1, 1, 1, 1]}),
    "policy": (24, {"total_cost": [300, 320, 280, 300], "shipments_seized": [15, 16, 14, 15],
                    "value_seized": [1500, 1500, 1500, 1600], "surveillance_cost": [2, 2, 2, 2]}),
    "idle": (48, {"total_cost": [200, 210, 190, 200], "shipments_seized": [9, 11, 7, 9],
                  "value_seized": [900, 1100, 700, 900], "surveillance_cost": [3, 3, 3, 3]}),
}


def hand_built(root: Path, keys: tuple[str, ...] = ("total_cost", "shipments_seized", "value_seized", "surveillance_cost"),
               steps: dict[str, int] | None = None) -> list[Path]:
    """The hand-built run folders ``NAME-seedS`` under ``root``, scenario by scenario."""
    folders = []
    for name, (drones, values) in HAND_BUILT.items():
        for k, seed in enumerate(SEEDS):
            summary = {key: values[key][k] for key in keys}
            folders.append(fake_run(root / f"{name}-seed{seed}", seed, summary, drones, (steps or {}).get(name, WEEK)))
    return folders


def test_intervals_shrink_as_one_over_root_n():
    """The half-width is t(N−1)·s/√N: less the t factor, intervals of 5 runs are about twice as wide as of 20.

    Forty replications make eight comparisons of 5 runs and two of 20 (replicate r's seed does not depend on
    the count, so the first 5 are what ``--replications 5`` runs); their mean widths are compared, outcome by
    outcome. The expected ratio is 2 × c4(5) / c4(20) ≈ 1.9 (s underestimates σ more in small samples).
    """
    assert replicate_seeds(0, 5) == replicate_seeds(0, 40)[:5]
    scenario = load_scenario("baseline").with_overrides(CHEAP, "test")
    runs = run_groups({"baseline": scenario}, replicate_seeds(0, 40), in_process)[0].runs

    def standard_error(values: np.ndarray) -> float:
        interval = mean_interval(values)
        assert interval.n == values.size and interval.half_width > 0
        return interval.half_width / stats.t.ppf(0.5 + CONFIDENCE / 2, values.size - 1)

    ratios = []
    for outcome in ("shipments_launched", "shipments_delivered", "shipments_seized", "value_seized", "tips", "seizure_rate"):
        values = runs[outcome].to_numpy()
        few = np.mean([standard_error(values[k:k + 5]) for k in range(0, 40, 5)])
        many = np.mean([standard_error(values[k:k + 20]) for k in range(0, 40, 20)])
        ratios.append(few / many)
    assert 1.6 < np.median(ratios) < 2.3, ratios


def test_paired_interval_is_narrower_than_the_unpaired_one_on_shipped_scenarios():
    names = ("baseline", "drone_surge", "intel_sharing", "community_programs")
    scenarios = {name: load_scenario(name).with_overrides(SMALL, "test") for name in names}
    groups = run_groups(scenarios, replicate_seeds(0, 8), in_process)
    table = compare(groups, seed=0, replicated=True).table
    for outcome in ("shipments_seized", "shipments_delivered"):
        by_scenario = rows(table, outcome)
        for group in groups[1:]:
            paired = half_width(by_scenario[group.label], "diff_")
            welch = stats.ttest_ind(group.runs[outcome], groups[0].runs[outcome], equal_var=False).confidence_interval(CONFIDENCE)
            assert 0 < paired < (welch.high - welch.low) / 2, (outcome, group.label)


def test_cost_effectiveness_ratio_of_a_hand_built_case(tmp_path, capsys):
    assert main(["compare", *map(str, hand_built(tmp_path / "runs")), "--out", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    per_seizure = rows(table, "icer_per_extra_seizure")["policy"]
    assert per_seizure.mean == pytest.approx(40.0)  # 200 / 5
    # Fieller's bounds: the ratios R at which a paired t test of extra cost − R × extra seizures just fails to reject 0.
    extra_cost, extra_seized = np.array([200.0, 210, 190, 200]), np.array([5.0, 4, 6, 5])
    for bound, sign in ((per_seizure.ci_low, 1), (per_seizure.ci_high, -1)):
        t = stats.ttest_1samp(extra_cost - bound * extra_seized, 0.0).statistic
        assert t == pytest.approx(sign * stats.t.ppf(0.975, 3), rel=1e-6)
    assert per_seizure.ci_low < 40.0 < per_seizure.ci_high
    per_value = rows(table, "icer_per_extra_value_seized")["policy"]
    assert per_value.mean == pytest.approx(200 / 525)
    assert per_value.ci_low < 200 / 525 < per_value.ci_high
    idle = rows(table, "icer_per_extra_seizure")["idle"]
    assert np.isnan(idle.mean) and idle.note.startswith("adds no seizures: Δ shipments_seized = -1")
    assert "policy vs reference: 40 [" in out and "per extra seizure" in out
    assert "idle vs reference: adds no seizures" in out and "cost is surveillance_cost" not in out
    seized = rows(table, "shipments_seized")
    assert list(seized) == ["reference", "policy", "idle"], "grouped by scenario, named by folder less -seedN"
    assert seized["policy"].n == 4 and seized["policy"].diff == pytest.approx(5.0) and seized["policy"].n_pairs == 4
    assert seized["policy"].diff_ci_low < 5.0 < seized["policy"].diff_ci_high
    assert seized["reference"].mean == pytest.approx(10.0)
    assert seized["reference"].ci_high - 10.0 == pytest.approx(stats.t.ppf(0.975, 3) * np.std([10, 12, 8, 10], ddof=1) / 2)


def test_without_total_cost_the_surveillance_cost_is_used_and_said(tmp_path, capsys):
    folders = hand_built(tmp_path / "runs", keys=("shipments_seized", "value_seized", "surveillance_cost"))
    assert main(["compare", *map(str, folders), "--out", str(tmp_path / "cmp")]) == 0
    assert "note: cost is surveillance_cost" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    ratio = rows(table, "icer_per_extra_seizure")["policy"]
    assert ratio.mean == pytest.approx(1 / 5) and "cost is surveillance_cost" in ratio.note
    assert "cost is surveillance_cost" in rows(table, "surveillance_cost")["policy"].note


def test_differences_pair_runs_by_seed_and_leave_out_the_unpaired(tmp_path, capsys):
    folders = [path for path in hand_built(tmp_path / "runs") if path.name != "policy-seed1"]  # policy lacks seed 1
    assert main(["compare", *map(str, folders), "--out", str(tmp_path / "cmp")]) == 0
    assert "note: policy: paired with reference over the 3 seed(s) both ran" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    policy = rows(table, "shipments_seized")["policy"]
    assert policy.n == 3 and policy.n_pairs == 3 and policy.diff == pytest.approx((5 + 6 + 5) / 3)
    assert policy.seeds == "0 2 3"
    assert rows(table, "icer_per_extra_seizure")["policy"].mean == pytest.approx((200 + 190 + 200) / (5 + 6 + 5))


def test_a_failed_run_is_left_out_and_said():
    def first_fails(tasks):
        for task in tasks:
            yield failed_row(task.run, "RuntimeError: boom", 0.0, 0.0) if task.run.replicate == 0 else run_task(task)

    scenarios = {name: load_scenario(name).with_overrides(CHEAP, "test") for name in ("baseline", "drone_surge")}
    groups = run_groups(scenarios, replicate_seeds(0, 3), first_fails)
    assert [len(group.runs) for group in groups] == [2, 2]
    assert list(groups[0].runs.index) == replicate_seeds(0, 3)[1:]
    notes = compare(groups, seed=0, replicated=True).notes
    assert any(note.startswith("baseline: 1 run(s) failed and are left out; first: baseline-r0") and "boom" in note
               for note in notes)


def test_a_scenario_whose_every_run_failed_is_refused_not_compared():
    def surge_fails(tasks):
        for task in tasks:
            failed = task.base["drones.count"] > 0
            yield failed_row(task.run, "RuntimeError: boom", 0.0, 0.0) if failed else run_task(task)

    scenarios = {name: load_scenario(name).with_overrides(CHEAP, "test") for name in ("baseline", "drone_surge")}
    groups = run_groups(scenarios, replicate_seeds(0, 2), surge_fails)
    with pytest.raises(ScenarioError, match=r"drone_surge: runs: expected some run to finish; all 2 failed, first: .*boom"):
        compare(groups, seed=0, replicated=True)


def test_runs_of_different_lengths_are_compared_per_day(tmp_path, capsys):
    folders = hand_built(tmp_path / "runs", steps={"policy": FORTNIGHT})  # the policy runs 14 days, the others 7
    assert main(["compare", *map(str, folders), "--out", str(tmp_path / "cmp")]) == 0
    assert "totals are per day" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    seized = rows(table, "shipments_seized")
    assert seized["reference"].per_day and seized["reference"].unit == "shipments/day"
    assert seized["reference"].mean == pytest.approx(10 / 7) and seized["policy"].mean == pytest.approx(15 / 14)
    assert seized["policy"].diff == pytest.approx(15 / 14 - 10 / 7)
    assert rows(table, "icer_per_extra_seizure")["policy"].note.startswith("adds no seizures")  # 15 in 14 days < 10 in 7


def test_counts_per_km2_of_airspace_are_compared_per_day_like_the_counts(tmp_path):
    """Seizures per authorised km² add up over a run like the seizures: twice as long a run at the same rate is the same
    per day."""
    folders = [fake_run(tmp_path / f"{label}-seed{seed}", seed, {"total_cost": 100.0 * days + seed,
                                                               "shipments_seized": 10 * days + seed,
                                                               "seizures_per_authorised_km2": (10 * days + seed) / 50.0},
                        drones, steps)
               for label, drones, steps, days in (("week", 0, WEEK, 7), ("fortnight", 24, FORTNIGHT, 14)) for seed in SEEDS]
    assert main(["compare", *map(str, folders), "--out", str(tmp_path / "cmp")]) == 0
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    per_km2 = rows(table, "seizures_per_authorised_km2")
    assert per_km2["week"].per_day and per_km2["week"].unit == "1/km²/day"
    assert per_km2["week"].mean == pytest.approx(per_km2["fortnight"].mean, rel=0.02)


def test_a_missing_run_folder_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "runs" / "baseline"), str(tmp_path / "runs" / "drone_surge")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "runs/baseline: DIR: no such run folder" in err[0] and "--replications" in err[0]
    assert main(["compare", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such run folder" in err[0] and "--replications" not in err[0]
    assert not (tmp_path / "comparisons").exists()


@pytest.mark.parametrize("argv, expected", [
    (["--steps", "10"], "compare: --steps: applies only with --replications"),
    (["--replications", "1"], "--replications: 1: expected an integer ≥ 2"),
    (["--replications", "5001"], "expected at most 10,000 runs in all, got 2 scenarios × 5001"),
    (["--format", "xlsx"], "--format: xlsx: expected one of csv, parquet"),
    (["--seed", "-1"], "--seed: -1: expected an integer from 0"),
])
def test_bad_options_are_one_line_and_exit_2(tmp_path, capsys, argv, expected):
    assert main(["compare", "baseline", "drone_surge", *argv, "--out", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]


@pytest.mark.parametrize("command", ["compare", "brief"])
def test_a_scenario_validate_refuses_is_refused_before_any_run(tmp_path, capsys, command):
    bad = tmp_path / "bad.toml"
    bad.write_text("[drones]\nfocus_corridor = 7\n")  # within the schema's bounds; the baseline world has 3 corridors
    assert main(["validate", str(bad)]) == 2
    refused = capsys.readouterr().err
    assert main([command, "baseline", str(bad), "--replications", "2", "--steps", "5", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == refused.strip().splitlines() and len(err) == 1 and "drones.focus_corridor" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_the_same_scenario_twice_or_the_same_run_twice_is_refused(tmp_path, capsys):
    folder = fake_run(tmp_path / "a", 0, {"shipments_seized": 1})
    assert main(["compare", str(folder), str(folder)]) == 2
    assert "run.seed: the same scenario and seed as" in capsys.readouterr().err
    assert main(["compare", "baseline", "baseline", "--replications", "2"]) == 2
    assert "the same scenario as baseline" in capsys.readouterr().err


def test_output_folder_rules(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    folders = [str(path.relative_to(tmp_path)) for path in hand_built(tmp_path / "runs")]
    assert main(["compare", *folders]) == 0
    assert {path.name for path in tmp_path.iterdir()} == {"runs", "comparisons"}, "nothing written into the current folder"
    out = tmp_path / "comparisons" / "reference-vs-policy-idle"
    assert {path.name for path in out.iterdir()} == {".skywatch", "comparison.csv", "replicates.csv", "comparison.png"}
    assert folder_kind(out) == "comparison"
    assert main(["compare", *folders]) == 2
    assert "comparison folder exists; pass --force to replace it" in capsys.readouterr().err
    assert main(["compare", *folders, "--force", "--format", "parquet"]) == 0
    assert {path.name for path in out.iterdir()} == {".skywatch", "comparison.parquet", "replicates.parquet", "comparison.png"}
    for refused, found in ((folders[0], "a Skywatch run folder"), (".", "other than the current one"),
                           ("runs", "no .skywatch marker")):
        capsys.readouterr()
        assert main(["compare", *folders, "--out", refused, "--force"]) == 2
        assert found in capsys.readouterr().err
    assert (tmp_path / folders[0] / "summary.json").is_file(), "a refused folder is left as it was"


def test_replications_run_with_common_seeds_and_carry_provenance(tmp_path, capsys):
    """End to end on the process pool: seeds, digests and version in the table, the replicates and the figure."""
    out = tmp_path / "cmp"
    argv = ["compare", "baseline", "drone_surge", "--replications", "3", "--seed", "7", "--workers", "1", "--out", str(out),
            "--format", "parquet", "--set", "world.height=64", "--set", "world.width=64", "--steps", "48"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "shipments_seized" in captured.out and "drone_surge vs baseline" in captured.out
    table = pd.read_parquet(out / "comparison.parquet")
    seeds = replicate_seeds(7, 3)
    assert set(table["seeds"]) == {" ".join(map(str, seeds))} and set(table["comparison_seed"]) == {7}
    assert set(table["version"]) == {__version__}
    digests = {name: scenario_digest(load_scenario(name).with_overrides(
        {"world.height": 64, "world.width": 64, "run.steps": 48}, "test")) for name in ("baseline", "drone_surge")}
    assert dict(zip(table["scenario"], table["scenario_sha256"], strict=True)) == digests
    replicates = pd.read_parquet(out / "replicates.parquet")
    assert replicates.groupby("scenario")["seed"].apply(list).to_dict() == {"baseline": seeds, "drone_surge": seeds}
    assert (replicates["steps"] == 48).all()
    image = matplotlib.image.imread(out / "comparison.png")
    assert image.shape[0] > 500 and image.shape[1] > 1000 and np.std(image[..., :3]) > 0.05, "the figure is not blank"


def test_no_common_seed_gives_no_verdict_and_dollar_names_are_drawn_as_they_are(tmp_path, capsys):
    """Groups that share no seed cannot be paired: no "adds no seizures" verdict; a ``$`` in a name is not maths."""
    root = tmp_path / "runs"
    reference = [fake_run(root / f"a$x$-seed{seed}", seed, {"total_cost": 100, "shipments_seized": 10, "value_seized": 9})
                 for seed in (1, 2)]
    policy = [fake_run(root / f"b$\\frac$-seed{seed}", seed, {"total_cost": 300, "shipments_seized": 15, "value_seized": 20},
                       drones=24) for seed in (3, 4)]
    assert main(["compare", *map(str, reference + policy), "--out", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "cannot pair: no seed ran in both" in out and "adds no seizures" not in out
    assert (tmp_path / "cmp" / "comparison.png").stat().st_size > 10_000


def test_runs_without_outcomes_are_one_error_line(tmp_path, capsys):
    folders = [fake_run(tmp_path / f"empty-seed{seed}", seed, {}) for seed in (1, 2)]
    assert main(["compare", *map(str, folders), "--out", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "expected runs with outcomes to compare" in err[0]
