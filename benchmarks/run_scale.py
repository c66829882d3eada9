"""How fast the Skywatch model steps, from the default scenario up to a million live shipments.

Run from the repository root::

    python benchmarks/run_scale.py            # full sizes (about 70 s on a 2-core machine)
    python benchmarks/run_scale.py --quick    # small sizes, a fast check
    python benchmarks/run_scale.py --steps 50 # time 50 steps in every configuration
    python benchmarks/run_scale.py --all-mechanisms  # every mechanism on: 10^5 on 1024², 10^6 on 2048²
    python benchmarks/run_scale.py --grid     # every mechanism on, three axes from 10^5 on 1024², 100 drones (about 35 s)
    python benchmarks/run_scale.py --million  # every mechanism on, 10^6 live on 2048² for 1,000 steps (about 75 s)
    python benchmarks/run_scale.py --platforms  # 1,000 drones of one type vs 1,000 platforms of three types in zones
    python benchmarks/run_scale.py --loaded   # the shipment kernel on 1 and 2 threads, idle and one core loaded (about 2 min)
    python benchmarks/run_scale.py --versus ../before  # this tree against another (e.g. a worktree of main), interleaved
    python benchmarks/run_scale.py --grid --million --json benchmarks/results.json  # figures into a JSON file

Configurations, each run in a fresh process (so its peak memory is its own):

* ``default scenario``: the shipped defaults with 24 drones on their 256 x 256 world; the
  cartels launch shipments as in a real run, so the live count is small.
* ``core step at scale``: a 2048 x 2048 world (512 x 512 with ``--quick``) with 100 drones, and
  the shipment pool filled directly with 10^5 or 10^6 shipments on random routes at random
  progress (the spread of a pool in steady state). After every step the pool is topped back up to
  that count with fresh shipments on random routes at their first cell, as the cartels launch
  (``--top-ups start``, the default); the top-up is not timed. ``--top-ups anywhere`` puts them at
  random progress instead, as this benchmark did before: a shipment launched halfway ends twice as
  soon, so about twice as many shipments end and are replaced per step as in a run of the model
  (1,560 against 810 per step at the grid's centre), and they land anywhere in the pool's route order.

Every configuration is warmed up for a few steps (so numba compilation is excluded) and then
``model.step()`` is timed for N steps, each phase of the step timed on its own by the model's own
step timer (``SkywatchModel(..., timing=True)``). Figures:

* ``setup``: building the model (procedural world, Dijkstra route planning from every sink,
  agents) and filling the pool; reported apart from the step rates.
* ``full`` row: the whole ``model.step()``, Python-side phases and data collection included.
* ``core`` row: drone flight and coverage stamping (the ``air`` phase) plus shipment movement and
  sensing (the ``shipments`` phase: the numba kernel ``advance_shipments`` and the Python handling
  of its events), timed inside the same steps.
* ``live shipments``: shipments moved per step (the pool's live count when the kernel runs,
  averaged over the timed steps); ``shipment-steps/s`` is their sum over the timed steps divided
  by the row's seconds.
* ``peak MiB``: peak resident set size of the configuration's process
  (``resource.getrusage(RUSAGE_SELF).ru_maxrss``), interpreter, numba and libraries included;
  ``base MiB`` in the setup table is that process's peak right after its imports.
* Phase table: milliseconds per step of each phase; ``kernel`` is the part of ``shipments``
  spent inside ``advance_shipments``; ``other`` is the rest of the step (data collection).

``--grid`` runs the full model with every mechanism on (:data:`ALL_MECHANISMS`) along three
axes from a common centre (10^5 live shipments on 1024² with 100 drones): live shipments 10^4,
10^5, 10^6; world 256², 1024², 2048²; drones 10, 100, 1000. The timed window ends on a
re-planning step (every ``cartels.planning_hours``, 96 steps by default): the other steps give
the steady ``ms/step``, the re-planning step is reported on its own (its extra cost over a
steady step, and that extra spread over the planning period: ``amortised``). Growth along each
axis is the log-log slope of ms/step against shipments, world cells or drones (1 = linear); memory per live shipment is
the difference of peak RSS between 10^6 and 10^5 live shipments divided by 9 x 10^5.

``--platforms`` compares, at the grid's centre (every mechanism on, 10^5 live shipments on
1024²), 1,000 platforms of one type (the default drones, as before platform types existed) with
1,000 platforms of three types (400 default drones, 300 uncrewed and 300 crewed, all available
and on hotspot patrol) flying in authorised zones (two polygons, 39 % of the territory): first
with the default drones' speed and sensor for all three (the same flying, so the ratio is the
cost of the types and the zones), then with each kind's own figures (crewed aircraft fly 3.75
times as fast with a 5-km sensor: 7.5 times the area swept per hour, so more coverage to stamp).
Each configuration twice, interleaved; the ratios of the mean ms/step to the one type's.

``--million`` runs 10^6 live shipments on 2048² for 1,000 steps with every mechanism on, with
no warm-up (numba's cache load and every re-planning step included): the wall time of the
whole process (imports, build, fill, steps; top-ups excluded) against 5 minutes, and peak RSS
against 4 GiB.

``--loaded`` times the grid's centre (every mechanism on, 10^5 live shipments on 1024², 100
drones) with the shipment lanes stepped on 1 and on 2 threads (``sim.kernels.threads.use_threads``),
first on the machine as it is (``idle``: nothing started by the benchmark), then ``loaded``: with
a busy process of the benchmark's own spinning on one core (not pinned: the operating system
places it, as it would another user's job), started before that process and stopped after it, also
on an error or Ctrl-C. In each process the two thread counts take turns of ``LOADED_BLOCK`` steps,
each on a twin model of its own (the first step of a turn not timed), until each has ``LOADED_STEPS``
steady steps: the twins are built alike and step through the same states, so each pair of turns is the
same work, on 1 and on 2 threads under the same load seconds apart, not minutes (this machine's speed
drifts by more than the effect); it checks that the twins end in the same state. Idle and loaded
alternate ``--repeats`` times (default ``LOADED_REPEATS``). It prints the kernel's
(``advance_shipments``) and the full step's ms per step (mean over the repeats), 2 threads against 1
with a 95% interval over the pairs of turns, loaded against idle, and whether 2 threads are slower
than 1 when a core is loaded.

``--versus TREE`` times the same centre in this tree and in ``TREE`` (another checkout of the
repository, e.g. ``git worktree add ../before main``), on 1 and on 2 threads, ``--repeats`` times
(default ``VERSUS_REPEATS``), each configuration in a fresh process with that tree on its
``PYTHONPATH``, before and after back to back so that each pair shares the machine's load; it
prints the mean ms per steady step by phase, after / before (the median of the pairs' ratios, and
the ratio of the means) and 2 threads / 1 thread, and the full step's shipment-steps/s.

Every mode first prints the machine (CPU model, cores, load average at the start) and the date
(UTC). ``--json PATH`` writes every figure under the mode's key of that JSON file
(other keys in it are kept).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mesa
import numba
import numpy as np

from sim.intervals import ratio_interval
from sim.kernels.movement import IN_TRANSIT
from sim.kernels.threads import MAX_THREADS, thread_count, use_threads
from sim.lifeline import die_with_parent
from sim.model import SkywatchModel
from sim.params import SCHEMA
from sim.phases.shipments import KERNEL_TIME, MOVED_COUNT, REGROUP_STEPS
from sim.scenario import Scenario
from sim.units import Units

PHASES = ("cartels", "air", "privacy", "shipments", "infrastructure", "ground")  # SkywatchModel.phases, in step order
CORE_PHASES = ("air", "shipments")
WARMUP_STEPS = 5
DEFAULT_DRONES = 24
SCALE_DRONES = 100
TOP_UPS = ("start", "anywhere")  # where the top-ups go (Config.top_ups): the routes' first cell, or random progress
TOP_UP_WORDS = {"start": "the routes' first cell", "anywhere": "random progress"}
POOL_HEADROOM = 4096  # slots beyond the target, for the cartels' own launches between top-ups
CORE_TARGET = 2e7  # shipment-steps/s of the core step at 10^5 shipments (the issue's target)
FULL_TARGET = 5e7  # shipment-steps/s of the full step at 10^5 shipments on 1024², every mechanism on, idle (issue 18)
TARGET_LIVE = 100_000
# --all-mechanisms: every adaptation, intercepts, learning patrols and community mechanisms on.
ALL_MECHANISMS: dict[str, Any] = {
    "adaptation.route_shifting": True, "adaptation.encryption": True, "adaptation.counter_drone": True,
    "intel.intercept_prob": 0.1, "drones.patrol": "hotspot", "community.awareness": 1.0, "community.programs": 0.5,
    "community.crisis_teams": 0.5,
}
GRID_CENTRE = {"live": TARGET_LIVE, "side": 1024, "drones": SCALE_DRONES}
GRID_AXES = {"live": (10_000, TARGET_LIVE, 1_000_000), "side": (256, 1024, 2048), "drones": (10, SCALE_DRONES, 1000)}
GRID_STEPS = 40
PLATFORM_MIX = {  # --platforms: 1,000 platforms of three types, all available, in two authorised zones (km on 1024²)
    "drones.count": 400,
    **{f"platforms.{name}.{key}": value for name, kind in (("guardian", "uncrewed"), ("p3", "crewed"))
       for key, value in (("kind", kind), ("count", 300), ("availability", 1.0), ("patrol", "hotspot"))},
    "airspace.zones_km": [[[0.0, 0.0], [1024.0, 0.0], [1024.0, 192.0], [0.0, 192.0]],
                          [[384.0, 192.0], [640.0, 192.0], [640.0, 1024.0], [384.0, 1024.0]]],
}
PLATFORM_REPEATS = 2
MILLION = {"live": 1_000_000, "side": 2048, "drones": SCALE_DRONES, "steps": 1000}
MILLION_WALL_TARGET_S = 300.0
MILLION_PEAK_TARGET_MIB = 4096.0
LOADED_THREADS = (1, 2)
LOADED_REPEATS = 3
# --loaded: timed steps on each thread count: a week of hourly steps, the lanes' measured choice of threads
# (sim.kernels.threads.MeasuredThreads) learning the machine as in a user's run of a week.
LOADED_STEPS = 672
# --loaded: steps on one thread count before the other takes its turn (the first not timed): a multiple of the pool's
# regrouping period, so that each turn holds the same steps of the regrouping cycle (the kernel is quickest just after a
# regrouping), and long enough that the untimed first step is a small share (16 steps).
LOADED_BLOCK = 2 * REGROUP_STEPS
VERSUS_REPEATS = 3
# --versus: one configuration timed in the tree on PYTHONPATH (any tree whose run_scale has measure and scale_config).
VERSUS_PROBE = """
import dataclasses, json, sys
from benchmarks.run_scale import GRID_CENTRE, measure, scale_config
threads, steps, top_ups = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
config = dataclasses.replace(scale_config("versus", GRID_CENTRE["side"], GRID_CENTRE["live"], GRID_CENTRE["drones"], steps),
                             threads=threads)
