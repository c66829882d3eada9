"""A quick `skywatch run`: Mesa's core alone at launch, the overview's map as one raster and one line of tracks,
the overview drawn by a forked child."""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.colors import LogNorm, to_rgb

import sim.run
import sim.viz.figures
from sim.cli import main
from sim.metrics import MetricsRecorder
from sim.run import simulate, write_metrics, write_run_folder
from sim.scenario import Scenario, load_scenario
from sim.viz.figures import (
    IMPASSABLE_COLOUR,
    OKABE_ITO,
    draw_map,
    draw_overview,
    map_raster,
    terrain_masks,
    trailing_sums,
    write_figures,
)
from sim.viz.overview_child import overview_in_child

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"world.height": 96, "world.width": 96, "drones.count": 4, "run.steps": 40}

MESA_PROBE = """
import json, sys
import sim.cli
from sim.model import SkywatchModel
loaded = {name: name in sys.modules
          for name in ("scipy.spatial", "networkx", "mesa.discrete_space", "mesa.batchrunner", "pandas", "matplotlib")}
import mesa
from mesa.experimental import devs
print(json.dumps({"loaded_at_launch": loaded, "model_base_is_mesa_model": SkywatchModel.__mro__[1] is mesa.Model,
                  "datacollector": mesa.DataCollector.__module__, "version": mesa.__version__,
                  "same_model_class": mesa.model.Model is mesa.Model, "devs": devs.__name__}))
"""


def small(**overrides: object) -> Scenario:
    return Scenario().with_overrides({**SMALL, **{k.replace("__", "."): v for k, v in overrides.items()}}, "test")


