"""How long ``skywatch run baseline`` takes from launch to exit, numba's on-disk cache cold (a fresh environment) and warm.

Run from the repository root::

    python benchmarks/startup.py                                  # print the figures
    python benchmarks/startup.py --repeats 9                      # median of 9 warm runs of each kind
    python benchmarks/startup.py --json benchmarks/results.json   # and store them under "startup"
    python benchmarks/startup.py --versus ../before --repeats 9   # a week's launch to exit here and in another tree, alternating

Every measurement is ``skywatch run baseline`` in a fresh process with ``NUMBA_CACHE_DIR`` and
the store of planned worlds (``SKYWATCH_WORLD_STORE``, :mod:`sim.world_store`) pointing at
temporary folders, empty for the first (cold) run and filled by it for the next (warm) ones. The
package's bytecode is written first, as ``make`` does (where ``PYTHONDONTWRITEBYTECODE`` is set,
Python writes none itself, and a tree edited since would compile its sources at every launch).
The command runs through a small ``-c`` script that calls the command's entry point
(:func:`sim.cli.launch`) with ``SkywatchModel.step`` wrapped to print the wall clock when the
first step starts and returns; the parent subtracts the time it launched the process, so
interpreter start-up is included:

* ``simulating``: launch to the first step's start (imports, scenario, world, routes, agents);
* ``first step done``: launch to its return (numba's compilation or cache load of the step's
  kernels included);
* ``whole command``: launch to exit (the run folder and its overview figure written too);
* ``CPU s``: the processor time of the command (user + system, every thread): what it costs
  whatever else the machine is doing.

Two kinds of run: the whole week (``skywatch run baseline``, 672 steps: what a user waits for)
and ``--steps 1`` (start-up alone). Target (issue 18): on a warm cache, ``skywatch run baseline``
finishes within 2 s of launch (the whole week's ``whole command``). Warm figures are the median
of ``--repeats`` runs, the two kinds alternating.

``--versus TREE`` compares the whole week in this tree and in ``TREE`` (another checkout, e.g. a
worktree of main) in one run: each tree's probe runs in that tree's folder with ``PYTHONPATH`` set to it and a numba
cache of its own (filled by one untimed run), the two trees alternating, ``--repeats`` pairs; it
prints each tree's medians and this tree's over the other's (the ratio is what to quote: both
trees ran under the same load).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run_scale import machine_line, write_json

TARGET_S = 2.0
MARKS = "first step (launch clock): "  # the probe's line with the two marks
PROBE = f"""
import json, sys, time
from sim.cli import launch  # first, as the command: it imports Mesa's core alone
from sim.model import SkywatchModel
marks, step = [], SkywatchModel.step
def timed_step(self):
    if not marks:
        marks.append(time.time())
    step(self)
    if len(marks) == 1:
        marks.append(time.time())
        print({MARKS!r} + json.dumps(marks), flush=True)
SkywatchModel.step = timed_step
sys.argv = ["skywatch", "run", "baseline", "--quiet", "--force", "--out", *sys.argv[1:]]
launch()
"""


ROOT = Path(__file__).resolve().parents[1]


WORLD_STORE_ENV = "SKYWATCH_WORLD_STORE"  # sim.world_store.STORE_ENV (a tree without the store ignores it)


def environment(cache: Path, tree: Path | None = None) -> dict[str, str]:
    """This process's environment: numba's cache in ``cache``, the worlds' store beside it, ``tree`` first on the path."""
    return {**os.environ, "NUMBA_CACHE_DIR": str(cache), WORLD_STORE_ENV: f"{cache}-worlds",
            **({"PYTHONPATH": str(tree)} if tree else {})}


KINDS = {"week": [], "one step": ["--steps", "1"]}  # the runs measured: the extra arguments of `skywatch run baseline`


def children_cpu_s() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_run(cache: Path, out: Path, extra: list[str], tree: Path | None = None) -> dict[str, float]:
    """Seconds from launching ``skywatch run baseline EXTRA`` to: simulating, first step done, exit; and its CPU seconds."""
    launched, cpu = time.time(), children_cpu_s()
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), *extra], env=environment(cache, tree), check=True,
                          capture_output=True, text=True, cwd=tree)  # `-c` puts the current folder first on the path
    exited, cpu = time.time(), children_cpu_s() - cpu
    started, stepped = json.loads(next(line for line in done.stdout.splitlines() if line.startswith(MARKS))[len(MARKS):])
    return {"simulating_s": started - launched, "first_step_done_s": stepped - launched, "whole_command_s": exited - launched,
            "cpu_s": cpu}