if any(f.name == "top_ups" for f in dataclasses.fields(config)):
    config = dataclasses.replace(config, top_ups=top_ups)
elif top_ups != "anywhere":
    sys.exit("this tree's benchmark tops the pool up at random progress only: time it with --top-ups anywhere")
timed = measure(config).timed
print(json.dumps({"step": timed.ms_per_step(), **timed.phase_ms()}))
"""
# The load average (1, 5, 15 min) when this benchmark started: every benchmark imports this module first thing.
STARTED_LOAD_AVERAGE = os.getloadavg()


@dataclass(frozen=True)
class Config:
    """One configuration to time.

    Attributes:
        label: name printed in the tables.
        overrides: scenario overrides (dotted name → value) on top of the defaults.
        live: shipments kept in transit by topping up the pool, or None for the cartels' own.
        steps: steps timed.
        warmup: steps run before the timed ones, not timed.
        threads: threads stepping the shipment lanes, or None for every usable core (the default).
        top_ups: where the shipments that keep ``live`` in transit go: a route's first cell (``"start"``,
            as the cartels launch) or random progress along it (``"anywhere"``); see :data:`TOP_UPS`.
    """

    label: str
    overrides: dict[str, Any]
    live: int | None
    steps: int
    warmup: int = WARMUP_STEPS
    threads: int | None = None
    top_ups: str = "start"


@dataclass
class StepTimes:
    """Seconds spent in some steps: the whole step, each phase, the shipment kernel; shipments moved."""

    steps: int = 0
    step_s: float = 0.0
    kernel_s: float = 0.0
    shipment_steps: int = 0
    phase_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))

    def add(self, other: StepTimes) -> None:
        """Add ``other``'s steps and times to these."""
        self.steps += other.steps
        self.step_s += other.step_s
        self.kernel_s += other.kernel_s
        self.shipment_steps += other.shipment_steps
        for name, seconds in other.phase_s.items():
            self.phase_s[name] += seconds

    @property
    def core_s(self) -> float:
        """Time in the core phases (drones, shipments)."""
        return sum(self.phase_s[name] for name in CORE_PHASES)

    def ms_per_step(self) -> float:
        """Mean milliseconds per step (0 for no steps)."""
        return 1e3 * self.step_s / self.steps if self.steps else 0.0

    def phase_ms(self) -> dict[str, float]:
        """Milliseconds per step of each phase, the kernel (part of shipments) and the rest of the step."""
        seconds = dict(self.phase_s)
        seconds["kernel"] = self.kernel_s
        seconds["other"] = self.step_s - sum(self.phase_s.values())
        return {name: 1e3 * s / max(self.steps, 1) for name, s in seconds.items()}


