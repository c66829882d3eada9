"""Bad input a fuzzer found in sweep, plot, compare and calibrate: one line ``skywatch: error: ...``, exit 2, no traceback."""

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.calibration.config import SD_WIDTHS, SIGMAS, Prior
from sim.cli import WORKERS_HELP, main
from sim.sweep.engine import MAX_WORKERS
from sim.sweep.results import JOURNAL

BASE = '[run]\nsteps = 2\n[world]\nheight = 64\nwidth = 64\n[drones]\ncount = 2\n'


def one_error(capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    """The single line on standard error, checked to be a ``skywatch: error:`` holding every needle."""
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("skywatch: error: "), err
    assert all(needle in err[0] for needle in needles), err[0]
    return err[0]


def sweep_over(folder: Path, parameters: str) -> Path:
    """A grid sweep file over a tiny base scenario beside it."""
    (folder / "base.toml").write_text(BASE)
    path = folder / "sw.toml"
    path.write_text(f'[sweep]\nbase = "base.toml"\ndesign = "grid"\n[sweep.parameters]\n{parameters}\n')
    return path


def sweep(path: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(path), "--workers", "1", "--quiet", "--out", str(out), *extra])


@pytest.mark.parametrize("parameters", ['"airspace.zones_km" = [[[[0, 0], [10, 0], [10, 10]]], []]',
                                        '"sites.sources_km" = [[[1, 60], [2, 60], [3, 60], [4, 60]], []]'])
def test_list_valued_levels_are_plotted_by_their_text(tmp_path, capsys, parameters):
    out = tmp_path / "out"
    assert sweep(sweep_over(tmp_path, parameters), out) == 0
    assert main(["plot", str(out), "--quiet"]) == 0
    assert "Traceback" not in capsys.readouterr().err


def calibration(folder: Path, target: str = 'statistic = "seizure_rate"',
                prior: str = 'prior = "uniform"\nlow = 0.1\nhigh = 0.9') -> Path:
    """A calibration file over the tiny base scenario, one prior on drones.detect_prob and one target."""
    (folder / "base.toml").write_text(BASE)
    path = folder / "cal.toml"
    path.write_text(f'[calibration]\nscenario = "base.toml"\npopulation = 2\ngenerations = 1\nsteps = 2\nppc_draws = 2\n'
                    f'[calibration.parameters."drones.detect_prob"]\n{prior}\n'
                    f'[calibration.targets.t]\n{target}\nvalue = 0.3\nuncertainty = 0.1\n')
    return path


@pytest.mark.parametrize("statistic", ['["seizure_rate"]', "{ a = 1 }"])
def test_a_target_statistic_that_is_not_a_name_is_refused(tmp_path, capsys, statistic):
    config = calibration(tmp_path, target=f"statistic = {statistic}")
    assert main(["calibrate", str(config), "--workers", "1", "--out", str(tmp_path / "out")]) == 2
    one_error(capsys, "calibration.targets.t.statistic", "expected a statistic's name")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("prior, field", [('prior = "lognormal"\nmedian = 0.5\nsigma = 1e300', ".sigma"),
                                          ('prior = "lognormal"\nmedian = 0.5\nsigma = 1e-300', ".sigma"),
                                          ('prior = "normal"\nmean = 0.5\nsd = 1e-300', ".sd"),
                                          ('prior = "normal"\nmean = 0.5\nsd = 1e300', ".sd"),
                                          # a narrow window under a wide lognormal: no mass in it to renormalise by
                                          ('prior = "lognormal"\nmedian = 0.5\nsigma = 100\nlow = 0.5\nhigh = 0.5000000000000001',
                                           ".sigma")])
def test_a_prior_spread_out_of_range_is_refused_before_anything_is_written(tmp_path, capsys, prior, field):
    config = calibration(tmp_path, prior=prior)
    assert main(["calibrate", str(config), "--workers", "1", "--out", str(tmp_path / "out")]) == 2
    one_error(capsys, f"calibration.parameters.drones.detect_prob{field}: expected a value in")
    assert not (tmp_path / "out").exists()


