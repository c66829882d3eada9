"""The command line's doors: OS errors and internal faults as one line, user text never read as markup, cheap validation."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from rich.progress import Progress

import sim.cli
from sim.cli import main, progress_columns
from sim.os_errors import MAX_PATH_CHARS, describe
from sim.preflight import NO_PATH, any_route
from sim.routes import plan_routes
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.world import build_world

TINY = "[world]\nheight = 64\nwidth = 64\n[run]\nsteps = 4\n"


def error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines the command printed on standard error."""
    return capsys.readouterr().err.strip().splitlines()


def scenario_file(folder: Path, name: str = "tiny.toml", text: str = TINY) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- operating-system errors: one line, the path and the problem, exit 2 ------------------------

@pytest.mark.parametrize(("code", "problem"), [
    (errno.ENOSPC, "disk full"), (errno.ENOENT, "not found"), (errno.ENAMETOOLONG, "name too long"),
    (errno.ENOTDIR, "a part of it is a file, not a folder"), (errno.EBUSY, "in use (busy)"),
])
def test_os_errors_read_as_the_path_and_a_plain_problem(code, problem, tmp_path):
    assert describe(OSError(code, "strerror", str(tmp_path / "out"))) == f"{tmp_path / 'out'}: {problem}"


def test_permission_denied_names_the_folder_that_refused(tmp_path):
    assert (
        describe(PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "new")))
        == f"{tmp_path}: not writable (permission denied)"
    )
    assert (
        describe(OSError(errno.EROFS, "Read-only file system", str(tmp_path / "new")))
        == f"{tmp_path}: not writable (read-only file system)"
    )
    existing = scenario_file(tmp_path)
    assert describe(PermissionError(errno.EACCES, "Permission denied", str(existing))) == f"{existing}: permission denied"


def test_os_error_lines_escape_control_characters_and_shorten_long_paths():
    line = describe(OSError(errno.ENOENT, "No such file", "a\nb\x1b[31m" + "x" * 1000))
    assert "\n" not in line and "\x1b" not in line and "a\\nb\\x1b[31m" in line
    assert len(line) < MAX_PATH_CHARS + 40


def test_out_below_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    scenario, blocker = scenario_file(tmp_path), scenario_file(tmp_path, "notes.txt", "the user's notes")
    assert main(["run", str(scenario), "--out", str(blocker / "run"), "--quiet"]) == 2
    [line] = error_lines(capsys)
    assert line.startswith(f"skywatch: error: {blocker}") and "file" in line
    assert blocker.read_text() == "the user's notes"


def test_out_name_too_long_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["run", str(scenario_file(tmp_path)), "--out", str(tmp_path / ("x" * 300)), "--quiet"]) == 2
    [line] = error_lines(capsys)
    assert line.startswith("skywatch: error: ") and "--out: expected a folder name of at most" in line


def test_disk_full_while_writing_names_the_run_folder_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")  # as a write fails: no file named

    scenario, out = scenario_file(tmp_path), tmp_path / "runs" / "full"
    monkeypatch.setattr(np, "save", disk_full)
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 2
    assert error_lines(capsys) == [f"skywatch: error: {out}: disk full"]
    assert list((tmp_path / "runs").iterdir()) == [], "no run folder and no staging folder are left"


def test_unwritable_out_folder_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    real_mkdir = os.mkdir

    def refusing_mkdir(path, *args, **kwargs):  # root may write anywhere: refuse as the kernel would
        if Path(path).parent == tmp_path:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_mkdir(path, *args, **kwargs)

    scenario = scenario_file(tmp_path)
    monkeypatch.setattr(os, "mkdir", refusing_mkdir)
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert error_lines(capsys) == [f"skywatch: error: {tmp_path}: not writable (permission denied)"]


def test_several_errors_give_one_line_each(tmp_path, capsys, monkeypatch):
    class TwoErrors(ScenarioError):
        def __str__(self) -> str:
            return "f.toml: drones.count: expected an integer\nf.toml: drones.patrol: expected one of random|lawnmower"

    def load(_):
        raise TwoErrors("f.toml", "", "")

    monkeypatch.setattr(sim.cli, "load_scenario", load)
    assert main(["validate", "f.toml"]) == 2
    assert error_lines(capsys) == ["skywatch: error: f.toml: drones.count: expected an integer",
                                   "skywatch: error: f.toml: drones.patrol: expected one of random|lawnmower"]