@dataclass
class Result:
    """What one configuration measured (seconds unless named otherwise).

    ``timed`` holds the timed steps without cartel re-planning, ``replan`` the re-planning steps
    among them; ``process_s`` is the parent's wall time around the whole configuration's process,
    ``load_average`` the machine's 1-minute load average when the parent started that process.
    """

    config: Config
    world: str
    drones: int
    routes: int
    mean_route_cells: float
    build_s: float
    fill_s: float
    base_mib: float
    planning_period: int
    peak_mib: float = 0.0
    topup_s: float = 0.0
    process_s: float = 0.0
    load_average: float = 0.0
    timed: StepTimes = field(default_factory=StepTimes)
    replan: StepTimes = field(default_factory=StepTimes)
    current: StepTimes = field(default_factory=StepTimes)

    @property
    def total(self) -> StepTimes:
        """Every timed step, re-planning steps included."""
        both = StepTimes()
        both.add(self.timed)
        both.add(self.replan)
        return both

    def amortised_ms(self) -> float:
        """Milliseconds per step with the re-planning step's extra cost spread over the planning period."""
        extra = self.replan.ms_per_step() - self.timed.ms_per_step() if self.replan.steps else 0.0
        return self.timed.ms_per_step() + extra / self.planning_period


def max_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def top_up(model: SkywatchModel, target: int, rng: np.random.Generator, at_start: bool = False) -> int:
    """Launch shipments on random routes until ``target`` are in transit; returns how many were launched.

    They go at random progress, or at their routes' first cell if ``at_start`` (as the cartels launch).
    """
    n = target - model.pool.live
    if n <= 0:
        return 0
    s, routes = model.scenario, model.routes
    route = rng.integers(0, routes.length.size, n)
    slots = model.pool.launch(rng.integers(0, len(model.cartels), n), route, np.full(n, s["shipments.value"]),
                              np.full(n, s["shipments.concealment"]))
    if not at_start:
        model.pool.progress[slots] = rng.integers(0, routes.length[route] - 1)
    return n


def read_timer(model: SkywatchModel, into: StepTimes) -> None:
    """Add what the model's step timer measured (phases, the shipment kernel, shipments moved) to ``into``."""
    seconds = model.timer.seconds
    for name in PHASES:
        into.phase_s[name] += seconds.get(name, 0.0)
    into.kernel_s += seconds.get(KERNEL_TIME, 0.0)
    into.shipment_steps += int(seconds.get(MOVED_COUNT, 0))


def prepare(config: Config) -> tuple[SkywatchModel, Result, np.random.Generator]:
    """Build and fill one configuration's model; its (empty) result and the top-ups' generator."""
    if config.threads is not None:
        use_threads(config.threads)
    base_mib = max_rss_mib()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    model = SkywatchModel(Scenario().with_overrides(config.overrides, "benchmark"), timing=True)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    if config.live is not None:
        model.pool.reserve(config.live + POOL_HEADROOM)
        top_up(model, config.live, rng)
    fill_s = time.perf_counter() - start
    h, w = model.world.shape
    result = Result(config, f"{h}x{w}", model.fleet.x.size, model.routes.length.size, float(model.routes.length.mean()),
                    build_s, fill_s, base_mib, planning_period(model.scenario))
    return model, result, rng


def step_once(model: SkywatchModel, result: Result, rng: np.random.Generator) -> StepTimes:
    """Step once, timed, and top the pool up again (not timed: into ``result.topup_s``); the step's times."""
    result.current = StepTimes(steps=1)
    model.timer.reset()
    start = time.perf_counter()
    model.step()
    result.current.step_s = time.perf_counter() - start
    read_timer(model, result.current)
    if result.config.live is not None:
        start = time.perf_counter()
        top_up(model, result.config.live, rng, at_start=result.config.top_ups == "start")
        result.topup_s += time.perf_counter() - start
    return result.current


def replanned(model: SkywatchModel, result: Result) -> bool:
    """Whether the model's last step was one of the cartels' re-planning steps (as in CartelPhase.step)."""
    return (model.steps - 1) % result.planning_period == 0


def file_step(model: SkywatchModel, result: Result, times: StepTimes) -> bool:
    """Add the last step's ``times`` to ``result``: re-planning steps apart; whether it was one."""
    replanning = replanned(model, result)
    (result.replan if replanning else result.timed).add(times)
    return replanning


def measure(config: Config) -> Result:
    """Build, fill, warm up and time one configuration (run in a fresh process)."""
    model, result, rng = prepare(config)
    for i in range(config.warmup + config.steps):
        times = step_once(model, result, rng)
        if i >= config.warmup:
            file_step(model, result, times)
    result.peak_mib = max_rss_mib()
    return result


@dataclass
class Alternating:
    """What :func:`measure_alternating` measured: a result per thread count and each block's figures.

    ``block_ms[threads, part]`` (part ``"kernel"`` or ``"step"``) lists the mean ms per timed step of
    each block on that thread count; block ``k`` of one count and of the other stepped twin models
    through the same steps from the same state, one after the other, under the same load.
    ``identical`` says whether the twins ended in the same state (:func:`state_digest`).
    """

    results: dict[int, Result]
    block_ms: dict[tuple[int, str], list[float]]
    identical: bool = True


def state_digest(model: SkywatchModel) -> str:
    """sha256 of a model's tallies and of its live shipments' fields in uid order (wherever they sit in the pool)."""
    pool, digest = model.pool, hashlib.sha256(repr(sorted(vars(model.tally).items())).encode())
    live = np.flatnonzero(pool.status == IN_TRANSIT)
    live = live[np.argsort(pool.uid[live], kind="stable")]
    for name in sorted(pool.arrays):
        digest.update(np.ascontiguousarray(pool.arrays[name][live]).tobytes())
    return digest.hexdigest()


