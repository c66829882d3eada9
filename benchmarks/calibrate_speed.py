"""Calibration speed: ABC-SMC of the shipped calibration file, on pyabc's multicore sampler and on a Dask LocalCluster.

Run from the repository root::

    python benchmarks/calibrate_speed.py            # the issue's case: 3 parameters, population 200, 5 generations,
                                                    # the default world (calibration/baseline.toml): tens of minutes
    python benchmarks/calibrate_speed.py --quick    # population 20, 2 generations, 96 × 96 world, 96 steps
    python benchmarks/calibrate_speed.py --json benchmarks/results.json   # and store the figures under "calibrate_speed"

The same calibration runs twice, each in a fresh folder: on the multicore sampler with ``--workers`` processes
(one shipment thread each), then on a Dask ``LocalCluster`` of as many single-threaded worker processes. Printed for
each: the wall time of the generations, the evaluations, **runs per second** (model runs / wall time), and the
speed-up of Dask against the multicore sampler (its runs per second ÷ the multicore's). The acceptance rates of the
two differ by chance (pyabc's draws are not seeded), so compare runs per second, not wall times. Target (issue 19):
the full case finishes in under 30 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run_scale import machine_line, write_json

from sim.calibration.command import warm_up
from sim.calibration.config import CalibrationSpec, load_calibration
from sim.calibration.smc import Generation, dask_sampler, done_generations, local_sampler, open_run, run_generations
from sim.kernels.threads import use_threads

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "calibration" / "baseline.toml"
TARGET_S = 30 * 60  # the full case's wall time on a 2-core machine, at most
QUICK = {"population": 20, "generations": 2, "steps": 96, "world": 96}


def benchmark_spec(population: int, generations: int, steps: int | None, world: int | None) -> CalibrationSpec:
    """The shipped calibration with the benchmark's population, generations and (optionally) steps and world size."""
    spec = load_calibration(CONFIG)
    overrides: dict[str, Any] = {} if steps is None else {"run.steps": steps}
    if world is not None:
        overrides.update({"world.height": world, "world.width": world})
    return dataclasses.replace(spec, population=population, generations=generations,
                               scenario=spec.scenario.with_overrides(overrides, "benchmark"))


def timed(spec: CalibrationSpec, sampler: Any, folder: Path, label: str) -> dict[str, Any]:
    """Run the calibration on ``sampler`` in ``folder``; its wall time, evaluations and runs per second."""
    abc, _ = open_run(spec, folder, sampler)

    def report(generation: Generation) -> None:
        print(f"  {label}: {generation.line()}", flush=True)

    started = time.perf_counter()
    history = run_generations(abc, spec, report)
    wall = time.perf_counter() - started
    evaluations = int(history.total_nr_simulations)
    runs = evaluations * spec.replications
    return {"sampler": label, "wall_s": wall, "evaluations": evaluations, "runs": runs, "runs_per_s": runs / wall,
            "generations": done_generations(history)}


def main() -> None:
    """Time the calibration on both samplers and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small case: population 20, 2 generations, 96² world, 96 steps")
    parser.add_argument("--population", type=int, help="particles per generation (default 200; 20 with --quick)")
    parser.add_argument("--generations", type=int, help="generations (default 5; 2 with --quick)")
    parser.add_argument("--steps", type=int, help="run.steps of every run (default: the scenario's, one week)")
    parser.add_argument("--world", type=int, help="world height and width in cells (default: the scenario's)")
    parser.add_argument("--workers", type=int, default=2, help="processes of each sampler (default 2)")
    parser.add_argument("--json", type=Path, help="store the figures under 'calibrate_speed' in this JSON file")
    args = parser.parse_args()
    preset = QUICK if args.quick else {"population": 200, "generations": 5, "steps": None, "world": None}
    spec = benchmark_spec(args.population or preset["population"], args.generations or preset["generations"],
                          args.steps or preset["steps"], args.world or preset["world"])
    print(machine_line())
    print(f"calibration: {CONFIG.relative_to(ROOT)}, {len(spec.priors)} parameters, population {spec.population}, "
          f"{spec.generations} generations, {spec.scenario['world.height']}² world, {spec.scenario['run.steps']} steps, "
          f"{args.workers} processes per sampler", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        sampler = local_sampler(args.workers)
        warm_up(spec)
        rows.append(timed(spec, sampler, folder / "multicore", f"multicore ({args.workers} processes)"))
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            client.run(use_threads, 1)  # one shipment thread per worker, as the multicore sampler's processes
            rows.append(timed(spec, dask_sampler(client), folder / "dask", f"Dask LocalCluster ({args.workers} workers)"))
    for row in rows:
        print(f"{row['sampler']}: {row['wall_s']:.1f} s, {row['generations']} generations, {row['evaluations']} evaluations, "
              f"{row['runs_per_s']:.2f} runs/s")
    speed_up = rows[1]["runs_per_s"] / rows[0]["runs_per_s"]
    print(f"speed-up of the Dask LocalCluster against the multicore sampler: {speed_up:.2f}× (runs per second)")
    full = not args.quick and spec.population == 200 and spec.generations == 5
    if full:
        verdict = "met" if rows[0]["wall_s"] < TARGET_S else "NOT met"
        print(f"target: the full case under {TARGET_S / 60:.0f} min on the multicore sampler: {verdict}")
    if args.json is not None:
        write_json(args.json, "calibrate_speed", {"population": spec.population, "generations": spec.generations,
                                                  "steps": spec.scenario["run.steps"], "rows": rows, "speed_up": speed_up})


if __name__ == "__main__":
    sys.exit(main())
