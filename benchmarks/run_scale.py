"""How fast the Skywatch model steps, from the default scenario up to a million live shipments.

Run from the repository root::

    python benchmarks/run_scale.py            # full sizes (about 70 s on a 2-core machine)
    python benchmarks/run_scale.py --quick    # small sizes, a fast check
    python benchmarks/run_scale.py --steps 50 # time 50 steps in every configuration
    python benchmarks/run_scale.py --all-mechanisms  # every mechanism on: 10^5 on 1024², 10^6 on 2048²

Configurations, each run in a fresh process (so its peak memory is its own):

* ``default scenario``: the shipped defaults with 24 drones on their 256 x 256 world; the
  cartels launch shipments as in a real run, so the live count is small.
* ``core step at scale``: a 2048 x 2048 world (512 x 512 with ``--quick``) with 100 drones, and
  the shipment pool filled directly with 10^5 or 10^6 shipments on random routes at random
  progress. After every step the pool is topped back up to that count with fresh shipments at
  random progress; the top-up is not timed.

Every configuration is warmed up for a few steps (so numba compilation is excluded) and then
``model.step()`` is timed for N steps, each phase of the step timed on its own. Figures:

* ``setup``: building the model (procedural world, Dijkstra route planning from every sink,
  agents) and filling the pool; reported apart from the step rates.
* ``full`` row: the whole ``model.step()``, Python-side phases and data collection included.
* ``core`` row: drone flight and coverage stamping (``_phase_drones``) plus shipment movement and
  sensing (``_phase_shipments``: the numba kernel ``advance_shipments`` and the Python handling
  of its events), timed inside the same steps.
* ``live shipments``: shipments moved per step (the pool's live count when the kernel runs,
  averaged over the timed steps); ``shipment-steps/s`` is their sum over the timed steps divided
  by the row's seconds.
* ``peak MiB``: peak resident set size of the configuration's process
  (``resource.getrusage(RUSAGE_SELF).ru_maxrss``), interpreter, numba and libraries included;
  ``base MiB`` in the setup table is that process's peak right after its imports.
* Phase table: milliseconds per step of each phase; ``kernel`` is the part of ``shipments``
  spent inside ``advance_shipments``; ``other`` is the rest of the step (ground units stepping,
  data collection).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

import sim.model
from sim.model import SkywatchModel
from sim.scenario import Scenario
from sim.shipments import ShipmentPool

PHASES = ("_phase_cartels", "_phase_drones", "_phase_shipments", "_phase_infrastructure", "_phase_dispatch")
CORE_PHASES = ("_phase_drones", "_phase_shipments")
WARMUP_STEPS = 5
DEFAULT_DRONES = 24
SCALE_DRONES = 100
POOL_HEADROOM = 4096  # slots beyond the target, for the cartels' own launches between top-ups
CORE_TARGET = 2e7  # shipment-steps/s of the core step at 10^5 shipments (the target)
TARGET_LIVE = 100_000
# --all-mechanisms: every adaptation, intercepts, learning patrols and community mechanisms on.
ALL_MECHANISMS: dict[str, Any] = {
    "adaptation.route_shifting": True, "adaptation.encryption": True, "adaptation.counter_drone": True,
    "intel.intercept_prob": 0.1, "drones.patrol": "hotspot", "community.awareness": 1.0, "community.programs": 0.5,
    "community.crisis_teams": 0.5,
}


@dataclass(frozen=True)
class Config:
    """One configuration to time.

    Attributes:
        label: name printed in the tables.
        overrides: scenario overrides (dotted name → value) on top of the defaults.
        live: shipments kept in transit by topping up the pool, or None for the cartels' own.
        steps: steps timed.
    """

    label: str
    overrides: dict[str, Any]
    live: int | None
    steps: int


@dataclass
class Result:
    """What one configuration measured (seconds unless named otherwise)."""

    config: Config
    world: str
    drones: int
    routes: int
    mean_route_cells: float
    build_s: float
    fill_s: float
    base_mib: float
    peak_mib: float = 0.0
    step_s: float = 0.0
    shipment_steps: int = 0
    kernel_s: float = 0.0
    phase_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))

    @property
    def core_s(self) -> float:
        """Time in the core phases (drones, shipments)."""
        return sum(self.phase_s[name] for name in CORE_PHASES)


def max_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def top_up(model: SkywatchModel, target: int, rng: np.random.Generator) -> None:
    """Launch shipments on random routes, at random progress, until ``target`` are in transit."""
    n = target - model.pool.live
    if n <= 0:
        return
    s, routes = model.scenario, model.routes
    route = rng.integers(0, routes.length.size, n)
    slots = model.pool.launch(rng.integers(0, len(model.cartels), n), route, np.full(n, s["shipments.value"]),
                              np.full(n, s["shipments.concealment"]), model.steps)
    model.pool.progress[slots] = rng.integers(0, routes.length[route] - 1)


def instrument(model: SkywatchModel, result: Result) -> None:
    """Make the model's phases and the shipment kernel add their time to ``result`` as they run.

    The phases are wrapped on the instance; the kernel is swapped in ``sim.model``'s namespace,
    which is safe because each configuration runs in its own process.
    """
    def timed(name: str, phase: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            start = time.perf_counter()
            phase()
            result.phase_s[name] += time.perf_counter() - start
        return run

    for name in PHASES:
        setattr(model, name, timed(name, getattr(model, name)))
    kernel = sim.model.advance_shipments

    def timed_kernel(*args: Any) -> int:
        result.shipment_steps += model.pool.live  # the kernel moves every live shipment
        start = time.perf_counter()
        n_events = kernel(*args)
        result.kernel_s += time.perf_counter() - start
        return n_events

    sim.model.advance_shipments = timed_kernel


def measure(config: Config) -> Result:
    """Build, fill, warm up and time one configuration (run in a fresh process)."""
    base_mib = max_rss_mib()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    model = SkywatchModel(Scenario().with_overrides(config.overrides, "benchmark"))
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    if config.live is not None:
        # Sized up front: ShipmentPool._grow while slots are live leaves the free stack too short.
        model.pool = ShipmentPool(config.live + POOL_HEADROOM)
        top_up(model, config.live, rng)
    fill_s = time.perf_counter() - start
    h, w = model.world.shape
    result = Result(config, f"{h}x{w}", model.fleet.x.size, model.routes.length.size,
                    float(model.routes.length.mean()), build_s, fill_s, base_mib)
    instrument(model, result)
    for i in range(WARMUP_STEPS + config.steps):
        if i == WARMUP_STEPS:
            result.kernel_s, result.shipment_steps = 0.0, 0
            result.phase_s = dict.fromkeys(PHASES, 0.0)
        start = time.perf_counter()
        model.step()
        if i >= WARMUP_STEPS:
            result.step_s += time.perf_counter() - start
        if config.live is not None:
            top_up(model, config.live, rng)
    result.peak_mib = max_rss_mib()
    return result


def configurations(quick: bool, steps: int | None, all_mechanisms: bool) -> list[Config]:
    """The default scenario, then the core step at scale (smaller with ``quick``).

    With ``all_mechanisms``, the scale runs have every mechanism on, at 10^5 shipments on 1024²
    and 10^6 on 2048² (the full-model targets); the timed steps then include a re-planning period.
    """
    default_steps, scale_steps = (200, 50) if quick else (672, 100)
    if all_mechanisms:
        sizes = ((512, 10_000), (512, TARGET_LIVE)) if quick else ((1024, TARGET_LIVE), (2048, 1_000_000))
        label, extra = "all mechanisms", ALL_MECHANISMS
    else:
        sizes = ((512, 10_000), (512, TARGET_LIVE)) if quick else ((2048, TARGET_LIVE), (2048, 1_000_000))
        label, extra = "core step at scale", {}
    return [Config("default scenario", {"drones.count": DEFAULT_DRONES, **extra}, None, steps or default_steps)] + [
        Config(label, {"world.height": size, "world.width": size, "drones.count": SCALE_DRONES, **extra}, n, steps or scale_steps)
        for size, n in sizes]


def print_report(results: list[Result]) -> None:
    """The setup, throughput and phase tables."""
    print("\nsetup (model build = procedural world + Dijkstra routes + agents; fill = initial pool launch)")
    print(f"{'configuration':<20}{'world':>11}{'drones':>8}{'routes':>8}{'mean route cells':>18}"
          f"{'build s':>9}{'fill s':>8}{'base MiB':>10}")
    for r in results:
        print(f"{r.config.label:<20}{r.world:>11}{r.drones:>8}{r.routes:>8}{r.mean_route_cells:>18.0f}"
              f"{r.build_s:>9.2f}{r.fill_s:>8.2f}{r.base_mib:>10.0f}")

    print("\nthroughput (full = model.step(); core = _phase_drones + _phase_shipments inside those steps)")
    print(f"{'configuration':<20}{'step':>5}{'world':>11}{'drones':>8}{'live shipments':>16}{'steps':>7}"
          f"{'seconds':>9}{'steps/s':>10}{'shipment-steps/s':>18}{'peak MiB':>10}")
    for r in results:
        live = r.shipment_steps / r.config.steps
        for kind, seconds in (("full", r.step_s), ("core", r.core_s)):
            print(f"{r.config.label:<20}{kind:>5}{r.world:>11}{r.drones:>8}{live:>16,.0f}{r.config.steps:>7}"
                  f"{seconds:>9.3f}{r.config.steps / seconds:>10,.1f}{r.shipment_steps / seconds:>18,.0f}{r.peak_mib:>10.0f}")

    print("\nms per step by phase (kernel = advance_shipments, part of shipments; other = ground units + data collection)")
    names = ("cartels", "drones", "shipments", "kernel", "infrastructure", "dispatch", "other")
    print(f"{'configuration':<20}{'live':>10}" + "".join(f"{name:>15}" for name in names))
    for r in results:
        per_step = [r.phase_s[f"_phase_{name}"] if name != "kernel" else r.kernel_s for name in names[:-1]]
        per_step.append(r.step_s - sum(r.phase_s.values()))
        live = r.shipment_steps / r.config.steps
        print(f"{r.config.label:<20}{live:>10,.0f}" + "".join(f"{1e3 * s / r.config.steps:>15.3f}" for s in per_step))

    at_target = [r for r in results if r.config.live == TARGET_LIVE]
    for r in at_target:
        full = r.config.label == "all mechanisms"  # its target is the whole step's
        rate = r.shipment_steps / (r.step_s if full else r.core_s)
        verdict = "met" if rate >= CORE_TARGET else "NOT met"
        print(f"\n{'full' if full else 'core'} step at {TARGET_LIVE:,} shipments on {r.world}: {rate:,.0f} shipment-steps/s; "
              f"target >= {CORE_TARGET:,.0f}: {verdict}")


def main() -> None:
    """Parse the arguments, run every configuration in its own process and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small world and pool sizes, for a fast check")
    parser.add_argument("--all-mechanisms", action="store_true", help="every adaptation, intelligence and community mechanism on")
    parser.add_argument("--steps", type=int, default=None, metavar="N",
                        help="steps timed in every configuration (default: 672 for the default scenario, 100 at scale; "
                             "200 and 50 with --quick)")
    args = parser.parse_args()
    if args.steps is not None and args.steps < 1:
        parser.error("--steps must be at least 1")
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"CPUs: {os.cpu_count()} (usable by this process: {affinity}); numba threads: {numba.get_num_threads()} "
          f"(the kernels are serial @njit, so one core does the stepping); numba {numba.__version__}, numpy {np.__version__}")
    print(f"warm-up: {WARMUP_STEPS} steps per configuration, not timed; each configuration in a fresh process")
    results = []
    spawn = multiprocessing.get_context("spawn")
    for config in configurations(args.quick, args.steps, args.all_mechanisms):
        print(f"running {config.label} {config.overrides} live={config.live or 'cartels'} steps={config.steps} ...", flush=True)
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            results.append(pool.submit(measure, config).result())
    print_report(results)


if __name__ == "__main__":
    main()