def measure_alternating(config: Config, threads: tuple[int, ...], block: int) -> Alternating:
    """Time ``config`` on twin models, one per count of ``threads`` for the shipment lanes, in turns (run in a fresh process).

    The twins are built alike and results do not depend on the thread count, so each twin steps through
    the same states: block ``k`` on one count and on the other is the same work, and only the threads and
    the machine's moment differ. After ``config.warmup`` steps on each twin, the counts take turns for
    ``block`` steps at a time, in the order ABBA..., until each has ``config.steps`` timed steps. The first
    step of each block is not timed (it wakes or leaves the workers, and finds the other twin's data in the
    caches). The lanes' measured choice of threads keeps its measures for each count
    (:class:`sim.kernels.threads.MeasuredThreads`), as in one long run.
    """
    before = thread_count()
    twins = {}
    for count in threads:
        model, first, rng = prepare(config)
        twins[count] = model, dataclasses.replace(first, config=dataclasses.replace(config, threads=count)), rng
    for count, (model, result, rng) in twins.items():
        use_threads(count)
        for _ in range(config.warmup):
            step_once(model, result, rng)
    block_ms: dict[tuple[int, str], list[float]] = {(count, part): [] for count in threads for part in ("kernel", "step")}
    for turn in range(math.ceil(config.steps / (block - 1))):
        for count in threads if turn % 2 == 0 else threads[::-1]:
            model, result, rng = twins[count]
            use_threads(count)
            step_once(model, result, rng)
            times = StepTimes()
            for _ in range(block - 1):
                step = step_once(model, result, rng)
                if not file_step(model, result, step):
                    times.add(step)
            block_ms[count, "kernel"].append(times.phase_ms()["kernel"])
            block_ms[count, "step"].append(times.ms_per_step())
    for _, result, _ in twins.values():
        result.peak_mib = max_rss_mib()
    use_threads(before)
    digests = {state_digest(model) for model, _, _ in twins.values()}
    return Alternating({count: result for count, (_, result, _) in twins.items()}, block_ms, len(digests) == 1)


def planning_period(scenario: Scenario) -> int:
    """Steps between the cartels' re-planning steps."""
    return Units.of(scenario).steps(scenario["cartels.planning_hours"])


def scale_config(label: str, side: int, live: int, drones: int, steps: int, warmup: int = WARMUP_STEPS) -> Config:
    """Every mechanism on, ``live`` shipments kept in transit on a ``side``² world with ``drones`` drones."""
    return Config(
        label, {"world.height": side, "world.width": side, "drones.count": drones, **ALL_MECHANISMS}, live, steps, warmup
    )


def grid_configurations(steps: int) -> dict[tuple[int, int, int], Config]:
    """The grid's points by (live, side, drones): the centre and each axis's other values.

    The warm-up is long enough that the timed window ends on the first re-planning step after step 1.
    """
    warmup = max(WARMUP_STEPS, planning_period(Scenario()) + 1 - steps)
    points = {}
    for axis, values in GRID_AXES.items():
        for value in values:
            point = {**GRID_CENTRE, axis: value}
            key = (point["live"], point["side"], point["drones"])
            label = f"{point['live']:.0e} {point['side']}² {point['drones']}d"
            points[key] = scale_config(label, point["side"], point["live"], point["drones"], steps, warmup)
    return points


def platform_configurations(steps: int) -> list[Config]:
    """One type against three types in zones at the grid's centre, alternated ``PLATFORM_REPEATS`` times."""
    centre = scale_config("1000 drones, one type", GRID_CENTRE["side"], GRID_CENTRE["live"], 1000, steps)
    same = {f"platforms.{name}.{key}": SCHEMA[f"drones.{key}"].default for name in ("guardian", "p3")
            for key in ("speed_kmh", "sensor_radius_km", "endurance_h", "turnaround_h")}
    mixed = dataclasses.replace(centre, label="3 types in zones, drone figures",
                                overrides={**centre.overrides, **PLATFORM_MIX, **same})
    kinds = dataclasses.replace(centre, label="3 types in zones, own figures", overrides={**centre.overrides, **PLATFORM_MIX})
    return [centre, mixed, kinds] * PLATFORM_REPEATS


def platform_report(results: list[Result]) -> dict[str, Any]:
    """Print and return each configuration's ms/step (full and air phase) and the ratio of the means."""
    rows: dict[str, list[Result]] = {}
    for r in results:
        rows.setdefault(r.config.label, []).append(r)
    means = {}
    for label, runs in rows.items():
        full = [1e3 * r.timed.step_s / r.timed.steps for r in runs]
        air = [r.timed.phase_ms()["air"] for r in runs]
        means[label] = float(np.mean(full))
        print(f"{label:>32}: full step {', '.join(f'{v:.1f}' for v in full)} ms/step (mean {means[label]:.1f}); "
              f"air phase {', '.join(f'{v:.1f}' for v in air)} ms/step")
    one = next(iter(means.values()))
    ratios = {label: ms / one for label, ms in means.items()}
    for label, ratio in list(ratios.items())[1:]:
        print(f"{label} / one type: {ratio:.3f} (within 10 %: {'yes' if ratio <= 1.1 else 'NO'})")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return {"ms_per_step": means, "ratio": ratios}


def loaded_configuration(steps: int) -> Config:
    """The grid's centre, ``steps`` timed steps on each of :data:`LOADED_THREADS` threads."""
    return scale_config("", GRID_CENTRE["side"], GRID_CENTRE["live"], GRID_CENTRE["drones"], steps)


def spin(parent_pid: int) -> None:
    """Keep one core busy until stopped (or until the process ``parent_pid`` ends)."""
    die_with_parent(parent_pid)
    while True:
        pass


@contextlib.contextmanager
def busy_core() -> Iterator[int]:
    """A process of the benchmark's own spinning on one core while the block runs; yields its pid.

    Stopped when the block ends, however it ends (an error, Ctrl-C); it also dies with this process.
    """
    busy = multiprocessing.get_context("spawn").Process(target=spin, args=(os.getpid(),), name="busy core", daemon=True)
    busy.start()
    try:
        yield busy.pid
    finally:
        busy.terminate()
        busy.join()


def run_loaded(steps: int, repeats: int, top_ups: str = TOP_UPS[0]) -> dict[str, list[Alternating]]:
    """Time :func:`loaded_configuration` idle and loaded, alternating, ``repeats`` times, each in a fresh process.

    ``top_ups``: where the shipments that keep the live count go (:attr:`Config.top_ups`).

    Returns:
        What each process measured (:func:`measure_alternating`), by ``"idle"`` or ``"loaded"``, one per repeat.
    """
    runs: dict[str, list[Alternating]] = {"idle": [], "loaded": []}
    config = dataclasses.replace(loaded_configuration(steps), top_ups=top_ups)
    for _ in range(repeats):
        for state in runs:
            with busy_core() if state == "loaded" else contextlib.nullcontext() as busy:
                print(f"{state}{f', busy process {busy} spinning on one core' if busy else ''}: {steps} steps on each of "
                      f"{' and '.join(map(str, LOADED_THREADS))} threads in turns of {LOADED_BLOCK}; load average "
                      f"{os.getloadavg()[0]:.2f} ...", flush=True)
                load, start = os.getloadavg()[0], time.perf_counter()
                run = in_fresh_process(measure_alternating, config, LOADED_THREADS, LOADED_BLOCK)
                for result in run.results.values():
                    result.process_s, result.load_average = time.perf_counter() - start, load
                runs[state].append(run)
    return runs


