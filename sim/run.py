"""One run → one output folder, written whole or not at all."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import sim.mesa_core  # noqa: F401  # Mesa's Model and Agent without the rest of Mesa (0.4 s of CPU at launch)
from sim.model import SkywatchModel
from sim.outcomes import summarize
from sim.outfolder import check_out, staged_folder
from sim.scenario import Scenario

FolderWriter = Callable[[SkywatchModel, Path], None]


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


def write_run_folder(model: SkywatchModel, out: Path, force: bool = False, extra: FolderWriter | None = None) -> dict[str, Any]:
    """Write the run folder of a finished model; return its summary.

    Everything is written to a staging folder beside ``out`` and swapped into place whole
    (:func:`sim.outfolder.staged_folder`), so an interrupted or failed write leaves no half-written
    folder and an old one intact. ``extra`` writes further files (the figures) into the folder first.
    """
    with staged_folder(out, "run", force) as staging:
        summary = summarize(model)
        (staging / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")  # strict JSON
        frame = model.datacollector.get_model_vars_dataframe()
        frame.index.name = "step"
        frame.to_csv(staging / "metrics.csv")
        np.save(staging / "flow.npy", model.flow.reshape(model.world.shape))
        (staging / "scenario.toml").write_text(model.scenario.to_toml())
        if extra is not None:
            extra(model, staging)
    return summary
