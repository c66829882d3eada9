"""A sweep folder and the runs still to do in it: fresh, forced over an old one, or resumed.

:meth:`SweepJob.prepare` checks everything and writes nothing (beyond putting right what a killed
sweep left); :meth:`SweepJob.execute` then makes the folder (its marker, a copy of the sweep file as
``sweep.toml`` and an empty journal, swapped in whole), runs what is missing and writes
``results.parquet``, ``sobol.csv`` for a Sobol design, and ``runs/`` with ``keep_runs``. A sweep
forced over an old one runs in a folder beside it that replaces it whole once every run is done:
stopped before, it leaves the old sweep as it was.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.outfolder import check_out, folder_kind, open_regular, recover, staged_folder, write_marker
from sim.scenario import ScenarioError, read_toml
from sim.sweep.design import Run, SweepSpec, plan_runs
from sim.sweep.engine import Task
from sim.sweep.results import JOURNAL, Journal, results_frame, row_problem, sweep_provenance, write_results
from sim.sweep.sensitivity import SOBOL_FILE, sobol_indices

SWEEP_COPY = "sweep.toml"
DIGEST_MAX_BYTES = 1024  # a kept digest is 65 bytes; more is not read
BASE_DIGEST = "base.sha256"  # the base scenario's digest ([sweep.fixed] applied) when the sweep started: a resume must match
RUNS_DIR = "runs"
REFRESH_S = 2.0  # at most this often, results.parquet is rebuilt while the sweep runs

Engine = Callable[[list[Task]], Iterator[dict[str, Any]]]


def _recorded(spec: SweepSpec, out: Path, runs: list[Run]) -> list[dict[str, Any]]:
    """Rows already in the journal of ``out``, checked against the sweep's plan."""
    copy = out / SWEEP_COPY
    kind = folder_kind(out)
    if out.is_symlink() or not out.is_dir():
        raise ScenarioError(out, "--resume", "expected a sweep folder to finish, found a link or a file")
    if kind not in (None, "sweep") or not copy.is_file() or (kind is None and not (out / JOURNAL).is_file()):
        found = f"a Skywatch {kind} folder" if kind not in (None, "sweep") else f"no {SWEEP_COPY} and {JOURNAL}"
        raise ScenarioError(out, "--resume", f"expected a sweep folder to finish, found {found}")
    if read_toml(copy) != read_toml(spec.path):
        raise ScenarioError(out, "--resume", f"the sweep file differs from the {SWEEP_COPY} this folder was started with")
    kept = out / BASE_DIGEST
    if os.path.lexists(kept) and _read_digest(kept) != spec.base.sha256():
        raise ScenarioError(out, "--resume", f"the base scenario {spec.base.source} ([sweep.fixed] applied) differs from the "
                            "one this sweep was started with: its runs would not compare; --force starts over")
    planned = {run.run_id: run for run in runs}
    done: dict[str, dict[str, Any]] = {}
    for line, row in enumerate(Journal(out).read(), start=1):
        problem = row_problem(row, planned)
        if problem is not None:
            raise ScenarioError(out / JOURNAL, f"line {line}", problem)
        done.setdefault(row["run_id"], row)
    return list(done.values())


def _read_digest(path: Path) -> str:
    """The digest kept in ``path`` (refused unless a regular file: a pipe would block)."""
    with open_regular(path, "file") as file:
        return file.read(DIGEST_MAX_BYTES).decode("utf-8", errors="replace").strip()