def loaded_report(runs: dict[str, list[Alternating]]) -> dict[str, Any]:
    """Print the kernel's and the full step's ms per step on 1 and 2 threads, idle and loaded, and their ratios.

    2 threads against 1 is the ratio of the mean ms of the blocks on each, which ran in turns under the
    same load, with a 95% interval over the pairs of blocks (Fieller's, :func:`sim.intervals.ratio_interval`);
    loaded against idle, of the means over the repeats (different processes, minutes apart).
    """
    one, two = LOADED_THREADS
    ms = {(state, threads, part): [r.results[threads].timed.phase_ms()["kernel"] if part == "kernel"
                                   else r.results[threads].timed.ms_per_step() for r in state_runs]
          for state, state_runs in runs.items() for threads in LOADED_THREADS for part in ("kernel", "step")}
    mean = {key: float(np.mean(values)) for key, values in ms.items()}
    repeats = len(runs["idle"])
    print(f"\n{TARGET_LIVE:,} live shipments on {GRID_CENTRE['side']}², {GRID_CENTRE['drones']} drones, every mechanism on; "
          f"ms per steady step, mean of {repeats} runs (each run's figure in brackets)")
    width = 12 + 7 * repeats
    print(f"{'threads':>8}{'kernel idle':>{width}}{'kernel loaded':>{width}}{'loaded/idle':>13}"
          f"{'step idle':>{width}}{'step loaded':>{width}}{'loaded/idle':>13}")
    for threads in LOADED_THREADS:
        cells = ""
        for part in ("kernel", "step"):
            for state in ("idle", "loaded"):
                values = ", ".join(f"{v:.2f}" for v in ms[state, threads, part])
                cells += f"{mean[state, threads, part]:>8.2f} [{values}]".rjust(width)
            cells += f"{mean['loaded', threads, part] / mean['idle', threads, part]:>13.2f}"
        print(f"{threads:>8}{cells}")
    intervals = {f"{part}_{two}_vs_{one}_threads_{state}": ratio_interval(
        [v for r in runs[state] for v in r.block_ms[two, part]], [v for r in runs[state] for v in r.block_ms[one, part]])
        for part in ("kernel", "step") for state in ("idle", "loaded")}
    ratios = {key: interval.estimate for key, interval in intervals.items()} | {
        f"{part}_loaded_vs_idle_{threads}_threads": mean["loaded", threads, part] / mean["idle", threads, part]
        for part in ("kernel", "step") for threads in LOADED_THREADS
    }
    by_repeat = {f"kernel_{two}_vs_{one}_threads_{state}":
                 [float(np.mean(r.block_ms[two, "kernel"]) / np.mean(r.block_ms[one, "kernel"])) for r in runs[state]]
                 for state in ("idle", "loaded")}
    for state in ("idle", "loaded"):
        line = []
        for part, name in (("kernel", "kernel"), ("step", "full step")):
            interval = intervals[f"{part}_{two}_vs_{one}_threads_{state}"]
            line.append(f"{name} {interval.estimate:.3f} (95% interval {interval.low:.3f} to {interval.high:.3f})")
        key = f"kernel_{two}_vs_{one}_threads_{state}"
        print(f"{two} threads / {one} thread, {state}, over {intervals[key].n} pairs of blocks: {'; '.join(line)}; "
              f"kernel in each repeat: {', '.join(f'{v:.2f}' for v in by_repeat[key])}")
    loaded = intervals[f"kernel_{two}_vs_{one}_threads_loaded"]
    verdict = (f"SLOWER than on {one}" if loaded.low > 1 else f"not slower than on {one}" if loaded.estimate <= 1
               else f"not told apart from {one} (slower by the estimate, but its interval holds 1)")
    print(f"with one core loaded, the kernel on {two} threads is {verdict}")
    identical = all(r.identical for state_runs in runs.values() for r in state_runs)
    print(f"the twin models on {one} and {two} threads ended in the same state in every run: {'yes' if identical else 'NO'}")
    rates = {f"{state}_{threads}_threads": 1e3 * TARGET_LIVE / mean[state, threads, "step"]
             for state in ("idle", "loaded") for threads in LOADED_THREADS}
    for threads in LOADED_THREADS:
        rate = rates[f"idle_{threads}_threads"]
        print(f"full step, idle, {threads} thread{'s' * (threads > 1)}: {rate:,.0f} shipment-steps/s (target >= "
              f"{FULL_TARGET:,.0f} on an idle machine: {'met' if rate >= FULL_TARGET else 'NOT met'})")
    loads = {state: [r.results[one].load_average for r in state_runs] for state, state_runs in runs.items()}
    print("1-minute load average before each run: "
          + "; ".join(f"{state}: {', '.join(f'{v:.2f}' for v in values)}" for state, values in loads.items())
          + f"; {os.getloadavg()[0]:.2f} at the end")
    return {"load_average_before": loads, "block_steps": LOADED_BLOCK,
            "ms_per_step": {f"{state}_{threads}_threads_{part}": values for (state, threads, part), values in ms.items()},
            "mean_ms_per_step": {f"{state}_{threads}_threads_{part}": value for (state, threads, part), value in mean.items()},
            "ratios": ratios, "ratios_by_repeat": by_repeat,
            "intervals": {key: dataclasses.asdict(interval) for key, interval in intervals.items()},
            "two_threads_slower_when_loaded": bool(loaded.low > 1), "verdict_when_loaded": verdict,
            "twins_identical": identical, "top_ups": next(iter(runs["idle"][0].results.values())).config.top_ups,
            "full_step_shipment_steps_per_s": rates}


def commit_of(tree: Path) -> str | None:
    """The short commit a git checkout is at (None outside git)."""
    commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return commit.stdout.strip() if commit.returncode == 0 else None


def code_label() -> str:
    """The commit of the checkout this benchmark runs from, marked when files other than the benchmarks' outputs differ."""
    root = Path(__file__).resolve().parents[1]
    commit = commit_of(root)
    if commit is None:
        return "not recorded"
    outputs = [f":!benchmarks/{name}" for name in ("results.json", "RESULTS.md", "reference_results.json")]  # benchmark output
    changed = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--", ".", *outputs],
                             capture_output=True, text=True, check=False).stdout.strip()
    return f"{commit}{' with uncommitted changes' if changed else ''}"


