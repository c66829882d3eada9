"""Sweep throughput: runs per minute on the local process pool with 1 and 2 workers, and the ratio.

Run from the repository root::

    python benchmarks/sweep_throughput.py                    # 8 points × 10 replications
    python benchmarks/sweep_throughput.py --replications 4   # a quicker check

The sweep is a grid over the shipped ``drone_surge`` scenario (one week on the default 256 × 256
world): ``drones.count`` in 6, 12, 24, 48 × ``drones.patrol`` random, lawnmower, each point
replicated. Each worker count runs the whole sweep into a fresh temporary folder, through the same
code as ``skywatch sweep`` (journal and ``results.parquet`` included, figures left out). The
wall time counts everything: starting the worker processes and loading the cached numba kernels
(paid once per worker, as workers are reused), every run, and writing the table. ``run s`` is
the mean time of one run inside its worker; ``overhead s/run`` is what each run costs beyond
that (wall time × workers / runs − run s): process start, kernel loading, hand-over and the
table, spread over the runs. The two tables must be equal (wall times aside).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

import pandas as pd

from sim.sweep.design import load_sweep
from sim.sweep.engine import run_local
from sim.sweep.job import SweepJob
from sim.sweep.results import TIMINGS

WORKER_COUNTS = (1, 2)


def bench_sweep(replications: int, folder: Path) -> Path:
    """Write the benchmark's sweep file into ``folder``."""
    path = folder / "bench.toml"
    path.write_text(f'[sweep]\nbase = "drone_surge"\ndesign = "grid"\nreplications = {replications}\nseed = 1\n\n'
                    '[sweep.parameters]\n"drones.count" = [6, 12, 24, 48]\n"drones.patrol" = ["random", "lawnmower"]\n')
    return path


def measure(path: Path, workers: int, folder: Path) -> tuple[float, pd.DataFrame]:
    """Run the sweep on ``workers`` processes; return its wall time (s) and its table."""
    job = SweepJob.prepare(load_sweep(path), folder / f"workers{workers}")
    started = time.perf_counter()
    frame = job.execute(partial(run_local, workers=workers))
    return time.perf_counter() - started, frame


def main() -> None:
    """Measure and print the throughput table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10, help="replications of each of the 8 points")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        path = bench_sweep(args.replications, folder)
        results = {workers: measure(path, workers, folder) for workers in WORKER_COUNTS}
    tables = [frame.drop(columns=list(TIMINGS)) for _, frame in results.values()]
    pd.testing.assert_frame_equal(tables[0], tables[1])
    runs = len(tables[0])
    print(f"sweep: drone_surge grid, 8 points × {args.replications} replications = {runs} runs, one week each")
    print(f"{'workers':>7} {'wall s':>8} {'runs/min':>9} {'run s':>7} {'overhead s/run':>15}")
    rates = {}
    for workers, (wall, frame) in results.items():
        rates[workers] = runs / wall * 60
        run_s = frame["wall_s"].mean()
        print(f"{workers:>7} {wall:>8.1f} {rates[workers]:>9.1f} {run_s:>7.3f} {wall * workers / runs - run_s:>15.3f}")
    print(f"scaling 1 → 2 workers: {rates[2] / rates[1]:.2f}×  (tables equal: yes)")


if __name__ == "__main__":
    main()
