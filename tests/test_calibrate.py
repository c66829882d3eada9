import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.config import load_calibration
from sim.calibration.evaluate import MISSING_MISS, ScaledEuclidean, evaluation_seed, run_statistics
from sim.calibration.outputs import WEIGHT, weighted_quantile
from sim.calibration.smc import DATABASE
from sim.cli import main
from sim.kernels.threads import MAX_THREADS, use_threads
from sim.scenario import ScenarioError, load_scenario

SMALL_WORLD = '"world.height" = 64\n"world.width" = 64\n'
TRUTH = {"drones.availability": 0.4, "ground.interdict_prob": 0.5}
PRIORS = """
[calibration.parameters."drones.availability"]
prior = "uniform"
low = 0.05
high = 1.0

[calibration.parameters."ground.interdict_prob"]
prior = "uniform"
low = 0.05
high = 1.0
"""


@pytest.fixture(autouse=True)
def default_threads():
    yield
    use_threads(MAX_THREADS)  # the local sampler sets this process's share of the cores


def write_config(folder: Path, targets: str, population: int = 40, generations: int = 3, steps: int = 200,
                 priors: str = PRIORS, extra: str = "") -> Path:
    path = folder / "calibrate.toml"
    path.write_text(f"""[calibration]
scenario = "drone_surge"
population = {population}
generations = {generations}
steps = {steps}
seed = 3
ppc_draws = 10
{extra}
[calibration.fixed]
{SMALL_WORLD}{priors}
{targets}""")
    return path


def synthetic_targets(folder: Path, steps: int = 200) -> str:
    """Targets made by the model at TRUTH, as the calibration's own evaluations would make them."""
    spec = load_calibration(write_config(folder, "[calibration.targets.oig_flown_hours_share]\n", steps=steps))
    made = run_statistics(spec.scenario, TRUTH, ("flown_hours_share", "seizure_rate"), 1, spec.seed)
    return "\n".join(f"[calibration.targets.made_{name}]\nstatistic = \"{name}\"\nvalue = {value!r}\nuncertainty = 0.05\n"
                     for name, value in made.items())


