"""One run → one output folder, written whole or not at all."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sim.model import SkywatchModel
from sim.scenario import Scenario, ScenarioError
from sim.summary import summarize

FolderWriter = Callable[[SkywatchModel, Path], None]


def check_output_folder(out: Path, force: bool) -> None:
    """Refuse to overwrite an existing run folder unless ``force``.

    Raises:
        ScenarioError: ``out`` exists (and ``force`` is off), or is a file.
    """
    if out.exists() and (not force or not out.is_dir()):
        what = "a file is in the way" if not out.is_dir() else "folder exists; pass --force to overwrite it"
        raise ScenarioError(out, "--out", what)


def simulate(scenario: Scenario, on_step: Callable[[int], None] | None = None) -> SkywatchModel:
    """Build the model of ``scenario`` and run it for ``run.steps`` steps."""
    model = SkywatchModel(scenario)
    for _ in range(scenario["run.steps"]):
        model.step()
        if on_step is not None:
            on_step(model.steps)
    return model


def write_run_folder(model: SkywatchModel, out: Path, force: bool = False, extra: FolderWriter | None = None) -> dict[str, Any]:
    """Write the run folder of a finished model; return its summary.

    Everything is written to a temporary folder beside ``out`` and moved into place at the end,
    so an interrupted or failed write leaves no half-written folder and an old one intact.
    ``extra`` writes further files (the figures) into the folder before it is moved.
    """
    check_output_folder(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = summarize(model)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        frame = model.datacollector.get_model_vars_dataframe()
        frame.index.name = "step"
        frame.to_csv(staging / "metrics.csv")
        np.save(staging / "flow.npy", model.flow.reshape(model.world.shape))
        (staging / "scenario.toml").write_text(model.scenario.to_toml())
        if extra is not None:
            extra(model, staging)
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            out.rename(trash / out.name)
            staging.rename(out)
            shutil.rmtree(trash)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary
