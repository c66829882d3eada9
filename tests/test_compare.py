"""``skywatch compare``: reading run folders, the side-by-side table and the comparison figure."""

import json
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from sim.compare import HEADLINE, RunRecord, comparison_table, load_runs
from sim.run import simulate, write_run_folder
from sim.scenario import ScenarioError, load_scenario
from sim.viz.compare_figure import draw_comparison

TINY = {"world.height": 64, "world.width": 64, "run.steps": 40}


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three small real run folders: baseline, a drone surge, and baseline with another seed."""
    root = tmp_path_factory.mktemp("runs")
    runs = {"baseline": ("baseline", 0), "drone_surge": ("drone_surge", 0), "baseline_seed1": ("baseline", 1)}
    dirs = []
    for name, (scenario, seed) in runs.items():
        model = simulate(load_scenario(scenario).with_overrides({**TINY, "run.seed": seed}, "test"))
        write_run_folder(model, root / name)
        dirs.append(root / name)
    return dirs


def _cells(table, label: str) -> list[str]:
    """The cells of the row labelled ``label``, one per run."""
    row = list(table.columns[0].cells).index(label)
    return [list(column.cells)[row] for column in table.columns[1:]]


def test_table_has_a_column_per_run_and_their_values(run_dirs):
    runs = load_runs(run_dirs)
    assert [run.name for run in runs] == ["baseline", "drone_surge", "baseline_seed1"]
    table = comparison_table(runs)
    assert [column.header for column in table.columns] == ["outcome", "baseline", "drone_surge", "baseline_seed1"]
    summaries = [json.loads((d / "summary.json").read_text()) for d in run_dirs]
    assert _cells(table, "shipments_launched") == [f"{s['shipments_launched']:,}" for s in summaries]
    assert _cells(table, "seed") == ["0", "0", "1"]
    assert _cells(table, "steps") == ["40"] * 3
    for corridor, count in summaries[0]["corridor_flow"].items():
        assert _cells(table, f"corridor_flow: {corridor}")[0] == f"{count:,}"
    labels = list(table.columns[0].cells)
    assert "scenario_sha256" not in labels
    shown = [key for key in HEADLINE if key in labels]
    assert shown == sorted(shown, key=labels.index), "outcomes keep the order of HEADLINE"


def test_keys_missing_from_every_run_are_skipped():
    metrics = pd.DataFrame({"hour": [0.0, 0.25], "seized": [0, 1]})
    runs = [RunRecord("a", Path("a"), {"shipments_seized": 1, "trust": None}, metrics),
            RunRecord("b", Path("b"), {"shipments_seized": 2}, metrics)]
    table = comparison_table(runs)
    assert list(table.columns[0].cells) == ["shipments_seized", "trust"]
    assert _cells(table, "trust") == ["—", "—"]


def test_figure_is_written(run_dirs, tmp_path):
    out = draw_comparison(load_runs(run_dirs), tmp_path / "figures" / "comparison.png")
    assert out.stat().st_size > 20_000
    image = matplotlib.image.imread(out)
    assert image.shape[0] > 500 and image.shape[1] > 1000
    assert np.std(image[..., :3]) > 0.05, "the figure is not blank"


@pytest.mark.parametrize("content", [None, "{not json", "[1, 2]"])
def test_a_folder_that_is_not_a_run_is_refused(tmp_path, content):
    if content is not None:
        (tmp_path / "summary.json").write_text(content)
    with pytest.raises(ScenarioError) as err:
        load_runs([tmp_path])
    assert err.value.field_name == "summary.json"
    assert "expected a run folder written by skywatch run" in str(err.value)