def test_every_admitted_prior_has_mass_in_its_interval() -> None:
    """At the extremes a prior file may give, the cut prior keeps mass to renormalise by (pyabc divides by it)."""
    for low, high in [(0.5, 0.5000000000000001), (0.5, 0.6), (1e-9, 1.0)]:
        most = min(SIGMAS[1], SD_WIDTHS[1] * math.log(high / low))
        spreads = [("lognormal", SIGMAS[0]), ("lognormal", most)] if SIGMAS[0] <= most else []  # else none is admitted
        for kind, spread in [*spreads, ("normal", SD_WIDTHS[1] * (high - low))]:
            for centre in (low, high):
                rv = Prior("p", kind, low, high, centre, spread, False).rv()
                assert rv.mass_high - rv.mass_low > 1e-7 and math.isfinite(rv.pdf(centre))


@pytest.mark.parametrize("workers", [str(MAX_WORKERS + 1), "99999999999", "0"])
def test_workers_beyond_the_maximum_are_refused(tmp_path, capsys, workers):
    path = sweep_over(tmp_path, '"drones.count" = [1, 2]')
    assert main(["sweep", str(path), "--workers", workers, "--out", str(tmp_path / "out")]) == 2
    one_error(capsys, f"--workers: {workers}: expected an integer from 1 to {MAX_WORKERS}")
    assert main(["compare", "baseline", "drone_surge", "--replications", "2", "--workers", workers,
                 "--out", str(tmp_path / "cmp")]) == 2
    one_error(capsys, "--workers")
    assert not (tmp_path / "out").exists() and not (tmp_path / "cmp").exists()
    assert str(MAX_WORKERS) in WORKERS_HELP


@pytest.fixture(scope="module")
def run_folders(tmp_path_factory) -> list[Path]:
    """Two replicates of one tiny scenario and one of another, as ``skywatch run`` writes them."""
    folder = tmp_path_factory.mktemp("runs")
    (folder / "a.toml").write_text(BASE)
    (folder / "b.toml").write_text(BASE.replace("count = 2", "count = 3"))
    runs = [folder / "a-seed1", folder / "a-seed2", folder / "b-seed1"]
    for run in runs:
        scenario, seed = run.name.split("-seed")
        assert main(["run", str(folder / f"{scenario}.toml"), "--seed", seed, "--out", str(run), "--quiet"]) == 0
    return runs


@pytest.mark.parametrize("tamper, needle", [
    (lambda s: {**s, "shipments_seized": 10**400}, "summary.json: shipments_seized: expected a number of magnitude at most"),
    (lambda s: {**s, "shipments_seized": 1.7e308}, "summary.json: shipments_seized: expected a number of magnitude at most"),
    (lambda s: {**s, "seizure_rate": math.nan}, "summary.json: seizure_rate: expected a finite number or null"),
    (lambda s: {**s, "seizure_rate": -math.inf}, "summary.json: seizure_rate: expected a finite number or null"),
    (lambda s: {}, "summary.json: outcomes: expected a run's outcomes"),  # each dropped the run from n without a word
    (lambda s: {k: v for k, v in s.items() if k != "shipments_seized"},  # compared over the other runs, or "cannot pair"
     "summary.json: shipments_seized: expected every outcome the other runs compared hold"),
    (lambda s: {**s, "shipments_seized": str(s["shipments_seized"])}, "summary.json: shipments_seized: expected a number"),
    (lambda s: {**s, "shipments_delivered": True}, "summary.json: shipments_delivered: expected a number or null"),
    (lambda s: {**s, "shipments_seized": json.loads('{"a":' * 5000 + "1" + "}" * 5000)}, "nested too deep"),
    (None, "nested too deep"),
])
def test_compare_refuses_a_tampered_summary(tmp_path, capsys, run_folders, tamper, needle):
    bad = tmp_path / "x"
    shutil.copytree(run_folders[1], bad)
    summary = bad / "summary.json"
    if tamper is None:
        summary.write_text("[" * 100_000 + "]" * 100_000)
    else:
        summary.write_text(json.dumps(tamper(json.loads(summary.read_text()))))
    capsys.readouterr()
    assert main(["compare", *map(str, run_folders), str(bad), "--out", str(tmp_path / "cmp")]) == 2
    assert str(bad) in one_error(capsys, needle)
    assert not (tmp_path / "cmp").exists()


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory) -> tuple[Path, Path]:
    """A sweep file and its finished folder."""
    folder = tmp_path_factory.mktemp("sweep")
    path, out = sweep_over(folder, '"run.validate" = [true, false]'), folder / "out"
    assert sweep(path, out, "--no-plots") == 0
    return path, out


