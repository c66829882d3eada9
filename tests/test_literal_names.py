"""Names from the user (scenario files, basemap towns) are drawn letter for letter in every figure, never read as maths."""

from pathlib import Path

import matplotlib.pyplot as plt

from sim.cli import main
from sim.viz.figures import literal

NAME = r"m$\frac{a$"  # an unclosed maths command: matplotlib refuses it if it reads it as maths
SMALL = "[world]\nheight = 64\nwidth = 64\n[run]\nsteps = 8\n"


def test_a_literal_is_drawn_where_the_name_itself_is_refused_as_maths() -> None:
    for text, refused in ((NAME, True), (literal(NAME), False)):
        figure = plt.figure()
        figure.text(0.5, 0.5, text)
        try:
            figure.canvas.draw()
        except ValueError:
            assert refused, text
        else:
            assert not refused, text
        plt.close(figure)


def test_a_run_of_a_scenario_whose_name_reads_as_maths_draws_its_overview(tmp_path: Path) -> None:
    scenario = tmp_path / f"{NAME}.toml"
    scenario.write_text(SMALL)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--quiet", "--out", str(out)]) == 0
    assert (out / "overview.png").stat().st_size > 0


def test_a_brief_of_a_scenario_whose_name_reads_as_maths_is_written(tmp_path: Path) -> None:
    (tmp_path / "plain.toml").write_text(SMALL)
    (tmp_path / f"{NAME}.toml").write_text(SMALL + "[drones]\ncount = 2\n")
    out = tmp_path / "brief.html"
    argv = ["brief", str(tmp_path / "plain.toml"), str(tmp_path / f"{NAME}.toml"), "--replications", "2", "--workers", "1",
            "--out", str(out), "--quiet"]
    assert main(argv) == 0
    assert NAME in out.read_text(encoding="utf-8")
