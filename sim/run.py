"""One run → one output folder, written whole or not at all."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

import sim.mesa_core  # noqa: F401  # Mesa's Model and Agent without the rest of Mesa (0.4 s of CPU at launch)
from sim.metrics import MetricsRecorder
from sim.model import SkywatchModel
from sim.outcomes import summarize
from sim.outfolder import check_out, staged_folder
from sim.scenario import Scenario


class Pending(Protocol):
    """Work a folder writer left running (:mod:`sim.viz.overview_child`)."""

    def wait(self) -> None:
        """Wait until it is done; raise what it failed with."""

    def stop(self) -> None:
        """Stop it now: it writes nothing after this returns."""


FolderWriter = Callable[[SkywatchModel, Path], Pending | None]  # may return work it left running
METRICS_FILE, OVERVIEW_FILE = "metrics.csv", "overview.png"  # a run folder's per-step metrics and overview figure
NUMERIC_KINDS = "biuf"  # numpy dtype kinds of the metrics columns written without pandas


def check_output_folder(out: Path, force: bool) -> None:
    """Refuse ``out`` unless it is new, or a Skywatch run folder and ``force`` is on (:func:`sim.outfolder.check_out`).

    Raises:
        ScenarioError: anything else is at ``out`` (a user's folder or file, a link, the current folder...).
    """
    check_out(out, "run", force)


def simulate(scenario: Scenario, on_step: Callable[[int], None] | None = None) -> SkywatchModel:
    """Build the model of ``scenario`` and run it for ``run.steps`` steps."""
    model = SkywatchModel(scenario)
    for _ in range(scenario.params.run.steps):
        model.step()
        if on_step is not None:
            on_step(model.steps)
    return model


def _csv_cells(column: np.ndarray) -> np.ndarray:
    """A numeric column's cells as pandas' ``to_csv`` writes them: numpy's text of each value, NaN as an empty cell."""
    cells = column.astype(str)
    if column.dtype.kind == "f":
        cells[np.isnan(column)] = ""
    return cells


def write_metrics(recorder: MetricsRecorder, path: Path) -> None:
    """Write the per-step metrics recorded by ``recorder`` (a run's ``datacollector``) as the CSV file ``path``.

    Numbers and booleans are written here, as pandas' ``DataFrame.to_csv`` writes them (the same
    bytes, without importing pandas: 0.35 s of CPU); a table with any other column goes through pandas.
    """
    columns = [column[:recorder.rows] for column in recorder.columns]
    if any(column.dtype.kind not in NUMERIC_KINDS for column in columns):
        frame = recorder.get_model_vars_dataframe()
        frame.index.name = "step"
        frame.to_csv(path)
        return
    with path.open("w", newline="") as file:
        table = csv.writer(file, lineterminator=os.linesep)
        table.writerow(["step", *recorder.names])
        table.writerows(zip(*map(_csv_cells, [np.arange(recorder.rows), *columns]), strict=True))


def write_run_folder(model: SkywatchModel, out: Path, force: bool = False, extra: FolderWriter | None = None) -> dict[str, Any]:
    """Write the run folder of a finished model; return its summary.

    Everything is written to a staging folder beside ``out`` and swapped into place whole
    (:func:`sim.outfolder.staged_folder`), so an interrupted or failed write leaves no half-written
    folder and an old one intact. ``extra`` writes further files (the figures) into the folder first;
    work it leaves running (:class:`Pending`) is waited for once the other files are written, before
    the folder is moved into place, and stopped first if writing them fails (before the staging
    folder is removed).
    """
    with staged_folder(out, "run", force) as staging:
        pending = extra(model, staging) if extra is not None else None
        try:
            summary = summarize(model)
            (staging / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")  # strict JSON
            write_metrics(model.datacollector, staging / METRICS_FILE)
            np.save(staging / "flow.npy", model.flow.reshape(model.world.shape))
            (staging / "scenario.toml").write_text(model.scenario.to_toml())
            if pending is not None:
                pending.wait()
        except BaseException:
            if pending is not None:
                pending.stop()
            raise
    return summary
