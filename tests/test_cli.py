"""The public command line, end to end, as a user runs it."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.params import PLATFORM_KINDS
from sim.scenario import shipped_scenarios

SHORT = ["--steps", "40", "--set", "world.height=80", "--set", "world.width=80"]


def skywatch(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)], cwd=cwd, check=False, capture_output=True, text=True, timeout=600
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def short_run(name: str) -> list[str]:
    """SHORT; for a scenario with airspace zones or sites (in km for the default 256 km world), cells as large as fit it in 80.

    A georeferenced scenario (world.crs) keeps its own grid: only its steps are cut.
    """
    doc = tomllib.loads(shipped_scenarios()[name].read_text())
    if doc.get("world", {}).get("crs"):
        return SHORT[:2]
    in_km = doc.get("airspace", {}).get("zones_km") or doc.get("sites")
    return [*SHORT, "--set", "world.cell_km=3.2"] if in_km else SHORT


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_every_shipped_scenario_runs_and_writes_its_folder(name, tmp_path):
    result = skywatch("run", name, *short_run(name), "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} >= {"summary.json", "metrics.csv", "flow.npy", "scenario.toml", "overview.png"}
    summary = json.loads((out / "summary.json").read_text())
    required = {"shipments_launched", "shipments_delivered", "shipments_seized", "shipments_in_transit", "value_delivered",
                "value_seized", "seizure_rate", "detections", "intercepts", "tips", "infrastructure_total",
                "infrastructure_discovered", "drones_lost", "drone_flight_hours", "surveillance_cost", "cost_per_seizure",
                "encryption_level", "counter_drone_level", "route_dispersion", "corridor_flow", "violence_events",
                "privacy_exposure", "trust", "seed", "world_seed", "steps", "version", "scenario_sha256", "total_cost",
                "cost_breakdown", "network_spread", "network_cells"}
    assert required <= summary.keys()
    assert summary["steps"] == 40
    resolved = tomllib.loads((out / "scenario.toml").read_text())["world"]
    shape = (resolved["height"], resolved["width"])
    assert np.load(out / "flow.npy").shape == shape
    assert shape == (80, 80) or resolved["crs"], "only a georeferenced world keeps its own grid"
    metrics = (out / "metrics.csv").read_text().splitlines()
    assert len(metrics) == 41 + 1 and metrics[0].startswith("step,")
    assert "shipments_launched" in result.stdout
    assert (out / "overview.png").stat().st_size > 20_000


def test_resolved_scenario_repeats_the_run(tmp_path):
    first = skywatch(
        "run", "drone_surge", *SHORT, "--seed", "5", "--set", "drones.count=7", "--out", tmp_path / "a", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    again = skywatch("run", tmp_path / "a" / "scenario.toml", "--out", tmp_path / "b", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    a, b = (json.loads((tmp_path / d / "summary.json").read_text()) for d in "ab")
    assert a == b
    assert a["seed"] == 5
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "flow.npy"), np.load(tmp_path / "b" / "flow.npy"))


def test_existing_folder_needs_force(tmp_path):
    out = tmp_path / "out"
    assert skywatch("run", "baseline", *SHORT, "--out", out, cwd=tmp_path).returncode == 0
    before = (out / "summary.json").read_text()
    refused = skywatch("run", "baseline", *SHORT, "--seed", "9", "--out", out, cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (out / "summary.json").read_text() == before
    forced = skywatch("run", "baseline", *SHORT, "--seed", "9", "--out", out, "--force", cwd=tmp_path)
    assert forced.returncode == 0
    assert json.loads((out / "summary.json").read_text())["seed"] == 9
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "no staging folders are left behind"


BAD_SCENARIOS = {
    "not_toml": ("[drones\ncount = 3\n", "toml", "not valid TOML"),
    "unknown_key": ("[drones]\ncuont = 3\n", "drones.cuont", "did you mean 'drones.count'"),
    "unknown_section": ("[drone]\ncount = 3\n", "drone.count", "did you mean 'drones.count'"),
    "wrong_type": ("[drones]\ncount = \"many\"\n", "drones.count", "expected an integer"),
    "bool_for_int": ("[drones]\ncount = true\n", "drones.count", "expected an integer"),
    "out_of_bounds": ("[drones]\ndetect_prob = 1.5\n", "drones.detect_prob", "[0, 1]"),
    "bad_choice": ("[drones]\npatrol = \"zigzag\"\n", "drones.patrol", "random|lawnmower"),
    "not_a_table": ("drones = 3\n", "drones", "expected a table"),
    "missing_npy": ("[world]\ncost_file = \"nowhere.npy\"\n", "world.cost_file", "file not found"),
    "negative_hazard": ("[counter]\nloss_hazard_per_h = -0.5\n", "counter.loss_hazard_per_h", "[0, 100]"),
    "zero_threshold": ("[counter]\nthreshold_per_day = 0\n", "counter.threshold_per_day", "[0.01, 1e+06]"),
    "rate_above_one": ("[adaptation]\nrate = 1.5\n", "adaptation.rate", "[0, 1]"),
    "no_such_corridor": ("[drones]\nfocus_corridor = 5\n", "drones.focus_corridor", "corridor number up to 3"),
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_bad_scenarios_get_one_line_and_exit_2(case, tmp_path):
    text, field, expected = BAD_SCENARIOS[case]
    path = write(tmp_path / f"{case}.toml", text)
    for command in (["run", path, "--out", tmp_path / "out"], ["validate", path]):
        result = skywatch(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert str(path) in lines[0] and field in lines[0] and expected in lines[0]
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_npy_of_wrong_shape_and_impossible_world(tmp_path):
    np.save(tmp_path / "small.npy", np.ones((10, 10)))
    wrong = write(tmp_path / "wrong.toml", "[world]\nheight = 64\nwidth = 64\ncost_file = \"small.npy\"\n")
    result = skywatch("run", wrong, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2 and "world.cost_file" in result.stderr and "(64, 64)" in result.stderr
    walled = np.ones((64, 64))
    walled[32, :] = np.inf  # a wall across the whole world: the south cannot reach the north
    np.save(tmp_path / "walled.npy", walled)
    impossible = write(tmp_path / "walled.toml", "[world]\nheight = 64\nwidth = 64\ncost_file = \"walled.npy\"\n")
    result = skywatch("run", impossible, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "no" in result.stderr and "path" in result.stderr
    assert not (tmp_path / "out").exists()


def test_npy_inputs_are_used(tmp_path):
    cost = np.full((64, 64), 0.2, np.float32)
    population = np.zeros((64, 64), np.float32)
    population[:, :32] = 10.0
    np.save(tmp_path / "cost.npy", cost)
    np.save(tmp_path / "people.npy", population)
    path = write(
        tmp_path / "s.toml", '[world]\nheight = 64\nwidth = 64\ncost_file = "cost.npy"\npopulation_file = "people.npy"\n'
    )
    result = skywatch("run", path, "--steps", "30", "--set", "drones.count=5", "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["privacy_exposure"] > 0
    resolved = (tmp_path / "out" / "scenario.toml").read_text()
    assert str(tmp_path / "cost.npy") in resolved


def test_a_set_value_the_built_world_refuses_is_named_as_from_the_command_line(tmp_path, capsys):
    small = ["--set", "world.height=64", "--set", "world.width=64", "--steps", "2", "--out", str(tmp_path / "out")]
    assert main(["run", "baseline", "--set", "drones.focus_corridor=7", *small]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skywatch: error: --set: drones.focus_corridor: expected 0 or a corridor number up to 3, got 7")
    assert not (tmp_path / "out").exists()
    # a part of a value given (a point of a list), and a value of the file that must agree with one given
    assert main(["run", "baseline", "--set", "world.sources=1", "--set", "sites.sources_km=[[1000,2]]", *small]) == 2
    assert capsys.readouterr().err.startswith("skywatch: error: --set: sites.sources_km[0]: expected a point inside the world")
    assert main(["run", "baseline", "--set", "sites.sources_km=[[1,2]]", *small]) == 2
    assert capsys.readouterr().err.startswith("skywatch: error: --set: world.sources: expected 1, the number of sources given "
                                              "in sites.sources_km")
    assert not (tmp_path / "out").exists()


def test_bad_overrides(tmp_path):
    result = skywatch("run", "baseline", "--set", "drones.count=-1", cwd=tmp_path)
    assert result.returncode == 2 and "--set: drones.count" in result.stderr
    result = skywatch("run", "baseline", "--set", "nonsense", cwd=tmp_path)
    assert result.returncode == 2 and "KEY=VALUE" in result.stderr
    result = skywatch("run", "no_such_scenario", cwd=tmp_path)
    assert result.returncode == 2 and "baseline" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_set_values_are_checked_together_so_a_crs_and_its_bbox_can_be_given(tmp_path):
    geo = ["--set", "world.crs=EPSG:32612", "--set", "world.bbox=[-111.5, 30, -110.5, 31]", "--steps", "2"]
    result = skywatch("run", "baseline", *geo, "--out", tmp_path / "geo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    resolved = tomllib.loads((tmp_path / "geo" / "scenario.toml").read_text())["world"]
    assert resolved["crs"] == "EPSG:32612" and resolved["bbox"] == [-111.5, 30, -110.5, 31]


def test_a_platform_made_uncrewed_by_set_takes_the_uncrewed_defaults(tmp_path):
    path = write(tmp_path / "s.toml", '[platforms.p3]\nkind = "crewed"\ncount = 1\nendurance_h = 9.0\n')
    result = skywatch("run", path, "--steps", "2", "--set", "platforms.p3.kind=uncrewed", "--set", "platforms.g.count=2",
                      "--set", "platforms.g.kind=uncrewed", "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    resolved = tomllib.loads((tmp_path / "out" / "scenario.toml").read_text())["platforms"]
    assert resolved["p3"]["kind"] == "uncrewed" and resolved["p3"]["endurance_h"] == 9.0  # what the file gave stays
    for name in ("p3", "g"):
        assert resolved[name]["speed_kmh"] == PLATFORM_KINDS["uncrewed"]["speed_kmh"] != PLATFORM_KINDS["crewed"]["speed_kmh"]
        assert resolved[name]["cost_per_hour"] == PLATFORM_KINDS["uncrewed"]["cost_per_hour"]


def test_params_scenarios_and_validate_list_what_they_should(tmp_path):
    params = skywatch("params", cwd=tmp_path)
    assert params.returncode == 0 and "drones.count" in params.stdout and "km/h" in params.stdout
    scenarios = skywatch("scenarios", cwd=tmp_path)
    assert scenarios.returncode == 0 and "baseline" in scenarios.stdout and "drone_surge" in scenarios.stdout
    ok = skywatch("validate", "drone_surge", cwd=tmp_path)
    assert ok.returncode == 0 and "ok" in ok.stdout


def test_compare_puts_runs_side_by_side(tmp_path):
    for name in ("baseline", "drone_surge"):
        assert skywatch("run", name, *SHORT, "--out", tmp_path / name, "--quiet", cwd=tmp_path).returncode == 0
    result = skywatch("compare", tmp_path / "baseline", tmp_path / "drone_surge", "--out", tmp_path / "cmp", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "baseline" in result.stdout and "drone_surge" in result.stdout and "seizure_rate" in result.stdout
    assert (tmp_path / "cmp" / "comparison.png").stat().st_size > 20_000
    refused = skywatch("compare", tmp_path / "baseline", tmp_path, cwd=tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1 and "summary.json" in refused.stderr


def test_viz_on_a_port_in_use_or_an_address_not_this_machines_is_refused_in_one_line(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["viz", "baseline", "--port", str(port)]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, captured.err
        assert f"127.0.0.1:{port}: --port: expected an address this machine can listen on" in captured.err
    assert main(["viz", "baseline", "--host", "192.0.2.1", "--port", str(port)]) == 2  # TEST-NET-1: nobody's
    assert "--host: expected an address this machine can listen on" in capsys.readouterr().err


def test_plot_refuses_a_run_folder_whose_scenario_changed_since_the_run_and_keeps_its_overview(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "baseline", "--steps", "5", "--quiet", "--out", str(out)]) == 0
    scenario = out / "scenario.toml"
    scenario.write_text(scenario.read_text().replace("\nsteps = 5\n", "\nsteps = 6\n"))
    overview = (out / "overview.png").read_bytes()
    capsys.readouterr()
    assert main(["plot", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "scenario.toml: scenario_sha256: expected the scenario the run recorded" in err, err
    assert (out / "overview.png").read_bytes() == overview
    scenario.write_text(scenario.read_text().replace("\nsteps = 6\n", "\nsteps = 5\n"))
    assert main(["plot", str(out), "--quiet"]) == 0, "the scenario the run recorded redraws"
