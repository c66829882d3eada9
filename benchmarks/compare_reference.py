"""Skywatch against the same core step written as plain Mesa agents (``reference_mesa.py``): speed and agreement.

Run from the repository root::

    python benchmarks/compare_reference.py            # wall time per step at 10^3, 10^4, 10^5 live shipments
    python benchmarks/compare_reference.py --check    # do the two agree in distribution? (two-sample tests)
    python benchmarks/compare_reference.py --threads 1  # Skywatch on one thread (recorded apart)

Timing: both models run on the same world (the default 256 x 256 scenario with 24 drones and
:data:`reference_mesa.MATCHING`), first for :data:`WARMUP_STEPS` steps with the cartels' own
launches (numba compiled, drones airborne in their steady rotation), then with their shipment
populations filled to N on random routes at random progress and topped back up after every
step (the top-up is not timed). In each repeat Skywatch is timed for a few steps, then the
reference, alternating in this one process; the tables give the median over the repeats of the
wall time per ``model.step()``, and the ratio of the medians. The reference is skipped at the
larger sizes once one of its steps takes longer than ``--max-reference-step`` seconds.

Results go to ``reference_results.json`` next to this file (the timing and the agreement each
under its own key, with the date, machine and command).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mesa
import numba
import numpy as np
from reference_mesa import AGREEMENT_WORLD, MATCHING, ReferenceModel, Shipment, agreement
from run_scale import DEFAULT_DRONES, POOL_HEADROOM, machine, machine_line, top_up

from sim.kernels.threads import MAX_THREADS, use_threads
from sim.model import SkywatchModel
from sim.scenario import Scenario

RESULTS = Path(__file__).with_name("reference_results.json")
SIZES = (1_000, 10_000, 100_000)
WARMUP_STEPS = 80  # 20 h: every drone has taken off at least once
SKYWATCH_STEPS = 10  # Skywatch steps timed per repeat
TARGET_RATIO = 100.0  # the target at 10^4 shipments
TARGET_LIVE = 10_000


def fill_reference(model: ReferenceModel, target: int, rng: np.random.Generator) -> None:
    """Add shipment agents on random routes, at random progress, until ``target`` are in transit."""
    n = target - len(model.agents_by_type.get(Shipment, []))
    if n <= 0:
        return
    lengths = np.array([len(cells) for cells in model.route_cells])
    routes = rng.integers(0, lengths.size, n)
    for route, progress in zip(routes, rng.integers(0, lengths[routes] - 1), strict=True):
        Shipment(model, int(route), int(progress))


def seconds_per_step(model: SkywatchModel | ReferenceModel, steps: int, refill: Callable[[], None]) -> float:
    """Median wall seconds of ``steps`` calls of ``model.step()``, refilling (not timed) after each."""
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
        refill()
    return statistics.median(times)


def build_skywatch(live: int) -> SkywatchModel:
    """Skywatch on the comparison's world, its pool sized up front for ``live`` shipments (as in run_scale.py).

    The pool is reserved in place: the model's phases hold the pool they were built with.
    """
    skywatch = SkywatchModel(Scenario().with_overrides({**MATCHING, "drones.count": DEFAULT_DRONES}, "compare_reference"))
    skywatch.pool.reserve(live + POOL_HEADROOM)
    return skywatch


def time_size(live: int, repeats: int, reference_steps: int, run_reference: bool) -> dict[str, Any]:
    """Time both models at ``live`` shipments; the reference only if ``run_reference``."""
    rng = np.random.default_rng(0)
    skywatch = build_skywatch(live)
    reference = ReferenceModel(skywatch, 0)
    for _ in range(WARMUP_STEPS):
        skywatch.step()
        reference.step()
    top_up(skywatch, live, rng)
    start = time.perf_counter()
    fill_reference(reference, live, rng)
    row: dict[str, Any] = {"live": live, "reference_fill_s": time.perf_counter() - start, "repeats": repeats,
                           "skywatch_steps_per_repeat": SKYWATCH_STEPS, "reference_steps_per_repeat": reference_steps}
    sky_s, ref_s = [], []
    for _ in range(repeats):
        sky_s.append(seconds_per_step(skywatch, SKYWATCH_STEPS, lambda: top_up(skywatch, live, rng)))
        if run_reference:
            ref_s.append(seconds_per_step(reference, reference_steps, lambda: fill_reference(reference, live, rng)))
    row["skywatch_ms"] = 1e3 * statistics.median(sky_s)
    row["reference_ms"] = 1e3 * statistics.median(ref_s) if ref_s else None
    row["ratio"] = row["reference_ms"] / row["skywatch_ms"] if ref_s else None
    return row


def timing(args: argparse.Namespace) -> dict[str, Any]:
    """The timing table: both models at every size, the reference while its steps stay affordable."""
    rows = []
    run_reference = True
    print(f"{'live shipments':>15}{'skywatch ms/step':>18}{'reference ms/step':>19}{'ratio':>9}")
    for live in args.sizes:
        row = time_size(live, args.repeats, 3 if live <= 1_000 else 1, run_reference)
        rows.append(row)
        ref = "skipped" if row["reference_ms"] is None else f"{row['reference_ms']:.1f}"
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.0f}x"
        print(f"{live:>15,}{row['skywatch_ms']:>18.3f}{ref:>19}{ratio:>9}", flush=True)
        if row["reference_ms"] is not None and row["reference_ms"] > 1e3 * args.max_reference_step:
            run_reference = False
    at_target = [r for r in rows if r["live"] == TARGET_LIVE and r["ratio"] is not None]
    for r in at_target:
        verdict = "met" if r["ratio"] >= TARGET_RATIO else "NOT met"
        print(f"\nratio at {TARGET_LIVE:,} shipments: {r['ratio']:.0f}x; target >= {TARGET_RATIO:.0f}x: {verdict}")
    return {"world": "256x256", "drones": DEFAULT_DRONES, "overrides": MATCHING, "warmup_steps": WARMUP_STEPS,
            "statistic": "median over repeats of the median wall time per model.step() within a repeat", "rows": rows}


def check(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    """Both models over ``args.seeds`` seeds; Mann-Whitney U test per outcome; passed if every p > 0.01."""
    print(f"agreement over {args.seeds} seeds x {args.steps} steps on {AGREEMENT_WORLD}; both with {MATCHING}")
    results = agreement(range(args.seeds), args.steps)
    for a in results:
        print(a.line())
    passed = all(a.p_value > 0.01 for a in results)
    print("indistinguishable at alpha = 0.01" if passed else "DIFFERENT at alpha = 0.01")
    block = {
        "seeds": args.seeds,
        "steps": args.steps,
        "world": AGREEMENT_WORLD,
        "overrides": MATCHING,
        "test": "Mann-Whitney U, two-sided",
        "passed": passed,
        "outcomes": {
            a.outcome: {
                "skywatch_mean": float(a.skywatch.mean()),
                "reference_mean": float(a.reference.mean()),
                "relative_gap": a.relative_gap,
                "p_value": a.p_value,
            }
            for a in results
        },
    }
    return block, passed


def main() -> None:
    """Parse the arguments, run the timing or the agreement check, print and record the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="test agreement in distribution instead of timing")
    parser.add_argument("--seeds", type=int, default=40, help="seeds of the agreement check (default 40)")
    parser.add_argument("--steps", type=int, default=384, help="steps per run of the agreement check (default 384)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="live shipment counts to time")
    parser.add_argument("--repeats", type=int, default=5, help="alternating repeats per size (default 5)")
    parser.add_argument("--threads", type=int, default=MAX_THREADS, metavar="N",
                        help=f"threads stepping Skywatch's shipment lanes (default {MAX_THREADS}, every usable core); "
                             "other counts are recorded under their own key")
    parser.add_argument("--max-reference-step", type=float, default=30.0, metavar="S",
                        help="skip the reference at larger sizes once a step takes longer than S seconds (default 30)")
    args = parser.parse_args()
    use_threads(args.threads)
    print(machine_line())
    print(f"CPUs: {os.cpu_count()}; {platform.platform()}; numba {numba.__version__}, mesa {mesa.__version__}; "
          f"Skywatch's shipment lanes on {args.threads} thread(s); the machine may be shared with other processes", flush=True)
    recorded = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stamp = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), "machine": machine(),
             "command": " ".join(["python", *sys.argv])}
    passed = True
    if args.check:
        block, passed = check(args)
        recorded["agreement"] = {**stamp, **block}
    else:
        key = "timing" if args.threads == MAX_THREADS else f"timing_{args.threads}_threads"
        recorded[key] = {**stamp, "skywatch_threads": args.threads, **timing(args)}
    RESULTS.write_text(json.dumps(recorded, indent=2) + "\n")
    print(f"\nwritten {RESULTS}")
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
