"""Sweeps end to end: designs and seeds, bad input, engines, failures, kill and resume, Sobol, plots."""

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim import __version__
from sim.cli import main
from sim.sweep.design import SweepSpec, design_points, load_sweep, plan_runs, run_seed
from sim.sweep.results import JOURNAL, RESULTS, TIMINGS, Journal, read_results
from sim.sweep.sensitivity import COLUMNS, sobol_indices, stability_warning, with_stability
from sim.viz.sweep_plots import draw_sobol_indices, plan_sweep_figures

TINY = '"world.height" = 64\n"world.width" = 64\n"run.steps" = 48\n'


def sweep_file(
    folder: Path, parameters: str, design: str = "grid", head: str = "", fixed: str = TINY, name: str = "sw.toml"
) -> Path:
    """Write a sweep file over a tiny world and return its path."""
    path = folder / name
    path.write_text(f'[sweep]\nbase = "drone_surge"\ndesign = "{design}"\n{head}\n'
                    f"[sweep.fixed]\n{fixed}\n[sweep.parameters]\n{parameters}\n")
    return path


def without_timings(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=list(TIMINGS))


def sweep(*args: object) -> int:
    return main(["sweep", *map(str, args), "--no-plots", "--quiet"])


# --- designs and seeds -------------------------------------------------------------------------

def test_grid_is_the_full_product_in_file_order_with_common_seeds_across_points(tmp_path):
    spec = load_sweep(
        sweep_file(
            tmp_path, '"drones.count" = [0, 5, 10]\n"drones.patrol" = ["random", "lawnmower"]', head="replications = 3\nseed = 4"
        )
    )
    points = design_points(spec)
    assert points == [{"drones.count": c, "drones.patrol": p} for c in (0, 5, 10) for p in ("random", "lawnmower")]
    runs = plan_runs(spec)
    assert [(r.point, r.replicate) for r in runs] == [(p, r) for p in range(6) for r in range(3)]
    assert len({r.seed for r in runs}) == 3 and len({r.run_id for r in runs}) == 18
    assert all(r.seed == run_seed(4, r.replicate) for r in runs)  # replicate r: one seed at every point
    assert run_seed(4, 1) != run_seed(5, 1)
    assert spec.base["world.height"] == 64 and spec.base["drones.count"] == 24


@pytest.mark.parametrize("design", ["lhs", "random", "sobol"])
def test_sampled_designs_stay_in_bounds_round_integers_and_repeat(tmp_path, design):
    params = ('"drones.count" = { low = 2, high = 9 }\n"drones.detect_prob" = { low = 0.2, high = 0.8 }\n'
              '"drones.patrol" = ["random", "lawnmower"]')
    spec = load_sweep(sweep_file(tmp_path, params, design, head="samples = 16\nseed = 7"))
    points = design_points(spec)
    assert len(points) == (16 * (3 + 2) if design == "sobol" else 16)
    counts = [p["drones.count"] for p in points]
    probs = np.array([p["drones.detect_prob"] for p in points])
    assert all(isinstance(c, int) and 2 <= c <= 9 for c in counts)
    assert set(counts) > {2, 9}, "both ends of an integer range are drawn"
    assert ((probs >= 0.2) & (probs <= 0.8)).all()
    assert {p["drones.patrol"] for p in points} == {"random", "lawnmower"}
    assert design_points(spec) == points
    if design == "lhs":
        strata = np.floor((probs - 0.2) / 0.6 * 16).astype(int)
        assert sorted(strata) == list(range(16)), "a Latin hypercube puts one sample in each stratum"


BAD_SWEEPS = {
    "unknown_parameter": ('"drones.cuont" = [1, 2]', "grid", "", "did you mean 'drones.count'"),
    "low_above_high": ('"drones.detect_prob" = { low = 0.8, high = 0.2 }', "lhs", "samples = 4", "low < high"),
    "empty_list": ('"drones.count" = []', "grid", "", "non-empty list"),
    "out_of_bounds": ('"drones.detect_prob" = [0.5, 1.5]', "grid", "", "[0, 1]"),
    "range_under_grid": ('"drones.count" = { low = 1, high = 9 }', "grid", "", "a grid takes lists"),
    "lists_only_under_sobol": ('"drones.count" = [1, 2]', "sobol", "samples = 8", "use design = \"grid\""),
    "sobol_not_power_of_two": ('"drones.count" = { low = 1, high = 9 }', "sobol", "samples = 6", "power of 2"),
    "missing_samples": ('"drones.count" = { low = 1, high = 9 }', "random", "", "sweep.samples"),
    "range_of_a_choice": ('"drones.patrol" = { low = 0, high = 1 }', "lhs", "samples = 4", "numeric parameter"),
    "unknown_design": ('"drones.count" = [1, 2]', "factorial", "", "grid|lhs|sobol|random"),
    "seed_swept": ('"run.seed" = [1, 2]', "grid", "", "sweep.seed"),
}


