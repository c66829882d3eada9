"""ABC-SMC with pyabc: the sampler, one generation after another with a report each, and resuming from the database.

The database (``calibration.db`` in the output folder, SQLite) holds every finished generation. After a kill, the
same command loads it (``ABCSMC.load``) and runs the generations still missing; a generation cut short is run
again from its start; a database killed before its first generation was stored holds nothing to resume and is
started again. A folder holds one calibration file's run: the file's digest is kept beside the database and
a different file is refused.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pyabc import ABCSMC, History, MedianEpsilon
from pyabc.sampler import DaskDistributedSampler, MulticoreEvalParallelSampler, Sampler

from sim.calibration.config import CalibrationSpec
from sim.calibration.evaluate import Evaluation, ScaledEuclidean, observed
from sim.scenario import ScenarioError
from sim.sweep.engine import share_cores

DATABASE = "calibration.db"
DIGEST_FILE = "config.sha256"
RUN_ID = 1  # the one pyabc run a folder holds
logging.getLogger("ABC").setLevel(logging.WARNING)  # pyabc logs every generation at INFO; the command prints its own line


@dataclass(frozen=True)
class Generation:
    """What one finished generation reports.

    Attributes:
        t: its index (0 = drawn from the prior).
        epsilon: its acceptance threshold (distance units).
        acceptance_rate: accepted / evaluated particles.
        evaluations: particles evaluated (each ``replications`` runs).
        runs_per_s: model runs per second of the generation's wall time.
        seconds: its wall time, s.
    """

    t: int
    epsilon: float
    acceptance_rate: float
    evaluations: int
    runs_per_s: float
    seconds: float

    def line(self) -> str:
        """The progress line: ``generation 2: epsilon 1.83, acceptance 31.2 %, 640 evaluations, 12.4 runs/s (52 s)``."""
        return (f"generation {self.t}: epsilon {self.epsilon:.4g}, acceptance {100 * self.acceptance_rate:.1f} %, "
                f"{self.evaluations} evaluations, {self.runs_per_s:.2f} runs/s ({self.seconds:.0f} s)")


def local_sampler(workers: int) -> Sampler:
    """The multicore sampler of pyabc on ``workers`` forked processes, each stepping shipments on its share of the cores."""
    share_cores(workers)  # set before the fork: the workers inherit it
    return MulticoreEvalParallelSampler(n_procs=workers)


def dask_sampler(client: Any) -> Sampler:
    """The pyabc sampler on the Dask cluster of ``client``."""
    return DaskDistributedSampler(dask_client=client)


def _check_digest(out: Path, spec: CalibrationSpec) -> None:
    """Refuse a folder whose database was started by another calibration file (or another version of it)."""
    kept = (out / DIGEST_FILE).read_text().strip() if (out / DIGEST_FILE).is_file() else ""
    if kept != spec.digest:
        raise ScenarioError(out, "--out", f"holds a calibration of another file (or an edited one: sha256 {kept[:12] or 'none'});"
                            " give another --out, or remove the folder to start over")


def stored_generations(database: Path) -> int:
    """Generations finished and stored in the calibration's database (0 for an empty one, or one killed while made).

    Raises:
        ScenarioError: the file is not an SQLite database.
    """
    try:
        connection = sqlite3.connect(database)  # not read-only: a write cut short by a kill is rolled back first
        try:
            tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"populations", "version"} <= tables or connection.execute("SELECT COUNT(*) FROM version").fetchone()[0] == 0:
                return 0
            query = "SELECT COUNT(*) FROM populations WHERE abc_smc_id = ? AND t >= 0"
            return int(connection.execute(query, (RUN_ID,)).fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise ScenarioError(database, "--out", f"expected the calibration's SQLite database, found a file SQLite cannot read "
                            f"({error}); remove the folder to start over") from None


def open_run(spec: CalibrationSpec, out: Path, sampler: Sampler) -> tuple[ABCSMC, bool]:
    """The ABC-SMC run of ``spec`` in ``out``: loaded from its database when there is one; also whether it was resumed.

    Raises:
        ScenarioError: the folder's database belongs to another calibration file.
    """
    database = out / DATABASE
    if os.path.lexists(database) and not database.is_file():
        raise ScenarioError(database, "--out", "expected the calibration's database file, found a pipe, a device or a folder")
    resuming = database.is_file()
    if resuming:
        _check_digest(out, spec)
        if stored_generations(database) == 0:  # killed before its first generation was stored: nothing to resume
            database.unlink()
            resuming = False
    # A new run's generation 0 is the prior as drawn (every particle accepted); a resumed run's next threshold is the
    # median distance of its last stored generation, as if it had not stopped.
    epsilon = MedianEpsilon() if resuming else MedianEpsilon(initial_epsilon=np.inf)
    abc = ABCSMC(Evaluation(spec), spec.distribution(), ScaledEuclidean(spec.targets), population_size=spec.population,
                 sampler=sampler, eps=epsilon)
    url = f"sqlite:///{database}"
    if resuming:
        abc.load(url, RUN_ID)
        return abc, True
    out.mkdir(parents=True, exist_ok=True)
    (out / DIGEST_FILE).write_text(spec.digest + "\n")
    abc.new(url, observed(spec))
    return abc, False


def done_generations(history: History) -> int:
    """Generations finished and stored."""
    return history.max_t + 1


def run_generations(abc: ABCSMC, spec: CalibrationSpec, on_generation: Callable[[Generation], None]) -> History:
    """Run the generations ``spec`` still lacks (none past its minimum epsilon); report each as it ends."""
    history = abc.history
    remaining = spec.generations - done_generations(history)
    if remaining <= 0 or (history.max_t >= 0 and history.get_all_populations()["epsilon"].iloc[-1] <= spec.min_epsilon):
        return history
    t = abc.initialize_components_before_run(minimum_epsilon=spec.min_epsilon, max_nr_populations=remaining,
                                             min_acceptance_rate=0.0, max_total_nr_simulations=np.inf, max_walltime=None,
                                             min_eps_diff=0.0)
    while True:
        epsilon = float(abc.eps(t))
        started = time.perf_counter()
        result = abc.run_generation(t=t)
        if not result["successful"]:
            break
        seconds = time.perf_counter() - started
        evaluations = int(abc.sampler.nr_evaluations_)
        on_generation(Generation(t, epsilon, result["acceptance_rate"], evaluations,
                                 evaluations * spec.replications / seconds if seconds > 0 else 0.0, seconds))
        with np.errstate(invalid="ignore"):  # pyabc subtracts the previous epsilon, inf after generation 0
            if abc.check_terminate(t=t, acceptance_rate=result["acceptance_rate"]):
                break
        t += 1
    return history