def test_an_internal_fault_keeps_its_traceback_and_ends_in_one_line_saying_so(tmp_path, capsys, monkeypatch):
    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(sim.cli, "cmd_validate", broken)
    assert main(["validate", "baseline"]) == 1
    lines = error_lines(capsys)
    assert lines[0].startswith("Traceback")
    assert lines[-1].startswith("skywatch: internal error: RuntimeError: a bug") and "report" in lines[-1]


# --- user text is never markup ------------------------------------------------------------------

def test_validate_a_path_that_looks_like_markup(tmp_path, capsys):
    path = scenario_file(tmp_path, "x[/y].toml")  # folder "x[", file "y].toml"
    assert main(["validate", str(path)]) == 0
    assert f"{path}: ok" in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "[bold]x[/nope].toml")]) == 2
    [line] = error_lines(capsys)
    assert "[bold]x[/nope].toml" in line


def test_run_into_a_folder_that_looks_like_markup(tmp_path, capsys):
    out = tmp_path / "out[/z]"
    assert main(["run", str(scenario_file(tmp_path, "[red]s.toml")), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (out / "summary.json").is_file()
    assert f"run folder: {out}" in printed and "[red]s" in printed  # the table's title names the scenario as written


def test_progress_descriptions_are_plain_text():
    screen = io.StringIO()
    with Progress(*progress_columns(), console=Console(file=screen, force_terminal=True, width=120)) as progress:
        progress.add_task("[bold]x[/y] seed 1", total=3)
    assert "[bold]x[/y] seed 1" in screen.getvalue()


# --- validation: what a run accepts, without planning routes ------------------------------------

def with_cost(folder: Path, cost: np.ndarray, **overrides) -> Scenario:
    np.save(folder / "cost.npy", cost)
    h, w = cost.shape
    path = scenario_file(folder, "world.toml", f'[world]\nheight = {h}\nwidth = {w}\ncost_file = "cost.npy"\n')
    return load_scenario(path).with_overrides(overrides, "test")


def test_connectivity_agrees_with_the_route_planner(tmp_path):
    """On walls of random holes near the percolation threshold, where some worlds connect and some do not."""
    verdicts = []
    for seed in range(24):
        rng = np.random.default_rng(seed)
        cost = np.where(rng.random((64, 64)) < 0.55 + 0.01 * (seed % 8), np.inf, 1.0)
        cost[:2], cost[-12:] = 1.0, 1.0  # room for sinks on the northern edge and sources in the south
        scenario = with_cost(tmp_path, cost)
        world = build_world(scenario)
        routes = plan_routes(
            world.cell_hours.astype(np.float64), world.sources, world.sinks, world.corridor, len(world.corridor_names)
        )
        verdicts.append(any_route(world.cell_hours, world.sources, world.sinks))
        assert verdicts[-1] == (routes.source.size > 0), f"seed {seed}"
    assert 0 < sum(verdicts) < len(verdicts), "the walls should connect some worlds and cut others"


def test_a_diagonal_gap_is_a_path_as_the_planner_moves(tmp_path, capsys):
    cost = np.ones((64, 64))
    cost[31, :], cost[32, :] = np.inf, np.inf
    cost[31, 10], cost[32, 11] = 1.0, 1.0  # passable only by the diagonal step (31, 10) → (32, 11)
    scenario = with_cost(tmp_path, cost)
    assert main(["validate", scenario.source]) == 0
    cost[32, 11] = np.inf
    with_cost(tmp_path, cost)
    assert main(["validate", scenario.source]) == 2
    assert error_lines(capsys) == [f"skywatch: error: {scenario.source}: world.cost_file: {NO_PATH}"]


def test_validate_rejects_what_the_model_rejects(tmp_path, capsys):
    walled = np.ones((64, 64))
    walled[32, :] = np.inf
    scenario = with_cost(tmp_path, walled)
    with pytest.raises(ScenarioError, match=NO_PATH):
        sim.cli.simulate(scenario)
    assert main(["validate", scenario.source]) == 2
    assert len(error_lines(capsys)) == 1


def test_validate_plans_no_route(tmp_path, capsys, monkeypatch):
    def no_planning(*args, **kwargs):
        raise AssertionError("validate planned routes")

    monkeypatch.setattr("sim.ports.plan_routes", no_planning)  # every route is planned to the crossings of sim.ports
    path = scenario_file(tmp_path, text="[world]\nheight = 512\nwidth = 512\nsources = 64\nsinks = 64\n")
    assert main(["validate", str(path)]) == 0
    assert "512×512 world, 64 sources, 64 sinks" in capsys.readouterr().out