def tree_label(tree: Path) -> str:
    """A tree's path and, if it is a git checkout, its commit."""
    commit = commit_of(tree)
    return f"{tree} ({commit})" if commit else str(tree)


def run_versus(before: Path, steps: int, repeats: int, top_ups: str = TOP_UPS[0]) -> dict[str, Any]:
    """Time the grid's centre in ``before`` and in this tree on each of :data:`LOADED_THREADS` threads, alternating.

    Both trees top the pool up alike (``top_ups``, :attr:`Config.top_ups`); a tree whose benchmark has no
    choice of top-ups puts them at random progress, so it can be timed only with ``"anywhere"``.

    Returns:
        Every run's ms per steady step by phase (``step`` the whole step), with its tree, threads and load average.
    """
    trees = {"before": before.resolve(), "after": Path(__file__).resolve().parents[1]}
    runs = []
    for _ in range(repeats):
        for threads in LOADED_THREADS:
            for name, tree in trees.items():
                load = os.getloadavg()[0]
                print(f"running {name} ({tree}) on {threads} thread(s); load average {load:.2f} ...", flush=True)
                child = subprocess.run([sys.executable, "-c", VERSUS_PROBE, str(threads), str(steps), top_ups], cwd=tree,
                                       env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=False)
                if child.returncode != 0:
                    raise RuntimeError(f"{name} tree {tree}: {child.stderr.strip()}")
                runs.append({"tree": name, "threads": threads, "load_average": load,
                             "ms": json.loads(child.stdout.strip().splitlines()[-1])})
    return {"before": tree_label(trees["before"]), "after": tree_label(trees["after"]), "repeats": repeats,
            "steps": steps, "top_ups": top_ups, "runs": runs}


def versus_report(figures: dict[str, Any]) -> dict[str, Any]:
    """Print the mean ms per step by phase of each tree and thread count, and the ratios measured in this run; add them."""
    mean: dict[str, dict[str, float]] = {}
    for tree in ("before", "after"):
        for threads in LOADED_THREADS:
            runs = [r["ms"] for r in figures["runs"] if r["tree"] == tree and r["threads"] == threads]
            mean[f"{tree}_{threads}"] = {name: float(np.mean([r[name] for r in runs])) for name in runs[0]}
    one, two = LOADED_THREADS
    names = list(mean[f"after_{one}"])
    print(f"\n{TARGET_LIVE:,} live shipments on {GRID_CENTRE['side']}², {GRID_CENTRE['drones']} drones, every mechanism on; "
          f"mean ms per steady step of {figures['repeats']} repeats; before = {figures['before']}, after = {figures['after']}")
    print(f"{'':>16}" + "".join(f"{name:>15}" for name in names))
    for key, row in mean.items():
        print(f"{key:>16}" + "".join(f"{row[name]:>15.3f}" for name in names))
    ratios = {f"{name}_after_vs_before_{threads}_threads": mean[f"after_{threads}"][name] / mean[f"before_{threads}"][name]
              for threads in LOADED_THREADS for name in ("step", "kernel")}
    paired = {}  # each repeat's after / before, the two run back to back
    for threads in LOADED_THREADS:
        pairs = [r["ms"] for r in figures["runs"] if r["threads"] == threads]
        for name in ("step", "kernel"):
            paired[f"{name}_after_vs_before_{threads}_threads"] = [b[name] / a[name] for a, b in itertools.batched(pairs, 2)]
    ratios |= {f"{key}_median_of_pairs": float(np.median(values)) for key, values in paired.items()}
    ratios |= {f"{name}_{two}_vs_{one}_threads_{tree}": mean[f"{tree}_{two}"][name] / mean[f"{tree}_{one}"][name]
               for tree in ("before", "after") for name in ("step", "kernel")}
    rates = {f"{tree}_{threads}_threads": 1e3 * TARGET_LIVE / mean[f"{tree}_{threads}"]["step"]
             for tree in ("before", "after") for threads in LOADED_THREADS}
    for key, value in ratios.items():
        print(f"{key}: {value:.2f}")
    for key, value in rates.items():
        print(f"full step shipment-steps/s, {key}: {value:,.0f} (target >= {FULL_TARGET:,.0f} on an idle machine: "
              f"{'met' if value >= FULL_TARGET else 'NOT met'})")
    print(f"1-minute load average before each run: {', '.join(f'{r['load_average']:.2f}' for r in figures['runs'])}; "
          f"{os.getloadavg()[0]:.2f} at the end")
    for key, values in paired.items():
        print(f"{key}, each pair: {', '.join(f'{v:.2f}' for v in values)}")
    return {**figures, "mean_ms": mean, "ratios": ratios, "ratios_by_pair": paired, "shipment_steps_per_s": rates}


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


def run_configs(configs: list[Config]) -> list[Result]:
    """Measure each configuration in a fresh spawned process (that dies with this one), one after another."""
    results = []
    for config in configs:
        threads = f" threads={config.threads}" if config.threads else ""
        print(f"running {config.label} {config.overrides} live={config.live or 'cartels'} steps={config.steps} "
              f"(+{config.warmup} warm-up){threads}; load average {os.getloadavg()[0]:.2f} ...", flush=True)
        load, start = os.getloadavg()[0], time.perf_counter()
        result = in_fresh_process(measure, config)
        result.process_s, result.load_average = time.perf_counter() - start, load
        results.append(result)
    return results


