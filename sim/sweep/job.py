"""A sweep folder and the runs still to do in it: fresh, forced over an old one, or resumed.

:meth:`SweepJob.prepare` checks everything and writes nothing; :meth:`SweepJob.execute` then
makes the folder (a copy of the sweep file as ``sweep.toml``, the journal, ``results.parquet``,
``sobol.csv`` for a Sobol design, and ``runs/`` with ``keep_runs``) and runs what is missing.
"""

from __future__ import annotations

import shutil
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.scenario import ScenarioError
from sim.sweep.design import Run, SweepSpec, plan_runs
from sim.sweep.engine import Task
from sim.sweep.results import JOURNAL, Journal, results_frame, write_results
from sim.sweep.sensitivity import SOBOL_FILE, sobol_indices

SWEEP_COPY = "sweep.toml"
RUNS_DIR = "runs"
REFRESH_S = 2.0  # at most this often, results.parquet is rebuilt while the sweep runs

Engine = Callable[[list[Task]], Iterator[dict[str, Any]]]


def _read_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _recorded(spec: SweepSpec, out: Path, runs: list[Run]) -> list[dict[str, Any]]:
    """Rows already in the journal of ``out``, checked against the sweep's plan."""
    copy = out / SWEEP_COPY
    if not copy.is_file():
        raise ScenarioError(out, "--resume", f"not a sweep folder (no {SWEEP_COPY})")
    if _read_toml(copy) != _read_toml(spec.path):
        raise ScenarioError(out, "--resume", f"the sweep file differs from the {SWEEP_COPY} this folder was started with")
    seeds = {run.run_id: run.seed for run in runs}
    done: dict[str, dict[str, Any]] = {}
    for row in Journal(out).read():
        if seeds.get(row.get("run_id")) != row.get("seed"):
            raise ScenarioError(out / JOURNAL, str(row.get("run_id")), "a run this sweep does not plan")
        done.setdefault(row["run_id"], row)
    return list(done.values())


def _check_fresh(out: Path, force: bool) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise ScenarioError(out, "--out", "a file is in the way")
    if not force:
        raise ScenarioError(out, "--out", "sweep folder exists; pass --resume to finish it or --force to start over")
    if any(out.iterdir()) and not (out / SWEEP_COPY).is_file():
        raise ScenarioError(out, "--force", f"not a sweep folder (no {SWEEP_COPY}); refusing to delete it")


@dataclass
class SweepJob:
    """The runs of a sweep still to do in its folder.

    Attributes:
        spec: the sweep.
        out: the sweep folder.
        runs: every run of the sweep, by (point, replicate).
        done: rows of runs recorded before (when resuming).
        resume: finish the runs an earlier sweep into ``out`` left missing.
    """

    spec: SweepSpec
    out: Path
    runs: list[Run]
    done: list[dict[str, Any]]
    resume: bool

    @classmethod
    def prepare(cls, spec: SweepSpec, out: Path, resume: bool = False, force: bool = False) -> SweepJob:
        """Check the folder and find what is left to run; nothing is written.

        Raises:
            ScenarioError: the folder exists without ``resume``/``force``, or does not match the sweep.
        """
        runs = plan_runs(spec)
        resume = resume and out.exists()
        if resume:
            return cls(spec, out, runs, _recorded(spec, out, runs), True)
        _check_fresh(out, force)
        return cls(spec, out, runs, [], False)

    @property
    def todo(self) -> list[Run]:
        """Runs not recorded yet, by (point, replicate)."""
        recorded = {row["run_id"] for row in self.done}
        return [run for run in self.runs if run.run_id not in recorded]

    def _open(self) -> Journal:
        if not self.resume:
            shutil.rmtree(self.out, ignore_errors=True)
            self.out.mkdir(parents=True)
            shutil.copyfile(self.spec.path, self.out / SWEEP_COPY)
        journal = Journal(self.out)
        journal.rewrite(self.done)
        return journal

    def execute(self, engine: Engine, keep_runs: bool = False,
                on_row: Callable[[dict[str, Any]], None] | None = None) -> pd.DataFrame:
        """Run what is missing on ``engine``, recording each row as it comes; return the final table."""
        journal = self._open()
        keep_dir = self.out / RUNS_DIR if keep_runs else None
        tasks = [Task(run, self.spec.base, keep_dir) for run in self.todo]
        rows = list(self.done)
        refreshed = time.monotonic()
        try:
            for row in engine(tasks):
                journal.append(row)
                rows.append(row)
                if on_row is not None:
                    on_row(row)
                if time.monotonic() - refreshed > REFRESH_S:
                    write_results(results_frame(rows, self.spec.parameters), self.out)
                    refreshed = time.monotonic()
        finally:
            journal.close()
        frame = results_frame(rows, self.spec.parameters)
        write_results(frame, self.out)
        if self.spec.design == "sobol":
            sobol_indices(self.spec, frame).to_csv(self.out / SOBOL_FILE, index=False)
        return frame