@pytest.mark.parametrize("tamper, needle", [
    (lambda row: {**row, "point": 10**400}, "is not one this sweep plans"),
    (lambda row: {**row, "shipments_launched": 10**400}, "its shipments_launched holds"),
    (lambda row: {**row, "shipments_launched": "many"}, "its shipments_launched holds"),
    (lambda row: {**row, "status": [1]}, "its status holds"),
    (lambda row: json.loads("[" * 5000 + "]" * 5000), "expected a run's row"),
])
def test_resume_refuses_a_tampered_journal_before_any_run(tmp_path, capsys, finished_sweep, tamper, needle):
    path, finished = finished_sweep
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    first, _ = (out / JOURNAL).read_text().splitlines()
    (out / JOURNAL).write_text(json.dumps(tamper(json.loads(first))) + "\n")  # the second run is missing: to run again
    before = (out / JOURNAL).read_bytes()
    capsys.readouterr()
    assert sweep(path, out, "--resume", "--no-plots") == 2
    assert str(out / JOURNAL) in one_error(capsys, "line 1", needle)
    assert (out / JOURNAL).read_bytes() == before


def test_resume_refuses_a_journal_nested_too_deep_to_read(tmp_path, capsys, finished_sweep):
    path, finished = finished_sweep
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    (out / JOURNAL).write_text('{"run_id": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    assert sweep(path, out, "--resume", "--no-plots") == 2
    one_error(capsys, "line 1", "nested too deep")


def test_resume_refuses_a_journal_with_a_nan_no_sweep_writes(tmp_path, capsys, finished_sweep):
    """Rows are written without NaN (a missing figure is null): a NaN read back would fail the rewrite with a traceback."""
    path, finished = finished_sweep
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    lines = (out / JOURNAL).read_text().splitlines(keepends=True)
    lines[1] = re.sub(r'"shipments_seized": [0-9]+', '"shipments_seized": NaN', lines[1])
    (out / JOURNAL).write_text("".join(lines))
    assert sweep(path, out, "--resume", "--no-plots") == 2
    one_error(capsys, "line 2", "NaN")
    assert (out / JOURNAL).read_text() == "".join(lines), "the journal is left as it was"


def test_a_swept_file_that_is_not_there_is_one_line_before_any_run(tmp_path, capsys):
    """Every run of that level would fail: it was a table of failed rows, exit 0; a file there is swept as before."""
    np.save(tmp_path / "hours.npy", np.full((64, 64), 0.5))
    path = sweep_over(tmp_path, '"world.cost_file" = ["", "hours.npy", "nosuch.npy"]')
    assert sweep(path, tmp_path / "out", "--no-plots") == 2
    one_error(capsys, "sw.toml", "world.cost_file", "file not found", "nosuch.npy")
    assert not (tmp_path / "out").exists()
    path = sweep_over(tmp_path, '"world.cost_file" = ["", "hours.npy"]')
    assert sweep(path, tmp_path / "out", "--no-plots") == 0


@pytest.mark.parametrize("argv, option", [(["run", "baseline", "--seed", "abc"], "--seed"),
                                          (["run", "baseline", "--steps", "1e3"], "--steps"),
                                          (["sweep", "x", "--workers", "0x10"], "--workers"),
                                          (["compare", "a", "--seed", ""], "--seed"),
                                          ([], "command")])
def test_argument_errors_are_one_line(capsys, argv, option):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    one_error(capsys, option)


def test_help_still_prints_the_usage(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("usage: skywatch")


def test_a_sweep_whose_points_cannot_make_a_scenario_is_refused_before_any_run(tmp_path, capsys):
    path = sweep_over(tmp_path, '"world.bbox" = [[-117.3, 22.5, -105.5, 33.2], [-117.3, 22.5, -105.0, 33.2]]')
    assert sweep(path, tmp_path / "out") == 2
    one_error(capsys, f"{path}: world.bbox: expected world.crs", "at point 0")
    assert not (tmp_path / "out").exists()


def test_a_run_refused_with_its_bar_on_leaves_one_line_on_a_piped_standard_error(tmp_path: Path) -> None:
    """Without --quiet the bar is on; on a pipe it cannot be redrawn, and it left an empty line before the error."""
    scenario = tmp_path / "bad.toml"
    scenario.write_text('[world]\nheight = 64\nwidth = 64\ncost_file = "missing.npy"\n')
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [line for line in done.stderr.splitlines() if line.startswith("skywatch: error: ")]
    assert len(done.stderr.splitlines()) == 1 and "world.cost_file" in done.stderr


def test_a_sweep_whose_base_is_a_sweep_file_says_so_in_one_line(tmp_path, capsys):
    inner = sweep_over(tmp_path, '"drones.count" = [1]')
    outer = tmp_path / "outer.toml"
    outer.write_text(f'[sweep]\nbase = "{inner.name}"\ndesign = "grid"\n[sweep.parameters]\n"drones.count" = [1]\n')
    assert sweep(outer, tmp_path / "out") == 2
    one_error(capsys, "sweep.base", "expected a scenario, got the sweep file")
    assert not (tmp_path / "out").exists()


def test_a_pipe_where_a_run_summary_or_a_journal_should_be_is_refused_without_blocking(tmp_path, capsys):
    import os

    runs = [tmp_path / name for name in ("a", "b")]
    for seed, run in enumerate(runs):
        (tmp_path / "base.toml").write_text(BASE)
        assert main(["run", str(tmp_path / "base.toml"), "--seed", str(seed), "--out", str(run), "--quiet"]) == 0
    (runs[1] / "summary.json").unlink()
    os.mkfifo(runs[1] / "summary.json")  # read, a pipe nobody writes to blocks for good
    capsys.readouterr()
    assert main(["compare", *map(str, runs), "--out", str(tmp_path / "c"), "--quiet"]) == 2
    one_error(capsys, "summary.json")
    path, out = sweep_over(tmp_path, '"drones.count" = [0, 2]'), tmp_path / "sw"
    assert sweep(path, out, "--no-plots") == 0
    (out / JOURNAL).unlink()
    os.mkfifo(out / JOURNAL)
    capsys.readouterr()
    assert sweep(path, out, "--resume") == 2
    one_error(capsys, JOURNAL, "expected a regular file")


def test_an_argument_that_is_not_utf8_is_refused_before_any_run(tmp_path, capsys):
    latin1 = tmp_path / b"caf\xe9".decode("utf-8", "surrogateescape")  # as Python reads a Latin-1 name from the command line
    assert main(["run", "baseline", "--steps", "2", "--quiet", "--out", str(latin1)]) == 2
    one_error(capsys, "caf\\xe9", "expected UTF-8 text")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("port", ["99999", "-1", "0", "http"])
def test_viz_refuses_a_port_out_of_range_before_starting_a_server(port, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["viz", "baseline", "--port", port])
    assert stopped.value.code == 2
    one_error(capsys, "--port", "from 1 to 65535")


@pytest.mark.parametrize(("name", "table", "command"), [("sweep_fleet_size", "[sweep]", "skywatch sweep"),
                                                         ("calibration/baseline.toml", "[calibration]", "skywatch calibrate")])
def test_a_sweep_or_calibration_file_given_as_a_scenario_says_so_in_one_line(name, table, command, tmp_path, capsys):
    scenario = name if "/" not in name else str(Path(__file__).resolve().parents[1] / name)
    assert main(["run", scenario, "--out", str(tmp_path / "r"), "--quiet"]) == 2
    one_error(capsys, table, "expected a scenario", command)


def test_a_file_set_on_the_command_line_is_found_where_the_command_runs(tmp_path, monkeypatch, capsys):
    import numpy as np

    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.toml").write_text(BASE)
    np.save(tmp_path / "cost.npy", np.full((64, 64), 0.5))
    args = ["run", "baseline", "--set", "world.height=64", "--set", "world.width=64", "--steps", "2", "--quiet"]
    assert main([*args, "--set", "world.cost_file=cost.npy", "--out", "r"]) == 0
    assert str(tmp_path / "cost.npy") in (tmp_path / "r" / "scenario.toml").read_text()
    assert main([*args, "--set", "=5", "--out", "r2"]) == 2
    one_error(capsys, "--set", "a parameter's name before '='")
    assert main([*args, "--set", "world.cost_file=~no-such-user-of-skywatch/cost.npy", "--out", "r3"]) == 2
    one_error(capsys, "world.cost_file", "~no-such-user-of-skywatch/cost.npy")


def test_a_brief_name_too_long_for_its_staged_file_is_refused_before_any_run(tmp_path, capsys):
    from sim.outfolder import HIDDEN_EXTRA_BYTES, NAME_MAX

    STAGED_EXTRA_BYTES = HIDDEN_EXTRA_BYTES + len(".html")  # a staged brief: its hidden name, then .html

    out = tmp_path / ("b" * (NAME_MAX - STAGED_EXTRA_BYTES - len(".html") + 1) + ".html")
    assert main(["brief", "baseline", "drone_surge", "--replications", "2", "--out", str(out), "--quiet"]) == 2
    one_error(capsys, "--out", "expected a file name of at most")
    assert not any(tmp_path.iterdir())


def test_a_sweep_stopped_by_sigterm_stops_its_runs_in_flight_at_once(tmp_path):
    import os
    import signal
    import time

    path = sweep_over(tmp_path, '"drones.count" = [0, 2]')
    path.write_text(path.read_text().replace('design = "grid"', 'design = "grid"\n[sweep.fixed]\n"run.steps" = 1000000'))
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(path), "--workers", "1", "--out", str(out), "--quiet",
                              "--no-plots"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / JOURNAL).exists() and time.monotonic() < deadline:  # the sweep has started its first run
        time.sleep(0.05)
    time.sleep(2.0)
    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130 and "interrupted" in err
    assert time.monotonic() - started < 30, "a run of a million steps was not waited for"
    assert os.listdir(out)  # the sweep folder and its journal are kept for --resume


@pytest.mark.parametrize("host", ["", "999.1.1.1", "not a host"])
def test_viz_refuses_an_empty_or_unresolvable_host_before_starting_a_server(host, capsys):
    """An empty host would listen on every interface; one that does not resolve failed later, in the server's words."""
    with pytest.raises(SystemExit) as stopped:
        main(["viz", "baseline", "--host", host])
    assert stopped.value.code == 2
    one_error(capsys, "--host", "expected a host name or address")


@pytest.mark.parametrize("drop", ["status", "point"])
def test_plot_refuses_a_results_table_without_a_column_every_sweep_writes(tmp_path, capsys, drop):
    import pandas as pd

    from sim.outfolder import write_marker

    columns = {"run_id": ["p0-r0"], "point": [0], "replicate": [0], "seed": [1], "status": ["ok"], "drones.count": [2],
               "shipments_seized": [3]}
    del columns[drop]
    pd.DataFrame(columns).to_parquet(tmp_path / "results.parquet")
    write_marker(tmp_path, "sweep")
    assert main(["plot", str(tmp_path)]) == 2
    one_error(capsys, "results.parquet", drop, "expected a column")


@pytest.mark.parametrize("change, column, needle", [
    ({"drones.count": ["a"]}, "drones.count", "expected numbers"),
    ({"drones.count": [[1]]}, "drones.count", "expected numbers"),
    ({"shipments_seized": ["3"]}, "shipments_seized", "expected an outcome"),
    ({"shipments_seized": [1e308]}, "shipments_seized", "magnitude at most"),
    ({"status": [1]}, "status", "expected 'ok' or 'failed'"),
    ({"point": ["0"]}, "point", "whole numbers"),
])
def test_plot_refuses_a_results_table_whose_columns_hold_what_no_sweep_writes(tmp_path, capsys, change, column, needle):
    """Each was a traceback (a text level, a list where numbers belong, an outcome that overflows the axes) or a quiet
    wrong figure."""
    import pandas as pd

    from sim.outfolder import write_marker

    columns = {"run_id": ["p0-r0"], "point": [0], "replicate": [0], "seed": [1], "status": ["ok"], "drones.count": [2],
               "shipments_seized": [3]}
    pd.DataFrame({**columns, **change}).to_parquet(tmp_path / "results.parquet")
    write_marker(tmp_path, "sweep")
    assert main(["plot", str(tmp_path)]) == 2
    one_error(capsys, "results.parquet", column, needle)


def test_plot_draws_a_results_table_with_an_outcome_no_run_has(tmp_path):
    """A column of nulls only (Parquet's null type, read back as objects) is an outcome missing everywhere, not text."""
    import pandas as pd

    from sim.outfolder import write_marker

    pd.DataFrame({"run_id": ["p0-r0", "p1-r0"], "point": [0, 1], "replicate": [0, 0], "seed": [1, 1], "status": ["ok", "ok"],
                  "drones.count": [2, 4], "shipments_seized": [3, 5], "port_seizure_share": [None, None]}).to_parquet(
        tmp_path / "results.parquet")
    write_marker(tmp_path, "sweep")
    assert main(["plot", str(tmp_path), "--quiet"]) == 0


@pytest.mark.parametrize("text, needle", [
    ("", "file: expected the Sobol indices"),
    ("\x00\xff\xfe garbage", "expected the Sobol indices"),
    ("outcome,parameter,S1\nshipments_seized,drones.count,0.5\n", "S1_conf: expected the Sobol indices"),
    ("outcome,parameter,S1,S1_conf,ST,ST_conf\nshipments_seized,drones.count,abc,0.1,0.5,0.1\n", "S1: expected a finite"),
    ("outcome,parameter,S1,S1_conf,ST,ST_conf\nshipments_seized,drones.count,0.5,0.1,inf,0.1\n", "ST: expected a finite"),
])
def test_plot_refuses_a_sobol_table_it_cannot_draw_and_keeps_the_figures(tmp_path, capsys, text, needle):
    import pandas as pd

    from sim.outfolder import write_marker

    pd.DataFrame({"run_id": ["p0-r0", "p1-r0"], "point": [0, 1], "replicate": [0, 0], "seed": [1, 1], "status": ["ok", "ok"],
                  "drones.count": [2, 4], "shipments_seized": [3, 5]}).to_parquet(tmp_path / "results.parquet")
    write_marker(tmp_path, "sweep")
    (tmp_path / "sobol.csv").write_bytes(text.encode("latin-1"))
    (tmp_path / "sobol_indices.png").write_bytes(b"kept")
    assert main(["plot", str(tmp_path)]) == 2
    one_error(capsys, "sobol.csv", needle)
    assert (tmp_path / "sobol_indices.png").read_bytes() == b"kept"


def test_a_platforms_fields_can_be_swept_and_calibrated(tmp_path):
    """The crewed-or-uncrewed lever is a declared platform's fields: a sweep over them runs, a calibration prior takes them."""
    from sim.calibration.config import load_calibration
    from sim.sweep.design import design_points, load_sweep

    (tmp_path / "base.toml").write_text(BASE + '[platforms.p3]\nkind = "crewed"\ncount = 1\n')
    path = tmp_path / "sw.toml"
    path.write_text('[sweep]\nbase = "base.toml"\ndesign = "grid"\n[sweep.parameters]\n'
                    '"platforms.p3.count" = [0, 6]\n"platforms.p3.speed_kmh" = [300, 450]\n')
    points = design_points(load_sweep(path))
    assert {(p["platforms.p3.count"], p["platforms.p3.speed_kmh"]) for p in points} == {(0, 300), (0, 450), (6, 300), (6, 450)}
    assert sweep(path, tmp_path / "out") == 0
    import pandas as pd

    frame = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert (frame["status"] == "ok").all() and set(frame["platforms.p3.count"]) == {0, 6}
    config = tmp_path / "cal.toml"
    config.write_text('[calibration]\nscenario = "base.toml"\n[calibration.parameters."platforms.p3.detect_prob"]\n'
                      'prior = "uniform"\nlow = 0.1\nhigh = 0.9\n[calibration.targets.oig_flown_hours_share]\n')
    assert [prior.name for prior in load_calibration(config).priors] == ["platforms.p3.detect_prob"]


def test_files_named_in_sweep_and_calibration_files_are_found_beside_them(tmp_path):
    """A relative path in [sweep.fixed], a swept level or calibration.fixed is beside the file that names it, not beside
    the base scenario (here in another folder)."""
    import numpy as np

    from sim.calibration.config import load_calibration
    from sim.sweep.design import load_sweep

    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "base.toml").write_text(BASE)
    (tmp_path / "studies").mkdir()
    for name in ("people.npy", "other.npy"):
        np.save(tmp_path / "studies" / name, np.full((64, 64), 10.0))
    path = tmp_path / "studies" / "sw.toml"
    path.write_text('[sweep]\nbase = "../scenarios/base.toml"\ndesign = "grid"\n[sweep.fixed]\n"world.cost_file" = ""\n'
                    '"world.population_file" = "people.npy"\n[sweep.parameters]\n"sites.file" = [""]\n'
                    '"airspace.mask_file" = [""]\n"world.roads_file" = ["", "other.npy"]\n')
    spec = load_sweep(path)
    assert spec.base.resolve_path("world.population_file") == tmp_path / "studies" / "people.npy"
    assert spec.parameters["world.roads_file"] == ["", str(tmp_path / "studies" / "other.npy")]
    config = tmp_path / "studies" / "cal.toml"
    config.write_text('[calibration]\nscenario = "../scenarios/base.toml"\n[calibration.fixed]\n'
                      '"world.population_file" = "people.npy"\n[calibration.parameters."drones.detect_prob"]\n'
                      'prior = "uniform"\nlow = 0.1\nhigh = 0.9\n[calibration.targets.oig_flown_hours_share]\n')
    assert load_calibration(config).scenario.resolve_path("world.population_file") == tmp_path / "studies" / "people.npy"


