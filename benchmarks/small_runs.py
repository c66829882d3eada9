"""Small runs: runs per core-minute of one-week ``baseline`` and ``arms_race``, in-process and through ``skywatch sweep``.

Run from the repository root::

    python benchmarks/small_runs.py                                  # 10 runs of each scenario in each mode (about 2 min)
    python benchmarks/small_runs.py --runs 4                         # a quicker check
    python benchmarks/small_runs.py --json benchmarks/results.json   # and store the figures under "small_runs"

Every run is one simulated week: ``run.steps`` = 672 steps of 15 minutes (``arms_race`` ships
with four weeks; it is cut to one here). Each scenario is a sweep file of its own: a grid with
the one level ``run.steps`` = 672 and ``--runs`` replications, so every mode runs the same runs
(the same seeds), and their results tables must be equal (wall times aside). The modes:

* ``in-process``: one run after another in this process through the sweep's own worker code
  (:func:`sim.sweep.engine.run_task`: scenario, model build, the week, the summary), after one
  untimed run that loads the numba kernels: what a run costs inside a long-lived sweep worker.
* ``sweep, N workers``: ``python -m sim sweep FILE --workers N --no-plots --quiet`` (the
  ``skywatch sweep`` command) in a fresh process, timed from launch to exit: interpreter start-up,
  imports, starting the workers and loading their kernels, the runs, the journal and
  ``results.parquet`` all count.

Figures for each mode: ``wall s`` and ``runs/min`` by the wall clock; ``CPU s`` is the processor
time spent (this process's, every thread, for ``in-process``; the command's and its workers'
for a sweep), and **runs per core-minute** = runs × 60 / CPU s: what a run costs in cores,
whatever else the machine is doing; ``run s`` and ``run CPU s`` are the median wall and processor
seconds of one run inside its worker (the results table's ``wall_s`` and ``cpu_s``, measured
around each run by the worker itself: scenario, model build, the week and its summary, the
world and routes reused from the worker's earlier runs). ``CPU s/run in sweep`` is what one more run costs a sweep: its
worker's run and the command's bookkeeping of its row. Each sweep is also run with half its runs
(``--runs`` // 2), and (CPU s of the sweep − CPU s of the half sweep) / (runs − half) leaves out
what every sweep pays once (start-up, imports, starting the workers, each worker's kernel loading
and first world build, the table), as long as every worker gets a run in both (``--runs`` ≥ 4 ×
workers). It is a difference of two measurements: on a busy machine, take it over many runs.
For ``in-process`` it is the CPU s per run. Target (issue 18): a one-week ``baseline`` run costs
at most 0.3 s of CPU inside a sweep worker (``run CPU s`` of the sweeps, measured directly; ``CPU s/run
in sweep`` is the same cost with the sweep command's share, estimated).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from run_scale import machine_line, write_json

from sim.sweep.design import load_sweep, plan_runs
from sim.sweep.engine import Task, run_task
from sim.sweep.results import TIMINGS, read_results, results_frame

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("baseline", "arms_race")
WEEK_STEPS = 672  # one simulated week of 15-minute steps
WORKER_COUNTS = (1, 2)
TARGET_CPU_S = 0.3  # CPU seconds per one-week baseline run inside a sweep worker
MIN_RUNS = 2  # the per-run figure inside workers compares the sweep with one of half its runs


def week_sweep(scenario: str, runs: int, steps: int, folder: Path) -> Path:
    """Write a sweep file running ``scenario`` for ``steps`` steps, ``runs`` times (seeds from sweep seed 1)."""
    path = folder / f"{scenario}.toml"
    path.write_text(f'[sweep]\nbase = "{scenario}"\ndesign = "grid"\nreplications = {runs}\nseed = 1\n\n'
                    f'[sweep.parameters]\n"run.steps" = [{steps}]\n')
    return path


def children_cpu_s() -> float:
    """CPU seconds (user + system) of this process's finished children and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def in_process(path: Path) -> tuple[float, float, pd.DataFrame]:
    """Run the sweep's runs one after another here (after one untimed run); return wall s, CPU s and the table."""
    spec = load_sweep(path)
    tasks = [Task(run, spec.base) for run in plan_runs(spec)]
    run_task(tasks[0])  # loads the numba kernels
    wall, cpu = time.perf_counter(), time.process_time()
    rows = [run_task(task) for task in tasks]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, results_frame(rows, spec.parameters)


