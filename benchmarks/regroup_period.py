"""The pool's regrouping period at the grid's centre: periods taking turns on one model, for two kinds of top-up.

Run from the repository root::

    python benchmarks/regroup_period.py                                  # about 2 minutes
    python benchmarks/regroup_period.py --turns 4                        # a quicker check
    python benchmarks/regroup_period.py --json benchmarks/results.json   # and store the figures under "regroup_period"

The grid's centre of ``run_scale.py`` (every mechanism on, 10^5 live shipments on 1024², 100 drones)
is built once for each kind of top-up, in a fresh process, and filled at random positions along
random routes. Then the regrouping periods (``PERIODS`` steps, :data:`sim.phases.shipments.REGROUP_STEPS`
among them) take turns of ``TURN_STEPS`` steps on that one model, in the order ABC CBA ..., until
each has had ``--turns`` turns: where the shipments sit changes nothing in a run, so every period
steps the same run, seconds apart. After each step the pool is topped back up to 10^5 in transit,
not timed, in one of two ways:

* ``anywhere``: ``run_scale.py``'s top-ups, new shipments at random positions along random routes;
* ``start``: at their routes' first cell, as the cartels launch.

Printed for each kind and period: the median and the mean ms per step (the cartels' re-planning
steps left out), each against the default period's (**ratio, one run**), the regroupings per 100
steps, and the shipments topped up per step (those that ended: delivered or seized).
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np
from run_scale import (
    GRID_CENTRE,
    in_fresh_process,
    machine_line,
    planning_period,
    prepare,
    replanned,
    scale_config,
    top_up,
    write_json,
)

from sim.phases import shipments
from sim.scenario import Scenario

PERIODS = (16, 8, 4)
TURN_STEPS = 48  # a multiple of every period: each turn holds whole regrouping cycles
TURNS = 10
KINDS = {"anywhere": False, "start": True}  # kind of top-up → at the routes' first cell
WARMUP_STEPS = 64


def measure_periods(at_start: bool, periods: tuple[int, ...], turns: int, turn_steps: int, live: int = GRID_CENTRE["live"],
                    side: int = GRID_CENTRE["side"]) -> dict[str, Any]:
    """Step the grid's centre with each regrouping period in turns (run in a fresh process); the figures by period."""
    config = scale_config("regroup", side, live, GRID_CENTRE["drones"], turns * turn_steps, WARMUP_STEPS)
    model, result, rng = prepare(config)
    pool, regroup = model.pool, model.pool.regroup
    regroupings = [0]

    def counted(order: np.ndarray) -> None:
        regroup(order)
        regroupings[0] += 1

    pool.regroup = counted
    for _ in range(config.warmup):
        model.step()
        top_up(model, live, rng, at_start)
    ms: dict[int, list[float]] = {period: [] for period in periods}
    counts = {period: 0 for period in periods}
    topped: list[int] = []
    for turn in range(turns):
        for period in periods if turn % 2 == 0 else periods[::-1]:
            shipments.REGROUP_STEPS, before = period, regroupings[0]
            for _ in range(turn_steps):
                started = time.perf_counter()
                model.step()
                seconds = time.perf_counter() - started
                topped.append(top_up(model, live, rng, at_start))
                if not replanned(model, result):
                    ms[period].append(seconds * 1e3)
            counts[period] += regroupings[0] - before
    return {"median_ms": {p: float(np.median(ms[p])) for p in periods}, "mean_ms": {p: float(np.mean(ms[p])) for p in periods},
            "regroupings_per_100_steps": {p: 100.0 * counts[p] / (turns * turn_steps) for p in periods},
            "topped_up_per_step": float(np.mean(topped)), "steps_per_period": turns * turn_steps}


def report(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Print each kind's table and return the ratios against the default period."""
    default = shipments.REGROUP_STEPS
    ratios = {}
    for kind, f in figures.items():
        print(f"\ntop-ups {kind}: {f['topped_up_per_step']:,.0f} shipments topped up per step; {f['steps_per_period']} steps "
              f"per period; ms per step (re-planning steps apart), against every {default} steps (ratio, one run)")
        print(f"{'period':>7} {'median ms':>10} {'mean ms':>9} {'median ×':>9} {'mean ×':>7} {'regroupings/100 steps':>22}")
        ratios[kind] = {}
        for period in f["median_ms"]:
            median, mean = f["median_ms"][period], f["mean_ms"][period]
            ratios[kind][period] = {"median": median / f["median_ms"][default], "mean": mean / f["mean_ms"][default]}
            print(f"{period:>7} {median:>10.3f} {mean:>9.3f} {ratios[kind][period]['median']:>9.3f} "
                  f"{ratios[kind][period]['mean']:>7.3f} {f['regroupings_per_100_steps'][period]:>22.1f}")
    return ratios


def main() -> None:
    """Parse the arguments, measure each kind of top-up in a fresh process and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=TURNS, metavar="N", help=f"turns of each period (default {TURNS})")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write every figure to this JSON file")
    args = parser.parse_args()
    if args.turns < 1:
        parser.error("--turns must be at least 1")
    periods = tuple(dict.fromkeys(itertools.chain([shipments.REGROUP_STEPS], PERIODS)))
    print(machine_line())
    print(f"the grid's centre: {GRID_CENTRE['live']:,} live on {GRID_CENTRE['side']}², {GRID_CENTRE['drones']} drones, every "
          f"mechanism on; regrouping every {', '.join(map(str, periods))} steps in turns of {TURN_STEPS} on one model; "
          f"re-planning every {planning_period(Scenario())} steps (left out)")
    figures = {kind: in_fresh_process(measure_periods, at_start, periods, args.turns, TURN_STEPS)
               for kind, at_start in KINDS.items()}
    ratios = report(figures)
    if args.json:
        write_json(args.json, "regroup_period", {"periods": periods, "turn_steps": TURN_STEPS, "turns": args.turns,
                                                 "figures": figures, "ratios": ratios})


if __name__ == "__main__":
    main()