def test_a_prior_that_can_draw_a_value_the_scenario_refuses_is_refused_before_anything_runs(tmp_path, capsys):
    """drones.focus_corridor up to 8 on a world of 3 corridors: one line naming the prior and the value, exit 2, no folder
    (it used to kill the sampler's worker: exit 1, a traceback and a half-made folder)."""
    (tmp_path / "base.toml").write_text(BASE)
    config = tmp_path / "cal.toml"
    config.write_text('[calibration]\nscenario = "base.toml"\npopulation = 4\ngenerations = 1\n'
                      '[calibration.parameters."drones.focus_corridor"]\nprior = "uniform"\nlow = 0\nhigh = 8\n'
                      '[calibration.targets.oig_flown_hours_share]\n')
    assert main(["calibrate", str(config), "--workers", "1", "--out", str(tmp_path / "out")]) == 2
    one_error(capsys, "calibration.parameters.drones.focus_corridor", "refuses 8", "up to 3")
    assert not (tmp_path / "out").exists()


def test_a_run_the_scenario_refuses_gives_no_statistic(tmp_path):
    from sim.calibration.evaluate import run_statistics
    from sim.scenario import Scenario

    scenario = Scenario().with_overrides({"world.height": 64, "world.width": 64, "run.steps": 2}, "test")
    assert run_statistics(scenario, {"drones.focus_corridor": 3}, ("total_cost",), 2, 0)["total_cost"] > 0
    assert math.isnan(run_statistics(scenario, {"drones.focus_corridor": 8}, ("total_cost",), 2, 0)["total_cost"])


def test_sweep_and_viz_refuse_a_base_scenario_no_run_could_start_from(tmp_path, capsys):
    """drones.focus_corridor = 7 on a world of 3 corridors: validate refuses it, and so do sweep (unless the sweep varies
    that field: its points decide) and the live page, before anything runs or is served."""
    path = sweep_over(tmp_path, '"drones.count" = [1, 2]')
    (tmp_path / "base.toml").write_text(BASE + "focus_corridor = 7\n")  # in [drones]
    assert sweep(path, tmp_path / "out") == 2
    one_error(capsys, "base.toml", "drones.focus_corridor", "up to 3, got 7")
    assert not (tmp_path / "out").exists()
    assert main(["viz", str(tmp_path / "base.toml"), "--port", "1"]) == 2
    one_error(capsys, "drones.focus_corridor", "up to 3, got 7")
    path.write_text(path.read_text().replace('"drones.count" = [1, 2]', '"drones.focus_corridor" = [1, 7]'))
    assert sweep(path, tmp_path / "out") == 0  # point 1 fails as a run
    capsys.readouterr()
