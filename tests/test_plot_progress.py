"""Progress of the long drawing commands: `skywatch plot RUN --animate` counts steps, `skywatch plot SWEEP` figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

import sim.cli
from sim.cli import main
from sim.model import SkywatchModel
from sim.outcomes import summarize
from sim.run import simulate
from sim.scenario import load_scenario
from sim.viz.animation import write_animation
from sim.viz.sweep_plots import plan_sweep_figures

STEPS = 12  # one frame a step: 13 frames
SMALL = f"[world]\nheight = 64\nwidth = 64\n[drones]\ncount = 4\n[run]\nsteps = {STEPS}\n"
SWEEP = ('[sweep]\nbase = "drone_surge"\ndesign = "grid"\n[sweep.fixed]\n"world.height" = 64\n"world.width" = 64\n'
         '"run.steps" = 12\n[sweep.parameters]\n"drones.count" = [0, 6]\n"drones.detect_prob" = [0.3, 0.9]\n')
SWEEP_FIGURES = ["outcomes_vs_drones.count.png", "outcomes_vs_drones.detect_prob.png",
                 "heatmap_drones.count_drones.detect_prob.png"]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plot")
    (folder / "small.toml").write_text(SMALL)
    assert main(["run", str(folder / "small.toml"), "--out", str(folder / "run"), "--quiet"]) == 0
    return folder / "run"


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plot_sweep")
    (folder / "sw.toml").write_text(SWEEP)
    assert main(["sweep", str(folder / "sw.toml"), "--out", str(folder / "out"), "--workers", "1", "--no-plots", "--quiet"]) == 0
    return folder / "out"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard error as a terminal, so rich draws its bars (it draws none into a file or a pipe); stdout as it is."""
    monkeypatch.setenv("TERM", "xterm")
    def console(stderr: bool = False) -> Console:
        return Console(stderr=stderr, markup=False, highlight=False, force_terminal=stderr, width=200)

    monkeypatch.setattr(sim.cli, "console", console)


def test_the_animation_counts_every_step_and_leaves_the_run_as_a_plain_run_ends(tmp_path: Path) -> None:
    (tmp_path / "small.toml").write_text(SMALL)
    scenario = load_scenario(tmp_path / "small.toml")
    model = SkywatchModel(scenario)
    counts: list[int] = []
    write_animation(model, tmp_path / "animation", every=12, on_step=counts.append)
    assert counts == list(range(1, STEPS + 1))
    assert summarize(model) == summarize(simulate(scenario)), "drawing the frames changed the run"


def test_sweep_figures_are_counted_up_to_a_total_known_before_drawing(sweep_folder: Path) -> None:
    for png in sweep_folder.glob("*.png"):
        png.unlink()
    figures = plan_sweep_figures(sweep_folder)
    assert len(figures) == len(SWEEP_FIGURES) and not list(sweep_folder.glob("*.png")), "planning draws nothing"
    counts: list[int] = []
    assert [p.name for p in figures.write(on_figure=counts.append)] == SWEEP_FIGURES
    assert counts == list(range(1, len(SWEEP_FIGURES) + 1))


def animation_path(run: Path) -> Path:
    return next(run.glob("animation.*"))


def test_plot_animate_shows_its_steps_on_stderr_only(
    run_folder: Path, terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plot", str(run_folder), "--animate"]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [str(run_folder / "overview.png"), str(animation_path(run_folder))]
    assert f"animate {run_folder}" in printed.err and f"{STEPS}/{STEPS}" in printed.err


def test_plot_animate_quiet_prints_only_the_paths_and_runs_once_for_the_same_overview(
    run_folder: Path, terminal: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plot", str(run_folder), "--quiet"]) == 0
    assert capsys.readouterr() == (f"{run_folder / 'overview.png'}\n", "")
    overview = (run_folder / "overview.png").read_bytes()
    steps: list[int] = []
    step = SkywatchModel.step

    def counted_step(model: SkywatchModel) -> None:
        steps.append(model.steps)
        step(model)

    monkeypatch.setattr(SkywatchModel, "step", counted_step)
    assert main(["plot", str(run_folder), "--animate", "--quiet"]) == 0
    assert capsys.readouterr() == (f"{run_folder / 'overview.png'}\n{animation_path(run_folder)}\n", "")
    assert len(steps) == STEPS, "the overview and the animation come from one run"
    assert (run_folder / "overview.png").read_bytes() == overview, "the animated run is the run plot repeats"


@pytest.mark.parametrize("quiet", [False, True], ids=["bar", "quiet"])
def test_plot_of_a_sweep_shows_its_figures_on_stderr_only(sweep_folder: Path, terminal: None, quiet: bool,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", str(sweep_folder), *(["--quiet"] if quiet else [])]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [str(sweep_folder / name) for name in SWEEP_FIGURES]
    if quiet:
        assert printed.err == ""
    else:
        assert f"figures of {sweep_folder}" in printed.err and f"{len(SWEEP_FIGURES)}/{len(SWEEP_FIGURES)}" in printed.err


def test_plot_interrupted_keeps_the_last_animation_whole_and_says_so(run_folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import sim.viz.animation as animation

    assert main(["plot", str(run_folder), "--animate", "--quiet"]) == 0
    before = {path.name: path.read_bytes() for path in run_folder.iterdir()}
    frames = [0]

    def stopped(fig, model) -> None:
        frames[0] += 1
        if frames[0] == 4:  # Ctrl-C while the new animation is being written
            raise KeyboardInterrupt

    monkeypatch.setattr(animation, "draw_live_map", stopped)
    capsys.readouterr()
    assert main(["plot", str(run_folder), "--animate", "--quiet"]) == 130
    assert "no file was left half-written" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in run_folder.iterdir()} == before, "the old animation whole, no temporary"


def test_plot_draws_only_into_folders_skywatch_made(run_folder: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine"  # a folder the user assembled from a run's files, with a figure of their own
    mine.mkdir()
    for name in ("summary.json", "scenario.toml"):
        (mine / name).write_bytes((run_folder / name).read_bytes())
    (mine / "overview.png").write_text("my own figure")
    assert main(["plot", str(mine), "--quiet"]) == 2
    assert "with its .skywatch marker" in capsys.readouterr().err
    assert (mine / "overview.png").read_text() == "my own figure"
