"""How long Skywatch takes to start: numba's on-disk cache cold (a fresh environment) and warm.

Run from the repository root::

    python benchmarks/startup.py                                  # print the figures
    python benchmarks/startup.py --json benchmarks/results.json   # and store them under "startup"

Every measurement is ``skywatch run baseline --steps 1`` in a fresh process with
``NUMBA_CACHE_DIR`` pointing at a temporary folder, empty for the first (cold) run and filled
by it for the next (warm) ones. The command runs through a small ``-c`` script that calls the
CLI's ``main`` with ``SkywatchModel.step`` wrapped to print the wall clock when the first step
starts and returns; the parent subtracts the time it launched the process, so interpreter
start-up is included:

* ``simulating``: launch to the first step's start (imports, scenario, world, routes, agents);
* ``first step done``: launch to its return (numba's compilation or cache load of the step's
  kernels included);
* ``whole command``: launch to exit (the run folder and its figures written too).

Target: on a warm cache, ``skywatch run`` starts simulating within 2 s. Warm figures are the
median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run_scale import write_json

TARGET_S = 2.0
PROBE = """
import json, sys, time
from sim.model import SkywatchModel
marks, step = [], SkywatchModel.step
def timed_step(self):
    if not marks:
        marks.append(time.time())
    step(self)
    if len(marks) == 1:
        marks.append(time.time())
SkywatchModel.step = timed_step
from sim.cli import main
main(["run", "baseline", "--steps", "1", "--quiet", "--force", "--out", sys.argv[1]])
print(json.dumps(marks))
"""


def environment(cache: Path) -> dict[str, str]:
    """This process's environment with numba's cache in ``cache``."""
    return {**os.environ, "NUMBA_CACHE_DIR": str(cache)}


def time_run(cache: Path, out: Path) -> dict[str, float]:
    """Seconds from launching ``skywatch run baseline --steps 1`` to: simulating, first step done, exit."""
    launched = time.time()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out)], env=environment(cache), check=True, capture_output=True, text=True
    )
    exited = time.time()
    started, stepped = json.loads(done.stdout.strip().splitlines()[-1])
    return {"simulating_s": started - launched, "first_step_done_s": stepped - launched, "whole_command_s": exited - launched}


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over ``runs``."""
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def measure(repeats: int) -> dict[str, Any]:
    """One run on an empty numba cache, then ``repeats`` on the cache it filled."""
    with tempfile.TemporaryDirectory(prefix="skywatch-startup-") as tmp:
        cache, out = Path(tmp) / "numba-cache", Path(tmp) / "run"
        cold = time_run(cache, out)
        warm_runs = [time_run(cache, out) for _ in range(repeats)]
    warm = median_of(warm_runs)
    return {"repeats": repeats, "cold": cold, "warm": warm, "warm_runs": warm_runs, "target_s": TARGET_S,
            "target_met": warm["simulating_s"] < TARGET_S}


def main() -> None:
    """Parse the arguments, measure, print the figures and optionally store them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm runs of each kind (median reported)")
    parser.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="store the figures under 'startup' in this JSON file"
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    figures = measure(args.repeats)
    print(f"skywatch run baseline --steps 1; warm = median of {args.repeats} runs")
    print(f"{'seconds from launch to':<24}{'simulating':>12}{'first step done':>17}{'whole command':>15}")
    for label in ("cold", "warm"):
        marks = figures[label]
        print(
            f"{label + ' cache':<24}{marks['simulating_s']:>12.2f}{marks['first_step_done_s']:>17.2f}"
            f"{marks['whole_command_s']:>15.2f}"
        )
    print(f"warm cache: simulating after {figures['warm']['simulating_s']:.2f} s; target < {TARGET_S:.0f} s: "
          f"{'met' if figures['target_met'] else 'NOT met'}")
    if args.json:
        write_json(args.json, "startup", figures)


if __name__ == "__main__":
    main()