@pytest.mark.parametrize("case", sorted(BAD_SWEEPS))
def test_bad_sweep_files_give_one_line_exit_2_and_no_folder(case, tmp_path, monkeypatch, capsys):
    parameters, design, head, message = BAD_SWEEPS[case]
    path = sweep_file(tmp_path, parameters, design, head)
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not (tmp_path / "sweeps").exists()


@pytest.mark.parametrize(
    "text, message",
    [
        ("[sweep\nbase = 1\n", "not valid TOML"),
        ('[sweep]\nbase = "nowhere"\ndesign = "grid"\n[sweep.parameters]\n"drones.count" = [1]\n', "no such scenario 'nowhere'"),
        (
            '[sweep]\nbase = "baseline"\ndesign = "grid"\nrepetitions = 3\n[sweep.parameters]\n"drones.count" = [1]\n',
            "did you mean 'replications'",
        ),
    ],
)
def test_bad_sweep_file_headers(text, message, tmp_path, monkeypatch, capsys):
    (tmp_path / "bad.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "bad.toml"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not (tmp_path / "sweeps").exists()


# --- engines and failures --------------------------------------------------------------------

@pytest.fixture(scope="module")
def failing_grid(tmp_path_factory):
    """A grid whose second terrain file walls the south off from the border: those runs fail in the worker."""
    folder = tmp_path_factory.mktemp("grid")
    cost = np.ones((64, 64))
    cost[32, :] = np.inf
    np.save(folder / "walled.npy", cost)
    parameters = (
        f'"world.cost_file" = ["", "{folder / "walled.npy"}"]\n"drones.patrol" = ["random", "lawnmower"]\n"drones.count" = [0, 8]'
    )
    return sweep_file(folder, parameters, head="replications = 2\nseed = 11")


@pytest.fixture(scope="module")
def one_worker_table(failing_grid):
    out = failing_grid.parent / "one"
    assert sweep(failing_grid, "--workers", 1, "--out", out, "--keep-runs") == 0
    return read_results(out)


def test_results_table_has_every_run_column_and_records_failures(one_worker_table, failing_grid, capsys):
    table = one_worker_table
    assert list(table.columns[:7]) == ["run_id", "point", "replicate", "seed", "world.cost_file", "drones.patrol", "drones.count"]
    assert list(table.columns[-4:]) == ["status", "error", "wall_s", "cpu_s"]
    ok = table[table["status"] == "ok"]
    assert (ok["cpu_s"] > 0).all() and (ok["wall_s"] > 0).all(), "each run's seconds in its worker"
    assert {"shipments_seized", "seizure_rate", "corridor_flow.west", "trust", "surveillance_cost", "total_cost",
            "cost_breakdown.drones", "cost_breakdown.community_programs", "network_spread", "network_cells"} <= set(table.columns)
    assert len(table) == 16
    assert list(zip(table["point"], table["replicate"], strict=True)) == [(p, r) for p in range(8) for r in range(2)]
    failed = table[table["world.cost_file"] != ""]
    assert (failed["status"] == "failed").all() and failed["shipments_launched"].isna().all()
    assert failed["error"].str.contains("passable path from a source to a sink").all()
    assert failed["trust"].isna().all() and table.loc[table["status"] == "ok", "trust"].between(0, 1).all()
    ok = table[table["world.cost_file"] == ""]
    assert (ok["status"] == "ok").all() and (ok["error"] == "").all() and (ok["shipments_launched"] > 0).all()
    kept = failing_grid.parent / "one" / "runs"
    assert sorted(p.name for p in kept.iterdir()) == sorted(ok["run_id"])
    summary = json.loads((kept / ok["run_id"].iloc[0] / "summary.json").read_text())
    assert summary["seed"] == ok["seed"].iloc[0] and summary["shipments_seized"] == ok["shipments_seized"].iloc[0]


def test_two_workers_give_the_same_table(one_worker_table, failing_grid, capsys):
    out = failing_grid.parent / "two"
    assert sweep(failing_grid, "--workers", 2, "--out", out) == 0
    assert "8 failed" in capsys.readouterr().out
    pd.testing.assert_frame_equal(without_timings(read_results(out)), without_timings(one_worker_table))


def test_a_dask_cluster_gives_the_same_table_row_for_row(one_worker_table, failing_grid):
    from dask.distributed import LocalCluster

    out = failing_grid.parent / "dask"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        assert sweep(failing_grid, "--scheduler", cluster.scheduler_address, "--out", out) == 0
    pd.testing.assert_frame_equal(without_timings(read_results(out)), without_timings(one_worker_table))


def test_an_unreachable_scheduler_is_bad_input(failing_grid, capsys, monkeypatch):
    monkeypatch.setattr("sim.sweep.engine.SCHEDULER_TIMEOUT_S", 1)  # the port refuses at once; no need to wait 10 s
    out = failing_grid.parent / "nowhere"
    assert sweep(failing_grid, "--scheduler", "tcp://127.0.0.1:9", "--out", out) == 2
    assert "no Dask scheduler" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("scheme", ["tls", "ucx"])
def test_a_scheduler_address_of_another_protocol_is_bad_input(failing_grid, capsys, scheme):
    out = failing_grid.parent / "nowhere"
    assert sweep(failing_grid, "--scheduler", f"{scheme}://127.0.0.1:9", "--out", out) == 2
    assert "tcp://HOST:PORT" in capsys.readouterr().err and not out.exists()


def test_existing_folder_needs_force_or_resume(one_worker_table, failing_grid, capsys):
    out = failing_grid.parent / "one"
    assert sweep(failing_grid, "--out", out) == 2
    assert "--resume" in capsys.readouterr().err
    other = sweep_file(failing_grid.parent, '"drones.count" = [0, 1]', name="other.toml")
    assert sweep(other, "--out", out, "--resume") == 2
    assert "differs" in capsys.readouterr().err
    assert sweep(failing_grid, "--out", out, "--resume") == 0, "a finished sweep resumes to nothing left to run"
    assert "(0 run now, 16 before)" in capsys.readouterr().out
    pd.testing.assert_frame_equal(read_results(out), one_worker_table)


def test_a_forced_sweep_stopped_early_leaves_the_old_sweep_as_it_was(tmp_path, monkeypatch, capsys):
    from sim.sweep import engine, job

    old_file = sweep_file(tmp_path, '"drones.count" = [0, 2]', head="replications = 2", name="old.toml")
    out = tmp_path / "out"
    assert sweep(old_file, "--workers", 1, "--out", out) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    new_file = sweep_file(tmp_path, '"drones.count" = [0, 4]', head="replications = 3", name="new.toml")

    def stopped_after_two(tasks, workers):
        for count, task in enumerate(tasks):
            if count == 2:
                raise KeyboardInterrupt
            yield engine.run_task(task)

    monkeypatch.setattr(engine, "run_local", stopped_after_two)
    assert sweep(new_file, "--workers", 1, "--out", out, "--force") == 130
    assert "the old sweep" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["new.toml", "old.toml", "out"], "no staging folder left"

    monkeypatch.undo()
    spec = load_sweep(new_file)
    forced = job.SweepJob.prepare(spec, out, force=True)
    assert forced.replacing
    frame = forced.execute(lambda tasks: map(engine.run_task, tasks))
    assert len(frame) == 6 and (out / "sweep.toml").read_text() == new_file.read_text()
    assert len(Journal(out).read()) == 6 and not job.SweepJob.prepare(spec, tmp_path / "fresh").replacing


def test_resume_refuses_a_base_scenario_edited_since_the_sweep_started(tmp_path, capsys):
    base = tmp_path / "base.toml"
    base.write_text('[drones]\ncount = 2\n')
    path = tmp_path / "sw.toml"
    path.write_text(f'[sweep]\nbase = "base.toml"\ndesign = "grid"\n[sweep.fixed]\n{TINY}\n'
                    '[sweep.parameters]\n"drones.detect_prob" = [0.3, 0.6]\n')
    out = tmp_path / "out"
    assert sweep(path, "--workers", 1, "--out", out) == 0
    assert sweep(path, "--workers", 1, "--out", out, "--resume") == 0
    capsys.readouterr()
    base.write_text('[drones]\ncount = 2\n[ground]\nunits = 1\n')
    journal = (out / JOURNAL).read_bytes()
    assert sweep(path, "--workers", 1, "--out", out, "--resume") == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "base scenario" in err and len(err.strip().splitlines()) == 1
    assert (out / JOURNAL).read_bytes() == journal


# --- kill and resume -------------------------------------------------------------------------

def test_a_sweep_killed_mid_way_resumes_to_the_uninterrupted_table(tmp_path):
    path = sweep_file(
        tmp_path,
        '"drones.count" = [4, 12, 24]\n"drones.patrol" = ["random", "lawnmower"]',
        head="replications = 8\nseed = 2",
        fixed='"world.height" = 64\n"world.width" = 64\n"run.steps" = 400\n',
    )
    killed, journal = tmp_path / "killed", tmp_path / "killed" / JOURNAL
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", path, "--workers", "2", "--out", killed, "--no-plots", "--quiet"],
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not (journal.exists() and journal.read_text().count("\n") >= 3) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the sweep and its pool workers
    process.wait()
    recorded = len(Journal(killed).read())
    assert 3 <= recorded < 48, "killed mid-way"

    assert sweep(path, "--workers", 2, "--out", killed, "--resume") == 0
    rows = Journal(killed).read()
    assert sorted(r["run_id"] for r in rows) == sorted({r["run_id"] for r in rows}) and len(rows) == 48, "every run exactly once"
    assert sweep(path, "--workers", 2, "--out", tmp_path / "whole") == 0
    pd.testing.assert_frame_equal(without_timings(read_results(killed)), without_timings(read_results(tmp_path / "whole")))


def test_a_half_written_journal_line_is_dropped_on_resume(tmp_path):
    path = sweep_file(tmp_path, '"drones.count" = [0, 6]', head="replications = 2")
    out = tmp_path / "out"
    assert sweep(path, "--workers", 1, "--out", out) == 0
    whole = read_results(out)
    lines = (out / JOURNAL).read_text().splitlines(keepends=True)
    (out / JOURNAL).write_text("".join(lines[:2]) + lines[2][:25])
    assert sweep(path, "--workers", 1, "--out", out, "--resume") == 0
    assert len(Journal(out).read()) == 4
    pd.testing.assert_frame_equal(without_timings(read_results(out)), without_timings(whole))


# --- Sobol and figures -------------------------------------------------------------------------

@dataclass(frozen=True)
class SobolSweep:
    folder: Path
    spec: SweepSpec
    stderr: str


@pytest.fixture(scope="module")
def sobol_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sobol")
    parameters = ('"drones.count" = { low = 0, high = 30 }\n"drones.detect_prob" = { low = 0.2, high = 0.9 }\n'
                  '"drones.patrol" = ["random", "lawnmower"]')
    path = sweep_file(folder, parameters, "sobol", head="samples = 8\nreplications = 2\nseed = 3")
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        assert main(["sweep", str(path), "--out", str(folder / "out"), "--quiet"]) == 0
    return SobolSweep(folder / "out", load_sweep(path), stderr.getvalue())


@pytest.fixture(scope="module")
def sobol_sweep(sobol_run):
    return sobol_run.folder


def test_sobol_indices_have_confidence_intervals_and_find_the_driver(sobol_sweep):
    indices = pd.read_csv(sobol_sweep / "sobol.csv", keep_default_na=False)
    assert list(indices.columns) == ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf", "stable", "note"]
    assert np.isfinite(indices[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()).all()
    assert (indices[["S1_conf", "ST_conf"]] >= 0).all().all()
    hours = indices[indices["outcome"] == "drone_flight_hours"].set_index("parameter")
    assert hours["ST"].idxmax() == "drones.count", "flight hours are driven by the fleet size"
    assert (hours.loc["drones.count", ["S1_conf", "ST_conf"]] > 0).all()
    # common random numbers: the detection probability does not touch flight, so its indices are exactly zero, not noise
    assert (hours.loc["drones.detect_prob", ["S1", "S1_conf", "ST", "ST_conf"]] == 0).all()
    assert indices["stable"].dtype == bool and ((indices["note"] == "") == indices["stable"]).all()


def test_a_small_sobol_sample_is_flagged_in_the_csv_on_the_console_and_on_the_figure(sobol_run):
    indices = pd.read_csv(sobol_run.folder / "sobol.csv", keep_default_na=False)
    unstable = indices[~indices["stable"]]
    assert len(unstable) > 0, "8 base samples are too few for stable indices"
    lines = [line for line in sobol_run.stderr.splitlines() if line.startswith("skywatch: warning:")]
    assert len(lines) == 1 and f"{len(unstable)} of {len(indices)}" in lines[0] and "samples = 8" in lines[0]
    figure = draw_sobol_indices(with_stability(indices[list(COLUMNS)]))
    texts = " ".join(t.get_text() for t in figure.findobj(Text))
    assert f"UNSTABLE: {len(unstable)} of {len(indices)}" in texts and "(unstable)" in texts


def test_stability_marks_wide_intervals_and_indices_outside_the_unit_interval():
    rows = [("a", "stable driver", 0.6, 0.1, 0.7, 0.1), ("a", "no influence, known", 0.01, 0.02, 0.02, 0.01),
            ("a", "below zero", -0.3, 0.1, 0.2, 0.05), ("a", "total above one", 0.5, 0.2, 2.24, 0.5),
            ("a", "wide", 0.2, 0.15, 0.3, 0.1)]
    marked = with_stability(pd.DataFrame(rows, columns=list(COLUMNS))).set_index("parameter")
    assert marked["stable"].to_dict() == {"stable driver": True, "no influence, known": True, "below zero": False,
                                          "total above one": False, "wide": False}
    assert "S1 -0.30 outside [0, 1]" in marked.loc["below zero", "note"]
    assert "ST 2.24 outside [0, 1]" in marked.loc["total above one", "note"]
    assert marked.loc["wide", "note"] == "S1 interval ±0.15 wider than S1 0.20", "an interval 0.30 wide, the ST one 0.20"
    assert stability_warning(marked.reset_index(), 8).startswith("Sobol indices unstable for 3 of 5")
    assert stability_warning(marked[marked["stable"]].reset_index(), 8) is None


def test_results_table_and_figures_carry_their_provenance(sobol_run, monkeypatch):
    metadata = pq.read_schema(sobol_run.folder / RESULTS).metadata
    assert metadata[b"skywatch.version"] == __version__.encode()
    assert metadata[b"skywatch.scenario_sha256"] == sobol_run.spec.base.sha256().encode()
    assert metadata[b"skywatch.sweep_seed"] == b"3"
    captions = []
    save = Figure.savefig

    def recording_save(figure, *args, **kwargs):
        captions.append(" ".join(t.get_text() for t in figure.findobj(Text)))
        return save(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording_save)
    assert len(plan_sweep_figures(sobol_run.folder).write()) == len(captions) == 5
    expected = f"skywatch {__version__} · scenario sha256 {sobol_run.spec.base.sha256()[:12]} · sweep seed 3"
    assert all(expected in text for text in captions)


def test_plot_draws_every_sweep_figure(sobol_sweep, capsys):
    for png in sobol_sweep.glob("*.png"):
        png.unlink()
    assert main(["plot", str(sobol_sweep)]) == 0
    names = {p.name for p in sobol_sweep.glob("*.png")}
    assert names == {"outcomes_vs_drones.count.png", "outcomes_vs_drones.detect_prob.png", "outcomes_vs_drones.patrol.png",
                     "heatmap_drones.count_drones.detect_prob.png", "sobol_indices.png"}
    assert all((sobol_sweep / n).stat().st_size > 20_000 for n in names)
    assert capsys.readouterr().out.count(".png") == 5


def test_plot_redraws_a_run_folder_and_refuses_anything_else(tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "baseline",
                "--steps",
                "20",
                "--set",
                "world.height=64",
                "--set",
                "world.width=64",
                "--out",
                str(run),
                "--quiet",
            ]
        )
        == 0
    )
    (run / "overview.png").unlink()
    assert main(["plot", str(run)]) == 0
    assert (run / "overview.png").stat().st_size > 20_000
    assert main(["plot", str(tmp_path)]) == 2
    assert RESULTS in capsys.readouterr().err



def test_a_point_whose_runs_all_failed_is_said_not_silently_dropped(sobol_run):
    frame = read_results(sobol_run.folder)
    frame.loc[frame["point"] == 3, "status"] = "failed"
    indices = sobol_indices(sobol_run.spec, frame)
    hours = indices[indices["outcome"] == "drone_flight_hours"]
    assert len(hours) == len(sobol_run.spec.parameters) and not hours["stable"].any()
    assert hours["note"].str.contains("not estimated").all()
    assert stability_warning(indices, sobol_run.spec.samples) is not None


WORKER_PROBE = """
import sys
import sim.sweep.engine
print(sorted(name for name in ("pandas", "pyarrow", "SALib", "scipy.stats", "matplotlib") if name in sys.modules))
"""


def test_a_sweep_worker_imports_no_table_or_sampling_library() -> None:
    """A worker unpickles its tasks (sim.sweep.design) and runs them (sim.sweep.engine): rows, never tables or samples."""
    done = subprocess.run([sys.executable, "-c", WORKER_PROBE], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"