def test_the_cli_loads_mesas_model_and_agent_alone_and_the_rest_of_mesa_on_first_use() -> None:
    result = subprocess.run([sys.executable, "-c", MESA_PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout)
    assert not any(seen["loaded_at_launch"].values()), seen["loaded_at_launch"]
    assert seen["model_base_is_mesa_model"] and seen["same_model_class"]
    assert seen["datacollector"] == "mesa.datacollection" and seen["version"] and seen["devs"] == "mesa.experimental.devs"


def test_mesas_core_reads_pandas_on_first_use() -> None:
    import mesa.agent
    import pandas

    assert mesa.agent.pd.Series is pandas.Series and mesa.agent.pd.DataFrame is pandas.DataFrame
    with pytest.raises(AttributeError):
        mesa.agent.pd.__file__  # noqa: B018  # what inspect and the import system probe: not there, and no import


def test_the_map_raster_paints_flow_over_terrain_and_tints_unauthorised_airspace(tmp_path: Path) -> None:
    cost = np.full((96, 96), 0.05)
    cost[:, 40:44] = np.inf  # a river with no ford ...
    cost[10:12, 40:44] = 0.05  # ... but one bridge
    np.save(tmp_path / "cost.npy", cost)
    zone = [[[0.0, 0.0], [48.0, 0.0], [48.0, 96.0], [0.0, 96.0]]]
    model = simulate(small(world__cost_file=str(tmp_path / "cost.npy"), airspace__zones_km=zone))
    image, norm = map_raster(model, terrain_masks(model.world))
    assert image.shape == (96, 96, 3) and image.dtype == np.uint8
    flow = model.flow.reshape(96, 96)
    assert isinstance(norm, LogNorm) and norm.vmax == flow.max()
    on_flow = np.argwhere(flow > 0)[0]
    expected = np.round(np.array(colormaps["viridis"](norm(float(flow[tuple(on_flow)])))[:3]) * 255)
    assert tuple(image[tuple(on_flow)]) == tuple(expected), "flow is opaque, on top"
    river = (50, 41)
    assert flow[river] == 0 and tuple(image[river]) == tuple(np.round(np.array(to_rgb(IMPASSABLE_COLOUR)) * 255))
    inside, outside = image[50, 20], image[50, 70]  # open land, authorised and not (no flow on either)
    assert flow[50, 20] == flow[50, 70] == 0
    assert inside[0] == inside[1] == inside[2] and tuple(inside) != tuple(outside), "only the unauthorised side is tinted"


def test_the_drone_tracks_are_one_line_through_every_tracked_position_broken_between_drones() -> None:
    model = simulate(small())
    tracks = np.array(model.air.track)  # (steps, drones, 2)
    fig, ax = plt.subplots()
    draw_map(ax, model)
    lines = [line for line in ax.lines if line.get_color() == OKABE_ITO["sky"]]
    plt.close(fig)
    assert len(lines) == 1
    xy = lines[0].get_xydata()
    breaks = np.flatnonzero(np.isnan(xy[:, 0]))
    assert breaks.size == tracks.shape[1] and len(xy) == tracks.shape[0] * tracks.shape[1] + tracks.shape[1]
    for drone, piece in enumerate(np.split(xy, breaks + 1)[: tracks.shape[1]]):
        np.testing.assert_array_equal(piece[:-1], tracks[:, drone])


def test_the_overview_is_drawn_at_the_dpi_it_is_saved_at_without_a_layout_engine() -> None:
    fig = draw_overview(simulate(small(run__steps=5)))
    plt.close(fig)
    assert fig.get_layout_engine() is None and fig.dpi == 110
    assert fig.axes[0].get_title() == "Terrain, trafficking flow, surveillance and seizures"


@pytest.mark.parametrize("drones", [0, 6])
def test_the_drone_counts_stand_on_zero_with_or_without_drones(drones: int) -> None:
    """The right-hand axes of drones airborne and lost start at 0; with no drones they run to 1, the line on the floor."""
    fig = draw_overview(simulate(small(run__steps=30, drones__count=drones)))
    plt.close(fig)
    counts = {ax.get_ylabel(): ax for ax in fig.axes if ax.get_ylabel() in ("drones airborne", "drones lost")}
    assert sorted(counts) == ["drones airborne", "drones lost"]
    for ax in counts.values():
        low, high = ax.get_ylim()
        (line,) = ax.get_lines()
        assert low == 0.0 and high >= 1.0 and high >= line.get_ydata().max()
        assert drones > 0 or high == pytest.approx(1.05)


def test_the_command_exits_at_once_with_mains_code_and_its_output_flushed(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "sim", "run", "baseline", "--steps", "3", "--quiet", "--out", str(tmp_path / "run")]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith(f"run folder: {tmp_path / 'run'}"), done.stderr
    assert (tmp_path / "run" / "overview.png").is_file()
    refused = subprocess.run([*command[:4], str(tmp_path / "missing.toml")], cwd=tmp_path, capture_output=True, text=True,
                             check=False)
    assert refused.returncode == 2 and refused.stderr.startswith("skywatch: error: ") and len(refused.stderr.splitlines()) == 1


SMALL_RUN = ["--set", "world.height=96", "--set", "world.width=96", "--set", "drones.count=4", "--steps", "40"]


def test_the_forked_child_draws_the_same_overview_as_the_model_in_process(tmp_path: Path) -> None:
    assert main(["run", "nw_mexico", *SMALL_RUN, "--quiet", "--out", str(tmp_path / "first")]) == 0  # a basemap, ports
    resolved = tmp_path / "first" / "scenario.toml"
    assert main(["run", str(resolved), "--quiet", "--out", str(tmp_path / "run")]) == 0
    write_run_folder(simulate(load_scenario(resolved)), tmp_path / "here", extra=write_figures)
    for name in ("metrics.csv", "overview.png", "summary.json", "flow.npy"):
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(p.name for p in (tmp_path / "here").iterdir())


def test_the_childs_os_error_is_one_line_and_exit_2_and_leaves_no_folder(tmp_path: Path, monkeypatch, capsys) -> None:
    def disk_full(fig: object, path: Path) -> None:
        path.write_bytes(b"half a figure")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(sim.viz.figures, "save_overview", disk_full)  # before the fork: the child inherits it
    assert main(["run", "baseline", *SMALL_RUN, "--quiet", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skywatch: error: ") and len(err.splitlines()) == 1 and "disk full" in err, err
    assert list(tmp_path.iterdir()) == [], "neither the folder nor its staging folder is left"


def test_a_bug_in_the_child_is_an_internal_error_with_the_childs_traceback(tmp_path: Path, monkeypatch, capsys) -> None:
    def bug(fig: object, path: Path) -> None:
        raise ZeroDivisionError("a bug in the figure")

    monkeypatch.setattr(sim.viz.figures, "save_overview", bug)
    assert main(["run", "baseline", *SMALL_RUN, "--quiet", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "ZeroDivisionError: a bug in the figure" in err and "in the process drawing the overview figure" in err
    assert "def bug" not in err and "raise ZeroDivisionError" in err, "the child's own traceback"
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_stops_the_child_before_the_staging_folder_is_removed(tmp_path: Path, monkeypatch) -> None:
    """The metrics table cannot be written: the child drawing the figure is stopped while its staging folder is still
    there, not waited for, and nothing is left."""
    events = []

    class Child:
        def wait(self) -> None:
            events.append("wait")

        def stop(self) -> None:
            events.append(("stop", sorted(p.name for p in tmp_path.iterdir())))

    def disk_full(recorder: object, path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(sim.run, "write_metrics", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_run_folder(simulate(small()), tmp_path / "run", extra=lambda model, folder: Child())
    assert len(events) == 1 and events[0][0] == "stop" and len(events[0][1]) == 1, events  # the staging folder, still there
    assert list(tmp_path.iterdir()) == []


def test_a_parent_that_stops_early_kills_and_reaps_its_child() -> None:
    with pytest.raises(KeyboardInterrupt), overview_in_child(small(), None) as write:
        pid = write.__self__.pid
        os.kill(pid, 0)  # running: importing, then waiting for the run
        raise KeyboardInterrupt
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


ODD_VALUES = [0.1, 1e-05, 1e16, 123456789.123, -0.0, float("inf"), float("nan"), 2.5e-300, 1 / 3, 7.0]


@pytest.mark.parametrize("extra", [{}, {"label": lambda m: f"row, {m['row']}"}], ids=["numbers", "with text"])
def test_the_metrics_table_has_the_bytes_pandas_writes(tmp_path: Path, extra: dict) -> None:
    reporters = {"count": lambda m: m["row"] * 7, "value": lambda m: ODD_VALUES[m["row"] % len(ODD_VALUES)],
                 "flag": lambda m: m["row"] % 3 == 0, "int_then_float": lambda m: m["row"] if m["row"] < 4 else m["row"] / 4,
                 **extra}
    recorder = MetricsRecorder(reporters, rows=4)
    for row in range(23):
        recorder.collect({"row": row})
    write_metrics(recorder, tmp_path / "metrics.csv")
    frame = recorder.get_model_vars_dataframe()  # the old way
    frame.index.name = "step"
    frame.to_csv(tmp_path / "pandas.csv")
    assert (tmp_path / "metrics.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


RUN_PROBE = """
import sys
from sim.cli import main
code = main(["run", "baseline", "--steps", "3", "--quiet", "--out", sys.argv[1]])
print(code, "pandas" in sys.modules, "matplotlib" in sys.modules)
"""


def test_a_run_imports_neither_pandas_nor_matplotlib_in_the_commands_process(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", RUN_PROBE, str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines()[-1] == "0 False False", done.stdout
    assert (tmp_path / "run" / "overview.png").stat().st_size > 20_000 and (tmp_path / "run" / "metrics.csv").is_file()


def test_the_trailing_day_sums_equal_pandas_rolling_sums() -> None:
    import pandas as pd

    launches = np.random.default_rng(3).integers(0, 4, (50, 3))
    launches[10:20] = 0
    for window in (1, 7, 96):
        expected = pd.DataFrame(launches).rolling(window, min_periods=1).sum().to_numpy()
        np.testing.assert_array_equal(trailing_sums(launches, window), expected)