def compile_package(tree: Path) -> None:
    """Write the bytecode of ``tree``'s package, as ``make run`` and ``make test`` do (even under PYTHONDONTWRITEBYTECODE).

    A warm launch reads it; without it every launch compiles the package's sources again (about 0.2 s).
    """
    compileall.compile_dir(tree / "sim", quiet=1)


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over ``runs``."""
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def measure(repeats: int) -> dict[str, Any]:
    """One week on an empty numba cache, then ``repeats`` of each kind on the cache it filled, alternating."""
    with tempfile.TemporaryDirectory(prefix="skywatch-startup-") as tmp:
        cache, out = Path(tmp) / "numba-cache", Path(tmp) / "run"
        compile_package(ROOT)
        cold = time_run(cache, out, KINDS["week"])
        warm_runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
        for _ in range(repeats):
            for kind, extra in KINDS.items():
                warm_runs[kind].append(time_run(cache, out, extra))
    warm = {kind: median_of(runs) for kind, runs in warm_runs.items()}
    return {"repeats": repeats, "cold": cold, "warm": warm, "warm_runs": warm_runs, "target_s": TARGET_S,
            "target_met": warm["week"]["whole_command_s"] < TARGET_S}


def measure_versus(other: Path, repeats: int) -> dict[str, Any]:
    """The whole week in this tree and in ``other``, alternating, ``repeats`` pairs on warm caches of their own."""
    trees = {"this tree": ROOT, "other tree": other.resolve()}
    with tempfile.TemporaryDirectory(prefix="skywatch-startup-") as tmp:
        caches = {label: Path(tmp) / f"numba-cache-{k}" for k, label in enumerate(trees)}
        out = Path(tmp) / "run"
        for label, tree in trees.items():  # fills each tree's cache
            compile_package(tree)
            time_run(caches[label], out, KINDS["week"], tree)
        runs: dict[str, list[dict[str, float]]] = {label: [] for label in trees}
        for _ in range(repeats):
            for label, tree in trees.items():
                runs[label].append(time_run(caches[label], out, KINDS["week"], tree))
    medians = {label: median_of(tree_runs) for label, tree_runs in runs.items()}
    ratios = {name: medians["this tree"][name] / medians["other tree"][name] for name in ("whole_command_s", "cpu_s")}
    return {"repeats": repeats, "other_tree": str(trees["other tree"]), "warm": medians, "warm_runs": runs, "ratios": ratios}


def report_versus(figures: dict[str, Any]) -> None:
    """Print each tree's medians and the ratios of this tree's to the other's."""
    print(f"skywatch run baseline (a week), warm cache, median of {figures['repeats']} alternating pairs; "
          f"other tree: {figures['other_tree']}")
    print(f"{'seconds from launch to':<28}{'simulating':>12}{'first step done':>17}{'whole command':>15}{'CPU s':>8}")
    for label, marks in figures["warm"].items():
        print(f"{label:<28}{marks['simulating_s']:>12.2f}{marks['first_step_done_s']:>17.2f}"
              f"{marks['whole_command_s']:>15.2f}{marks['cpu_s']:>8.2f}")
    ratios = figures["ratios"]
    print(f"this tree / other tree: whole command {ratios['whole_command_s']:.2f}x, CPU s {ratios['cpu_s']:.2f}x")


def main() -> None:
    """Parse the arguments, measure, print the figures and optionally store them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm runs of each kind (median reported; default 3)")
    parser.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="store the figures under 'startup' in this JSON file"
    )
    parser.add_argument("--versus", type=Path, default=None, metavar="TREE",
                        help="compare the week's launch to exit with another checkout's, alternating (prints ratios)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    print(machine_line())
    if args.versus:
        figures = measure_versus(args.versus, args.repeats)
        report_versus(figures)
        if args.json:
            write_json(args.json, "startup_versus", figures)
        return
    figures = measure(args.repeats)
    print(f"skywatch run baseline (a week: 672 steps) and --steps 1; warm = median of {args.repeats} runs of each")
    print(f"{'seconds from launch to':<28}{'simulating':>12}{'first step done':>17}{'whole command':>15}{'CPU s':>8}")
    rows = {"cold cache, week": figures["cold"], **{f"warm cache, {kind}": figures["warm"][kind] for kind in KINDS}}
    for label, marks in rows.items():
        print(f"{label:<28}{marks['simulating_s']:>12.2f}{marks['first_step_done_s']:>17.2f}"
              f"{marks['whole_command_s']:>15.2f}{marks['cpu_s']:>8.2f}")
    week = figures["warm"]["week"]
    print(f"warm cache: skywatch run baseline exits {week['whole_command_s']:.2f} s after launch ({week['cpu_s']:.2f} CPU s); "
          f"target < {TARGET_S:.0f} s: {'met' if figures['target_met'] else 'NOT met'}")
    if args.json:
        write_json(args.json, "startup", figures)


if __name__ == "__main__":
    main()