def test_calibration_recovers_known_parameters_on_synthetic_targets(tmp_path: Path, capsys):
    config = write_config(tmp_path, synthetic_targets(tmp_path))
    out = tmp_path / "out"
    assert main(["calibrate", str(config), "--out", str(out), "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert [line.split(":")[0] for line in printed.splitlines() if line.startswith("generation")] == [
        "generation 0", "generation 1", "generation 2"]
    assert "acceptance" in printed and "runs/s" in printed and "epsilon" in printed
    frame = pd.read_parquet(out / "posterior.parquet")
    assert set(frame.columns) == {*TRUTH, WEIGHT} and frame[WEIGHT].sum() == pytest.approx(1.0)
    weights = frame[WEIGHT].to_numpy()
    for name, truth in TRUTH.items():
        low, high = (weighted_quantile(frame[name].to_numpy(), weights, q) for q in (0.025, 0.975))
        assert low <= truth <= high, (name, low, high)
    low, high = (weighted_quantile(frame["drones.availability"].to_numpy(), weights, q) for q in (0.05, 0.95))
    assert high - low < 0.6 * (1.0 - 0.05)  # narrower than the prior: the flown share pins availability
    checks = json.loads((out / "ppc.json").read_text())
    assert [c["target"] for c in checks] == ["made_flown_hours_share", "made_seizure_rate"]
    assert all(c["predicted_low"] <= c["predicted_median"] <= c["predicted_high"] for c in checks)
    for figure in ("marginals.png", "pairs.png", "ppc.png"):
        assert (out / figure).read_bytes()[:4] == b"\x89PNG"
    calibrated = load_scenario(out / "calibrated.toml")
    assert calibrated["calibration.parameters"] == tuple(TRUTH)
    assert calibrated["calibration.config"] == str(config.resolve())
    assert calibrated["calibration.targets"] == ()  # own values, no reference figure
    assert main(["validate", str(out / "calibrated.toml")]) == 0
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["generations_done"] == 3 and len(provenance["epsilon_by_generation"]) == 3
    assert "distribution only" in provenance["determinism"]


def test_a_killed_calibration_resumes_from_its_database(tmp_path: Path, capsys):
    config = write_config(tmp_path, "[calibration.targets.oig_flown_hours_share]\n", population=12, generations=4, steps=100)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "sim", "calibrate", str(config), "--out", str(out), "--workers", "1"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in child.stdout:
            if line.startswith("generation 1:"):
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert (out / DATABASE).is_file() and not (out / "provenance.json").exists()
    assert main(["calibrate", str(config), "--out", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "resuming" in printed and "2 of 4 generations done" in printed
    assert [line.split(":")[0] for line in printed.splitlines() if line.startswith("generation")] == [
        "generation 2", "generation 3"]
    assert "epsilon inf" not in printed  # the threshold goes on from the stored generations, not from the prior again
    assert json.loads((out / "provenance.json").read_text())["generations_done"] == 4


def test_a_database_without_a_stored_generation_starts_over_and_one_sqlite_cannot_read_is_refused(tmp_path: Path):
    from pyabc.sampler import SingleCoreSampler

    from sim.calibration.smc import DIGEST_FILE, open_run, stored_generations

    spec = load_calibration(write_config(tmp_path, "[calibration.targets.oig_flown_hours_share]\n", population=4, steps=10))
    out, database = tmp_path / "out", tmp_path / "out" / DATABASE
    abc, resumed = open_run(spec, out, SingleCoreSampler())  # made, as a kill just after this would leave it
    assert not resumed and database.is_file() and stored_generations(database) == 0
    made = database.read_bytes()
    for left in (made, b""):  # made with no generation stored; created but empty
        database.write_bytes(left)
        abc, resumed = open_run(spec, out, SingleCoreSampler())
        assert not resumed and stored_generations(database) == 0
    abc.run(max_nr_populations=1)
    assert stored_generations(database) == 1 and open_run(spec, out, SingleCoreSampler())[1], "one generation: resumed"
    database.write_bytes(b"not a database, whoever wrote it" * 200)
    with pytest.raises(ScenarioError, match="--out: expected the calibration's SQLite database"):
        open_run(spec, out, SingleCoreSampler())
    assert database.read_bytes().startswith(b"not a database") and (out / DIGEST_FILE).is_file(), "nothing removed"


def test_a_folder_of_another_calibration_is_refused(tmp_path: Path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    config = write_config(tmp_path, "[calibration.targets.oig_flown_hours_share]\n")
    assert main(["calibrate", str(config), "--out", str(out)]) == 2
    assert "--out" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


BAD_CONFIGS = {
    "unknown parameter": (PRIORS.replace('"ground.interdict_prob"', '"ground.interdict_probability"'),
                          "[calibration.targets.oig_flown_hours_share]\n",
                          "calibration.parameters.ground.interdict_probability"),
    "prior outside the schema's bounds": (PRIORS.replace("high = 1.0", "high = 1.5", 1),
                                          "[calibration.targets.oig_flown_hours_share]\n",
                                          "calibration.parameters.drones.availability.high"),
    "normal prior's mean outside": (PRIORS.replace('prior = "uniform"\nlow = 0.05\nhigh = 1.0',
                                                   'prior = "normal"\nmean = -1\nsd = 0.1', 1),
                                    "[calibration.targets.oig_flown_hours_share]\n",
                                    "calibration.parameters.drones.availability.mean"),
    "unknown target": (PRIORS, "[calibration.targets.oig_flown_hour_share]\n", "calibration.targets.oig_flown_hour_share"),
    "unknown statistic": (PRIORS, '[calibration.targets.oig_flown_hours_share]\nstatistic = "flown_share"\n',
                          "calibration.targets.oig_flown_hours_share.statistic"),
    "context-only figure": (PRIORS, "[calibration.targets.cbp_fentanyl_fy2021]\n",
                            "calibration.targets.cbp_fentanyl_fy2021.statistic"),
    "a share's target above 1": (PRIORS, '[calibration.targets.t1]\nstatistic = "seizure_rate"\nvalue = 5\nuncertainty = 0.1\n',
                                 "calibration.targets.t1.value"),
    "a count's target below 0": (PRIORS, '[calibration.targets.t1]\nstatistic = "shipments_seized"\nvalue = -3\n'
                                         'uncertainty = 1\n', "calibration.targets.t1.value"),
    "whole-number parameter, no whole number in its prior": (  # every draw rounds to 0 or 1, outside [0.5, 0.7]
        PRIORS + '[calibration.parameters."drones.count"]\nprior = "uniform"\nlow = 0.5\nhigh = 0.7\n',
        "[calibration.targets.oig_flown_hours_share]\n", "calibration.parameters.drones.count"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_calibration_files_get_one_line_and_exit_2(tmp_path: Path, capsys, case: str):
    priors, targets, field = BAD_CONFIGS[case]
    config = write_config(tmp_path, targets, priors=priors)
    out = tmp_path / "out"
    assert main(["calibrate", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"skywatch: error: {config}: {field}: ")
    assert not out.exists()


def test_a_negative_min_epsilon_is_refused(tmp_path: Path, capsys):
    """No distance is below 0: the threshold could never be reached."""
    config = write_config(tmp_path, "[calibration.targets.oig_flown_hours_share]\n", extra="min_epsilon = -1\n")
    assert main(["calibrate", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"skywatch: error: {config}: calibration.min_epsilon: expected a number >= 0")


def test_evaluation_seeds_depend_on_the_parameters_only():
    values = {"drones.availability": 0.25, "ground.units": 12}
    assert evaluation_seed(3, values, 0) == evaluation_seed(3, dict(reversed(values.items())), 0)
    others = {evaluation_seed(3, {**values, "drones.availability": 0.2500001}, 0), evaluation_seed(4, values, 0),
              evaluation_seed(3, values, 1)}
    assert evaluation_seed(3, values, 0) not in others and len(others) == 3
    assert 0 <= evaluation_seed(2**63 - 1, values, 7) < 2**63


def test_an_evaluation_is_a_pure_function_of_its_parameters():
    scenario = load_scenario("drone_surge").with_overrides({"world.height": 64, "world.width": 64, "run.steps": 60}, "test")
    values = {"drones.availability": 0.5}
    first = run_statistics(scenario, values, ("flown_hours_share", "shipments_seized"), 2, 0)
    assert first == run_statistics(scenario, values, ("flown_hours_share", "shipments_seized"), 2, 0)
    assert first != run_statistics(scenario, {"drones.availability": 0.9}, ("flown_hours_share", "shipments_seized"), 2, 0)


def test_the_distance_scales_each_miss_by_its_uncertainty(tmp_path: Path):
    targets = ('[calibration.targets.a]\nstatistic = "seizure_rate"\nvalue = 0.3\nuncertainty = 0.1\n'
               '[calibration.targets.oig_flown_hours_share]\nuncertainty = 0.02\n')
    spec = load_calibration(write_config(tmp_path, targets))
    distance = ScaledEuclidean(spec.targets)
    observed = {"a": 0.3, "oig_flown_hours_share": 0.22}
    assert distance({"seizure_rate": 0.5, "flown_hours_share": 0.28}, observed) == pytest.approx(math.hypot(2.0, 3.0))
    assert distance({"seizure_rate": math.nan, "flown_hours_share": 0.22}, observed) == pytest.approx(MISSING_MISS)


def test_weighted_quantile():
    values, weights = np.array([3.0, 1.0, 2.0]), np.array([0.2, 0.5, 0.3])
    assert [weighted_quantile(values, weights, q) for q in (0.1, 0.5, 0.6, 0.9)] == [1.0, 1.0, 2.0, 3.0]


def test_the_shipped_calibration_file_is_valid():
    spec = load_calibration(Path(__file__).parent.parent / "calibration" / "baseline.toml")
    assert len(spec.priors) == 3 and spec.population == 200 and spec.generations == 5
    assert all(target.figure is not None for target in spec.targets)


def test_calibration_runs_on_a_dask_scheduler(tmp_path: Path, capsys):
    from dask.distributed import LocalCluster

    config = write_config(tmp_path, "[calibration.targets.oig_flown_hours_share]\n", population=6, generations=2, steps=40)
    out = tmp_path / "out"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        assert main(["calibrate", str(config), "--out", str(out), "--scheduler", cluster.scheduler_address]) == 0
    assert "generation 1:" in capsys.readouterr().out
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["sampler"].startswith("dask") and provenance["generations_done"] == 2
    assert len(pd.read_parquet(out / "posterior.parquet")) == 6


def test_a_scenarios_calibration_record_must_name_parameters(tmp_path: Path, refused):
    """calibration.parameters records what a calibration fitted: parameters' names, each one the schema knows."""
    scenario = tmp_path / "s.toml"
    scenario.write_text('[calibration]\nparameters = ["drones.detect_prob", "drones.nope"]\n')
    refused(scenario, "s.toml: calibration.parameters", "parameters' dotted names", "'drones.nope'")
    scenario.write_text('[calibration]\nparameters = ["drones.detect_prob", "platforms.crewed.speed_kmh"]\n')
    assert load_scenario(scenario)["calibration.parameters"] == ("drones.detect_prob", "platforms.crewed.speed_kmh")