@dataclass
class SweepJob:
    """The runs of a sweep still to do in its folder.

    Attributes:
        spec: the sweep.
        out: the sweep folder.
        runs: every run of the sweep, by (point, replicate).
        done: rows of runs recorded before (when resuming).
        resume: finish the runs an earlier sweep into ``out`` left missing.
        force: replace an old sweep folder at ``out`` (only a Skywatch sweep folder).
        indices: the Sobol indices written to ``sobol.csv`` by :meth:`execute` (a Sobol design), else None.
    """

    spec: SweepSpec
    out: Path
    runs: list[Run]
    done: list[dict[str, Any]]
    resume: bool
    force: bool = False
    indices: pd.DataFrame | None = field(default=None, init=False)

    @classmethod
    def prepare(cls, spec: SweepSpec, out: Path, resume: bool = False, force: bool = False) -> SweepJob:
        """Check the folder and find what is left to run.

        Nothing is written, except that what a killed sweep left beside ``out`` is put right first
        (:func:`sim.outfolder.recover`). ``resume`` takes a sweep folder with its marker, or one made
        before markers existed that holds ``sweep.toml``.

        Raises:
            ScenarioError: the folder exists without ``resume``/``force``, is not a Skywatch sweep
                folder, or does not match the sweep.
        """
        runs = plan_runs(spec)
        recover(out)
        if resume and os.path.lexists(out):
            return cls(spec, out, runs, _recorded(spec, out, runs), True)
        check_out(out, "sweep", force)
        return cls(spec, out, runs, [], False, force)

    @property
    def replacing(self) -> bool:
        """Whether this sweep is forced over an old one, which it replaces only once it is complete."""
        return self.force and os.path.lexists(self.out)

    @property
    def todo(self) -> list[Run]:
        """Runs not recorded yet, by (point, replicate)."""
        recorded = {row["run_id"] for row in self.done}
        return [run for run in self.runs if run.run_id not in recorded]

    def _open(self) -> Journal:
        """The journal of the sweep folder: a new folder swapped in whole, or the old one resumed."""
        if self.resume:
            if folder_kind(self.out) is None:
                write_marker(self.out, "sweep")  # a folder made before markers existed
            journal = Journal(self.out)
            journal.rewrite(self.done)
            if not os.path.lexists(self.out / BASE_DIGEST):  # a folder made before the digest was kept: checked from now on
                self._keep_base_digest(self.out)
            return journal
        with staged_folder(self.out, "sweep", self.force) as staging:
            self._start(staging)
        return Journal(self.out)

    def _start(self, folder: Path) -> None:
        """Put a copy of the sweep file, the base scenario's digest and an empty journal in the new sweep ``folder``."""
        shutil.copyfile(self.spec.path, folder / SWEEP_COPY)
        self._keep_base_digest(folder)
        Journal(folder).rewrite([])

    def _keep_base_digest(self, folder: Path) -> None:
        """Write the base scenario's digest into the sweep ``folder``: a resume must find the same base."""
        (folder / BASE_DIGEST).write_text(self.spec.base.sha256() + "\n", encoding="utf-8")

    def execute(self, engine: Engine, keep_runs: bool = False,
                on_row: Callable[[dict[str, Any]], None] | None = None) -> pd.DataFrame:
        """Run what is missing on ``engine``, recording each row as it comes; return the final table.

        A sweep :attr:`replacing` an old one runs in a staging folder moved to :attr:`out` whole at the
        end; stopped before (an error, Ctrl-C), its staging folder is removed and the old one stays.
        """
        if not self.replacing:
            return self._run_in(self.out, self._open(), engine, keep_runs, on_row)
        with staged_folder(self.out, "sweep", True) as staging:
            self._start(staging)
            return self._run_in(staging, Journal(staging), engine, keep_runs, on_row)

    def _run_in(self, folder: Path, journal: Journal, engine: Engine, keep_runs: bool,
                on_row: Callable[[dict[str, Any]], None] | None) -> pd.DataFrame:
        """:meth:`execute` with the sweep folder (or its staging folder) ``folder`` and its open ``journal``."""
        keep_dir = folder / RUNS_DIR if keep_runs else None
        tasks = [Task(run, self.spec.base, keep_dir) for run in self.todo]
        rows = list(self.done)
        provenance = sweep_provenance(self.spec)
        refreshed = time.monotonic()
        try:
            for row in engine(tasks):
                journal.append(row)
                rows.append(row)
                if on_row is not None:
                    on_row(row)
                if time.monotonic() - refreshed > REFRESH_S:
                    write_results(results_frame(rows, self.spec.parameters), folder, provenance)
                    refreshed = time.monotonic()
        finally:
            journal.close()
        frame = results_frame(rows, self.spec.parameters)
        write_results(frame, folder, provenance)
        if self.spec.design == "sobol":
            self.indices = sobol_indices(self.spec, frame)
            self.indices.to_csv(folder / SOBOL_FILE, index=False)
        return frame