def in_fresh_process[T](function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a fresh spawned process that dies with this one."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        return pool.submit(function, *args).result()


def print_report(results: list[Result]) -> None:
    """The setup, throughput and phase tables."""
    print("\nsetup (model build = procedural world + Dijkstra routes + agents; fill = initial pool launch)")
    print(f"{'configuration':<20}{'world':>11}{'drones':>8}{'routes':>8}{'mean route cells':>18}"
          f"{'build s':>9}{'fill s':>8}{'base MiB':>10}")
    for r in results:
        print(f"{r.config.label:<20}{r.world:>11}{r.drones:>8}{r.routes:>8}{r.mean_route_cells:>18.0f}"
              f"{r.build_s:>9.2f}{r.fill_s:>8.2f}{r.base_mib:>10.0f}")

    print("\nthroughput (full = model.step(); core = air + shipments phases inside those steps)")
    print(f"{'configuration':<20}{'step':>5}{'world':>11}{'drones':>8}{'live shipments':>16}{'steps':>7}"
          f"{'seconds':>9}{'steps/s':>10}{'shipment-steps/s':>18}{'peak MiB':>10}")
    for r in results:
        t = r.total
        live = t.shipment_steps / t.steps
        for kind, seconds in (("full", t.step_s), ("core", t.core_s)):
            print(f"{r.config.label:<20}{kind:>5}{r.world:>11}{r.drones:>8}{live:>16,.0f}{t.steps:>7}"
                  f"{seconds:>9.3f}{t.steps / seconds:>10,.1f}{t.shipment_steps / seconds:>18,.0f}{r.peak_mib:>10.0f}")

    print_phases([(r.config.label, r.total) for r in results])

    at_target = [r for r in results if r.config.live == TARGET_LIVE]
    for r in at_target:
        full = r.config.label == "all mechanisms"  # its target is the whole step's
        t = r.total
        rate = t.shipment_steps / (t.step_s if full else t.core_s)
        verdict = "met" if rate >= CORE_TARGET else "NOT met"
        print(f"\n{'full' if full else 'core'} step at {TARGET_LIVE:,} shipments on {r.world}: {rate:,.0f} shipment-steps/s; "
              f"target >= {CORE_TARGET:,.0f}: {verdict}")


def print_phases(rows: list[tuple[str, StepTimes]]) -> None:
    """The table of milliseconds per step by phase."""
    print("\nms per step by phase (kernel = advance_shipments, part of shipments; other = data collection)")
    names = ("cartels", "air", "privacy", "shipments", "kernel", "infrastructure", "ground", "other")
    print(f"{'configuration':<24}{'live':>10}" + "".join(f"{name:>15}" for name in names))
    for label, t in rows:
        ms = t.phase_ms()
        print(f"{label:<24}{t.shipment_steps / max(t.steps, 1):>10,.0f}" + "".join(f"{ms[name]:>15.3f}" for name in names))


def slope(x0: float, y0: float, x1: float, y1: float) -> float:
    """Log-log slope between two points (1 = cost linear in x)."""
    return math.log(y1 / y0) / math.log(x1 / x0)


def grid_report(points: dict[tuple[int, int, int], Result]) -> dict[str, Any]:
    """Print the grid's tables and growth along each axis; return the derived figures."""
    def key(axis: str, value: int) -> tuple[int, int, int]:
        point = {**GRID_CENTRE, axis: value}
        return point["live"], point["side"], point["drones"]

    size = {"live": lambda v: v, "side": lambda v: v * v, "drones": lambda v: v}  # cells for the world axis
    print("\nfull model.step(), every mechanism on; steady = timed steps without re-planning; "
          "re-plan = the re-planning step's extra ms; amortised = steady + extra / planning period")
    print(f"{'axis':<8}{'point':<24}{'live':>11}{'steady ms':>11}{'x prev':>8}{'shipment-steps/s':>18}"
          f"{'re-plan +ms':>13}{'amortised ms':>14}{'amortised /s':>14}{'peak MiB':>10}{'build s':>9}")
    derived: dict[str, Any] = {"axes": {}}
    for axis, values in GRID_AXES.items():
        rows, previous = [], None
        for value in values:
            r = points[key(axis, value)]
            ms, live = r.timed.ms_per_step(), r.timed.shipment_steps / r.timed.steps
            extra = r.replan.ms_per_step() - ms
            ratio = ms / previous if previous else float("nan")
            print(
                f"{axis:<8}{r.config.label:<24}{live:>11,.0f}{ms:>11.2f}{ratio:>8.2f}{1e3 * live / ms:>18,.0f}"
                f"{extra:>13.1f}{r.amortised_ms():>14.2f}{1e3 * live / r.amortised_ms():>14,.0f}"
                f"{r.peak_mib:>10.0f}{r.build_s:>9.1f}"
            )
            rows.append({"value": value, "live": live, "steady_ms": ms, "ratio_to_previous": ratio if previous else None,
                         "shipment_steps_per_s": 1e3 * live / ms, "replan_extra_ms": extra, "amortised_ms": r.amortised_ms(),
                         "amortised_shipment_steps_per_s": 1e3 * live / r.amortised_ms(), "peak_mib": r.peak_mib})
            previous = ms
        first, last = rows[0], rows[-1]
        growth = slope(size[axis](first["value"]), first["steady_ms"], size[axis](last["value"]), last["steady_ms"])
        derived["axes"][axis] = {"points": rows, "loglog_slope": growth}
    slopes = {axis: d["loglog_slope"] for axis, d in derived["axes"].items()}
    print(
        f"\ngrowth of steady ms/step (log-log slope over each axis's range; 1 = linear): shipments {slopes['live']:.2f}, "
        f"world cells {slopes['side']:.2f}, drones {slopes['drones']:.2f} (a cost in shipments x drones would give 1 for drones)"
    )
    low, high = points[key("live", GRID_AXES["live"][1])], points[key("live", GRID_AXES["live"][2])]
    per_shipment = (high.peak_mib - low.peak_mib) * 2**20 / (high.config.live - low.config.live)
    derived["bytes_per_live_shipment"] = per_shipment
    print(f"memory per live shipment: (peak {high.peak_mib:.0f} MiB - {low.peak_mib:.0f} MiB) / "
          f"{high.config.live - low.config.live:,} = {per_shipment:.0f} bytes")
    centre = points[key("live", GRID_CENTRE["live"])]
    rate = centre.timed.shipment_steps / centre.timed.step_s
    derived["centre_shipment_steps_per_s"] = rate
    print(f"full step at {TARGET_LIVE:,} shipments on {centre.world}: {rate:,.0f} shipment-steps/s steady, "
          f"{1e3 * TARGET_LIVE / centre.amortised_ms():,.0f} amortised; target >= {CORE_TARGET:,.0f}: "
          f"{'met' if rate >= CORE_TARGET else 'NOT met'}")
    print_phases([(r.config.label, r.timed) for r in points.values()])
    print("\nthe re-planning step alone:", end="")
    print_phases([(r.config.label, r.replan) for r in points.values()])
    return derived


def million_report(r: Result) -> dict[str, Any]:
    """Print the million-shipment run's figures and verdicts; return them."""
    t = r.total
    wall = r.process_s - r.topup_s
    figures = {"process_wall_s": r.process_s, "wall_without_topups_s": wall, "steps_s": t.step_s, "build_s": r.build_s,
               "fill_s": r.fill_s, "topup_s": r.topup_s, "peak_mib": r.peak_mib, "ms_per_step": t.ms_per_step(),
               "shipment_steps_per_s": t.shipment_steps / t.step_s, "replan_steps": r.replan.steps,
               "wall_target_met": wall < MILLION_WALL_TARGET_S, "peak_target_met": r.peak_mib < MILLION_PEAK_TARGET_MIB}
    print(f"\n{r.config.live:,} live shipments on {r.world}, {r.drones} drones, every mechanism on, {t.steps} steps "
          f"({r.replan.steps} re-planning):")
    print(f"  process wall {r.process_s:.1f} s = imports + build {r.build_s:.1f} s + fill {r.fill_s:.1f} s "
          f"+ steps {t.step_s:.1f} s ({t.ms_per_step():.1f} ms/step) + top-ups {r.topup_s:.1f} s (not counted)")
    print(f"  wall without top-ups {wall:.1f} s; target < {MILLION_WALL_TARGET_S:.0f} s: "
          f"{'met' if figures['wall_target_met'] else 'NOT met'}")
    print(f"  peak RSS {r.peak_mib:,.0f} MiB; target < {MILLION_PEAK_TARGET_MIB:,.0f} MiB: "
          f"{'met' if figures['peak_target_met'] else 'NOT met'}")
    print_phases([("steady steps", r.timed), ("re-planning steps", r.replan)])
    return figures


def cpu_model() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux, else what the platform reports)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_line() -> str:
    """One line naming the machine, its cores, its load average now and the date, for the head of a benchmark's output."""
    load = ", ".join(f"{value:.2f}" for value in STARTED_LOAD_AVERAGE)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"machine: {cpu_model()}, {os.cpu_count()} cores; load average {load} (1, 5, 15 min) at the start; {now}"


