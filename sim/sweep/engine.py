"""Where a sweep's runs execute: a local process pool, or an existing Dask distributed cluster.

Both engines take the same picklable :class:`Task` values and yield result rows as runs finish,
in whatever order they finish; a row depends only on its task, never on the engine or on the
order (the table is sorted afterwards). Workers are reused from run to run, so starting a process
and loading the numba kernels is paid once per worker.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.kernels.threads import MAX_THREADS, use_threads
from sim.lifeline import die_with_parent
from sim.outcomes import summarize
from sim.run import simulate, write_run_folder
from sim.scenario import Scenario, ScenarioError
from sim.sweep.design import SEEDED_BY_SWEEP, Run
from sim.sweep.results import failed_row, result_row

SCHEDULER_TIMEOUT_S = 10
MAX_WORKERS = 1024  # local worker processes at most: each is a process of its own, with the model and its kernels loaded


@dataclass(frozen=True)
class Task:
    """One run to execute: the run, the scenario it overrides, and where to keep its folder (or None)."""

    run: Run
    base: Scenario
    keep_dir: Path | None = None


def run_task(task: Task) -> dict[str, Any]:
    """Execute one run and return its result row; an exception inside the run is recorded, not raised.

    The row's ``wall_s`` and ``cpu_s`` are the run's wall-clock and processor seconds (this process's,
    every thread): scenario, model build, the run and its summary (and folder, when kept).
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    run = task.run
    try:
        scenario = task.base.with_overrides({**run.values, SEEDED_BY_SWEEP: run.seed}, f"sweep run {run.run_id}")
        model = simulate(scenario)
        summary = summarize(model) if task.keep_dir is None else write_run_folder(model, task.keep_dir / run.run_id, force=True)
    except Exception as err:
        return failed_row(run, f"{type(err).__name__}: {err}", time.perf_counter() - started, time.process_time() - cpu_started)
    return result_row(run, summary, time.perf_counter() - started, time.process_time() - cpu_started)


def share_cores(workers: int) -> None:
    """Let each of ``workers`` processes step shipments on its share of the cores (at least one thread)."""
    use_threads(max(1, MAX_THREADS // workers))


def start_worker(workers: int, parent_pid: int) -> None:
    """Initialise a pool worker: it dies with the sweep that started it, and takes its share of the cores."""
    die_with_parent(parent_pid)
    share_cores(workers)


def local_workers(asked: int | None) -> int:
    """The local worker processes to start: ``asked``, or by default one per core (at most :data:`MAX_WORKERS`).

    Raises:
        ScenarioError: ``asked`` is not from 1 to :data:`MAX_WORKERS`.
    """
    if asked is None:
        return min(os.cpu_count() or 1, MAX_WORKERS)
    if not 1 <= asked <= MAX_WORKERS:
        raise ScenarioError("--workers", str(asked), f"expected an integer from 1 to {MAX_WORKERS}")
    return asked


def run_local(tasks: Iterable[Task], workers: int) -> Iterator[dict[str, Any]]:
    """Execute ``tasks`` on a pool of ``workers`` fresh processes; yield rows as runs finish."""
    # "spawn": the parent runs a progress thread, and forking a threaded process is unsafe.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=start_worker, initargs=(workers, os.getpid())) as pool:
        futures = [pool.submit(run_task, task) for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def connect(address: str) -> Any:
    """A Dask client connected to the scheduler at ``address``.

    Raises:
        ScenarioError: no scheduler answers at ``address``.
    """
    from dask.distributed import Client

    if "://" in address and not address.startswith(("tcp://", "inproc://")):  # tls:// needs certificates, ucx:// a library
        raise ScenarioError("--scheduler", address, "expected a Dask scheduler's tcp://HOST:PORT address")
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as err:
        raise ScenarioError("--scheduler", address, f"no Dask scheduler answers there ({type(err).__name__})") from None


def run_dask(tasks: Iterable[Task], client: Any) -> Iterator[dict[str, Any]]:
    """Execute ``tasks`` on the Dask cluster of ``client``; yield rows as runs finish.

    A run whose worker dies (after Dask's own retries) is recorded as failed.
    """
    from dask.distributed import as_completed as dask_completed

    by_key = {}
    for task in tasks:
        future = client.submit(run_task, task, pure=False)
        by_key[future.key] = (future, task)
    try:
        for future in dask_completed([f for f, _ in by_key.values()]):
            if future.status == "error":
                error = future.exception()
                yield failed_row(by_key[future.key][1].run, f"{type(error).__name__}: {error}", 0.0, 0.0)
            else:
                yield future.result()
    finally:
        client.cancel([f for f, _ in by_key.values()])