def through_sweep(path: Path, workers: int, out: Path) -> tuple[float, float, pd.DataFrame]:
    """Run ``skywatch sweep`` on ``workers`` processes in a fresh process; return wall s, CPU s and the table."""
    command = [sys.executable, "-m", "sim", "sweep", str(path), "--workers", str(workers), "--out", str(out), "--no-plots",
               "--quiet"]
    wall, cpu = time.perf_counter(), children_cpu_s()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall, cpu = time.perf_counter() - wall, children_cpu_s() - cpu
    return wall, cpu, read_results(out)


def measure(scenario: str, runs: int, steps: int, folder: Path) -> list[dict[str, Any]]:
    """Every mode's figures for ``scenario``; checks that the modes' tables are equal."""
    path = week_sweep(scenario, runs, steps, folder)
    half_runs = runs // 2
    (folder / "half").mkdir(exist_ok=True)
    half = week_sweep(scenario, half_runs, steps, folder / "half")
    print(f"{scenario}: in-process (load average {os.getloadavg()[0]:.2f}) ...", flush=True)
    modes = {"in-process": in_process(path)}
    in_sweep = {"in-process": modes["in-process"][1] / runs}
    for workers in WORKER_COUNTS:
        mode = f"sweep, {workers} worker{'s' * (workers > 1)}"
        print(f"{scenario}: {mode}, {runs} runs and {half_runs} (load average {os.getloadavg()[0]:.2f}) ...", flush=True)
        modes[mode] = through_sweep(path, workers, folder / f"{scenario}{workers}")
        _, half_cpu, _ = through_sweep(half, workers, folder / f"{scenario}{workers}-half")
        in_sweep[mode] = (modes[mode][1] - half_cpu) / (runs - half_runs)
    tables = [frame.drop(columns=list(TIMINGS)) for _, _, frame in modes.values()]
    for table in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], table, check_dtype=False)
    assert (tables[0]["status"] == "ok").all(), "a run failed"
    return [{"scenario": scenario, "mode": mode, "runs": len(frame), "steps": steps, "wall_s": wall, "cpu_s": cpu,
             "runs_per_min": len(frame) * 60 / wall, "cpu_s_per_run": cpu / len(frame),
             "cpu_s_per_run_in_sweep": in_sweep[mode], "runs_per_core_min": len(frame) * 60 / cpu,
             "median_run_wall_s": float(frame["wall_s"].median()), "median_run_cpu_s": float(frame["cpu_s"].median())}
            for mode, (wall, cpu, frame) in modes.items()]


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Print the table, the ratios measured in this run and the target's verdict; return the derived figures."""
    print(f"\n{'scenario':<11}{'mode':<18}{'runs':>5}{'wall s':>8}{'runs/min':>10}{'CPU s':>8}{'CPU s/run':>11}"
          f"{'runs/core-min':>15}{'run s (median)':>16}{'run CPU s (median)':>20}{'CPU s/run in sweep':>20}")
    for r in rows:
        print(f"{r['scenario']:<11}{r['mode']:<18}{r['runs']:>5}{r['wall_s']:>8.1f}{r['runs_per_min']:>10.1f}{r['cpu_s']:>8.1f}"
              f"{r['cpu_s_per_run']:>11.3f}{r['runs_per_core_min']:>15.1f}{r['median_run_wall_s']:>16.3f}"
              f"{r['median_run_cpu_s']:>20.3f}{r['cpu_s_per_run_in_sweep']:>20.3f}")
    derived: dict[str, Any] = {}
    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        by_mode = {r["mode"]: r for r in rows if r["scenario"] == scenario}
        alone, one, two = by_mode["in-process"], by_mode["sweep, 1 worker"], by_mode["sweep, 2 workers"]
        ratios = {"sweep_2_vs_1_workers_runs_per_min": two["runs_per_min"] / one["runs_per_min"],
                  "sweep_1_worker_vs_in_process_cpu_per_run": one["cpu_s_per_run"] / alone["cpu_s_per_run"],
                  **{f"sweep_{workers}_fixed_cpu_s": by_mode[mode]["cpu_s"] - by_mode[mode]["runs"] * alone["cpu_s_per_run"]
                     for workers, mode in zip(WORKER_COUNTS, ("sweep, 1 worker", "sweep, 2 workers"), strict=True)}}
        derived[scenario] = ratios
        print(f"{scenario}: sweep 2 workers / 1 worker (runs/min by the wall clock) "
              f"{ratios['sweep_2_vs_1_workers_runs_per_min']:.2f}×; CPU per run, sweep of 1 worker / in-process "
              f"{ratios['sweep_1_worker_vs_in_process_cpu_per_run']:.2f}×; the sweep's CPU s beyond its runs' in-process "
              f"cost (start-up, workers, kernel loading, table): {ratios['sweep_1_fixed_cpu_s']:.1f} on 1 worker, "
              f"{ratios['sweep_2_fixed_cpu_s']:.1f} on 2")
    week_baseline = [r for r in rows if r["scenario"] == "baseline" and r["steps"] == WEEK_STEPS]
    if week_baseline:
        per_run = {r["mode"]: r["cpu_s_per_run_in_sweep"] for r in week_baseline}
        in_worker = {r["mode"]: r["median_run_cpu_s"] for r in week_baseline}
        derived["baseline_cpu_s_per_run_in_sweep"] = per_run
        derived["baseline_median_run_cpu_s"] = in_worker
        derived["baseline_target_met"] = max(in_worker.values()) <= TARGET_CPU_S
        print("one-week baseline run, CPU s per run in a sweep (estimated from two sweeps): "
              + "; ".join(f"{mode} {cpu:.3f}" for mode, cpu in per_run.items()))
        print("one-week baseline run, median CPU s of a run measured inside its worker: "
              + "; ".join(f"{mode} {cpu:.3f}" for mode, cpu in in_worker.items())
              + f"; target <= {TARGET_CPU_S} in every mode: {'met' if derived['baseline_target_met'] else 'NOT met'}")
    print("tables equal in every mode: yes")
    return derived


def main() -> None:
    """Measure every scenario in every mode and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each scenario in each mode (default 10)")
    parser.add_argument("--steps", type=int, default=WEEK_STEPS,
                        help=f"steps of each run (default {WEEK_STEPS}: one week; fewer only for a quick check)")
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), metavar="NAME", help="shipped scenarios to run")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="store the figures under small_runs in this file")
    args = parser.parse_args()
    if args.runs < MIN_RUNS or args.steps < 1:
        parser.error(f"--runs must be at least {MIN_RUNS} (more than the half sweep's) and --steps at least 1")
    print(machine_line())
    week = " (one simulated week)" if args.steps == WEEK_STEPS else ""
    print(f"{args.runs} runs of each of {', '.join(args.scenarios)}, {args.steps} steps each{week}; "
          "in-process after one untimed run, each sweep from launch to exit")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as temp:
        for scenario in args.scenarios:
            rows += measure(scenario, args.runs, args.steps, Path(temp))
    derived = report(rows)
    if args.json:
        write_json(args.json, "small_runs", {"rows": rows, "ratios": derived})


if __name__ == "__main__":
    main()
