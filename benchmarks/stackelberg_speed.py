"""Stackelberg patrols: one solve for K = 256 targets, and the solves' share of a run.

Run from the repository root::

    python benchmarks/stackelberg_speed.py                   # 5 solves of each game, one week of `stackelberg`
    python benchmarks/stackelberg_speed.py --steps 200        # a shorter run
    python benchmarks/stackelberg_speed.py --json benchmarks/results.json   # store the figures under "stackelberg"

Two measurements:

* ``solve``: :func:`sim.stackelberg.solve` on random SUQR games of 256 targets (payoffs 1–10, as in
  Nguyen et al.'s experiments; costs 0.5–2, budget 20), with Nguyen et al.'s fitted weights
  (ω₁ = −9.85: 111 interpolation segments) and with milder ones (ω₁ = −3: 34 segments); after one
  untimed solve that loads the numba hull kernel. Target (issue 20): under 1 s per solve.
* ``run``: the shipped ``stackelberg`` scenario (256 × 256 world, 16 km blocks: K = 256, one plan a
  day) in-process, after an untimed warm-up run of 2 steps; the solve time of each planning period
  (:attr:`sim.patrol.StackelbergPlan.solve_seconds`) and their share of the run's wall time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from run_scale import machine_line, write_json

from sim.model import SkywatchModel
from sim.scenario import load_scenario
from sim.stackelberg import Game, segments_for, solve

TARGETS = 256
TARGET_S = 1.0  # issue 20: one solve for K = 256 under a second
GAMES = {"Nguyen et al. ω": (-9.85, 0.37, 0.15), "milder ω": (-3.0, 0.5, 0.3)}
BUDGET = 20.0


def time_solves(omega: tuple[float, float, float], repeats: int, rng: np.random.Generator) -> list[float]:
    """Wall seconds of ``repeats`` solves of fresh random games of :data:`TARGETS` targets."""
    times = []
    for _ in range(repeats):
        game = Game(rng.uniform(1, 10, TARGETS), -rng.uniform(1, 10, TARGETS), rng.uniform(1, 10, TARGETS),
                    -rng.uniform(1, 10, TARGETS), omega)
        costs = rng.uniform(0.5, 2.0, TARGETS)
        started = time.perf_counter()
        solve(game, costs, BUDGET)
        times.append(time.perf_counter() - started)
    return times


def time_run(steps: int) -> dict[str, float]:
    """One in-process run of ``stackelberg`` for ``steps`` steps: wall time and its planning periods' solve times."""
    scenario = load_scenario("stackelberg")
    warm = SkywatchModel(scenario.with_overrides({"run.steps": 2}, "benchmark"))
    for _ in range(2):
        warm.step()
    model = SkywatchModel(scenario.with_overrides({"run.steps": steps}, "benchmark"))
    started = time.perf_counter()
    for _ in range(steps):
        model.step()
    wall = time.perf_counter() - started
    solves = model.patrol.plan.solve_seconds
    return {"steps": steps, "targets": int(model.patrol.plan.coverage.size), "wall_s": wall, "periods": len(solves),
            "solve_s_median": statistics.median(solves), "solve_s_max": max(solves), "solve_share": sum(solves) / wall}


def main() -> None:
    """Measure and print (and store with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="solves of each game")
    parser.add_argument("--steps", type=int, default=672, help="steps of the `stackelberg` run (672 = one week)")
    parser.add_argument("--json", type=Path, help="store the figures in this JSON file under 'stackelberg'")
    args = parser.parse_args()
    print(machine_line())
    rng = np.random.default_rng(0)
    time_solves(GAMES["milder ω"], 1, rng)  # loads the hull kernel
    figures: dict[str, object] = {"solve": {}}
    for name, omega in GAMES.items():
        times = time_solves(omega, args.repeats, rng)
        figures["solve"][name] = {"omega": omega, "segments": segments_for(omega[0]), "median_s": statistics.median(times),
                                  "max_s": max(times)}
        verdict = "met" if max(times) < TARGET_S else "NOT met"
        print(f"solve K={TARGETS}, {name} {omega} ({segments_for(omega[0])} segments): median {statistics.median(times):.3f} s,"
              f" max {max(times):.3f} s over {args.repeats} ({verdict}: < {TARGET_S:g} s)")
    run = time_run(args.steps)
    figures["run"] = run
    print(f"run `stackelberg`, {run['steps']} steps, K={run['targets']}: {run['periods']} planning periods, solve per period "
          f"median {run['solve_s_median']:.3f} s (max {run['solve_s_max']:.3f} s); run wall {run['wall_s']:.2f} s; "
          f"solves' share {100 * run['solve_share']:.1f} %")
    if args.json:
        write_json(args.json, "stackelberg", figures)


if __name__ == "__main__":
    main()