def machine() -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    return {"machine": platform.machine(), "cpu_model": cpu_model(), "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "load_average_at_start": STARTED_LOAD_AVERAGE, "load_average": os.getloadavg(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "mesa": mesa.__version__, "shipment_threads": MAX_THREADS}


def write_json(path: Path, key: str, figures: dict[str, Any]) -> None:
    """Store ``figures`` under ``key`` of the JSON file at ``path`` with the date, machine and command; keep its other keys."""
    doc = json.loads(path.read_text()) if path.exists() else {}
    doc[key] = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), "machine": machine(),
                "command": " ".join(["python", *sys.argv]), "code": code_label(), **figures}
    path.write_text(json.dumps(doc, indent=2, default=float) + "\n")
    print(f"wrote {key} figures to {path}")


def as_json(results: list[Result]) -> list[dict[str, Any]]:
    """Every measured figure of ``results``, the per-step phase milliseconds included."""
    rows = []
    for r in results:
        row = dataclasses.asdict(r)
        del row["current"]
        for part in ("timed", "replan"):
            row[part]["phase_ms"] = getattr(r, part).phase_ms()
        rows.append(row)
    return rows


def main() -> None:
    """Parse the arguments, run every configuration in its own process and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small world and pool sizes, for a fast check")
    parser.add_argument("--all-mechanisms", action="store_true", help="every adaptation, intelligence and community mechanism on")
    parser.add_argument("--grid", action="store_true", help="every mechanism on, along the shipments, world and drones axes")
    parser.add_argument("--million", action="store_true", help="every mechanism on, 10^6 live shipments on 2048² for 1,000 steps")
    parser.add_argument("--platforms", action="store_true", help="1,000 platforms: one type against three types in zones")
    parser.add_argument("--loaded", action="store_true",
                        help="the shipment kernel at 10^5 live on 1024² on 1 and 2 threads, idle and with one core loaded")
    parser.add_argument("--versus", type=Path, default=None, metavar="TREE",
                        help="time the grid's centre in this tree and in TREE (another checkout), interleaved")
    parser.add_argument("--repeats", type=int, default=None, metavar="N",
                        help=f"--versus: pairs of runs on each thread count (default {VERSUS_REPEATS}); --loaded: processes "
                             f"idle and loaded, each timing 1 and 2 threads in turns (default {LOADED_REPEATS})")
    parser.add_argument("--steps", type=int, default=None, metavar="N",
                        help="steps timed in every configuration (default: 672 for the default scenario, 100 at scale; "
                             f"200 and 50 with --quick; {GRID_STEPS} with --grid; {LOADED_STEPS} with --loaded; "
                             f"{MILLION['steps']} with --million)")
    parser.add_argument("--top-ups", choices=TOP_UPS, default=TOP_UPS[0],
                        help="where the shipments that keep the pool's live count go: the routes' first cell, as the cartels "
                             "launch (default), or random progress along them, as before")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write every figure to this JSON file")
    args = parser.parse_args()
    if args.steps is not None and args.steps < 1:
        parser.error("--steps must be at least 1")
    print(machine_line())
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"CPUs: {os.cpu_count()} (usable by this process: {affinity}); shipment lanes stepped on {MAX_THREADS} threads "
          f"(the other kernels are serial); numba {numba.__version__}, numpy {np.__version__}")
    print(f"each configuration in a fresh process; warm-up steps not timed; top-ups at {TOP_UP_WORDS[args.top_ups]}")

    def run_configs_with_top_ups(configs: list[Config]) -> list[Result]:
        return run_configs([dataclasses.replace(config, top_ups=args.top_ups) for config in configs])

    if args.grid:
        points = grid_configurations(args.steps or GRID_STEPS)
        results = dict(zip(points, run_configs_with_top_ups(list(points.values())), strict=True))
        derived = grid_report(results)
        if args.json:
            write_json(args.json, "grid", {"results": as_json(list(results.values())), **derived})
    if args.million:
        steps = args.steps or MILLION["steps"]
        config = scale_config("million", MILLION["side"], MILLION["live"], MILLION["drones"], steps, warmup=0)
        (result,) = run_configs_with_top_ups([config])
        figures = million_report(result)
        if args.json:
            write_json(args.json, "million", {"results": as_json([result]), **figures})
    if args.platforms:
        results = run_configs_with_top_ups(platform_configurations(args.steps or GRID_STEPS))
        figures = platform_report(results)
        if args.json:
            write_json(args.json, "platforms", {"results": as_json(results), **figures})
    if args.loaded:
        figures = loaded_report(run_loaded(args.steps or LOADED_STEPS, args.repeats or LOADED_REPEATS, args.top_ups))
        if args.json:
            write_json(args.json, "loaded", figures)
    if args.versus:
        figures = versus_report(run_versus(args.versus, args.steps or GRID_STEPS, args.repeats or VERSUS_REPEATS, args.top_ups))
        if args.json:
            write_json(args.json, "versus", figures)
    if not (args.grid or args.million or args.platforms or args.loaded or args.versus):
        results = run_configs_with_top_ups(configurations(args.quick, args.steps, args.all_mechanisms))
        print_report(results)
        if args.json:
            write_json(args.json, "all_mechanisms" if args.all_mechanisms else "scale", {"results": as_json(results)})


if __name__ == "__main__":
    main()
