"""The world and its first routes, built once per process for every run that shares them.

Building a world and planning its routes depend only on the parameters listed in
:data:`WORLD_SECTIONS` and :data:`WORLD_PARAMS` (and on the files they name), never on
``run.seed`` or the levers: the runs of a sweep, a comparison or a calibration that share a world
seed share them. The last world built is kept with its crossings and routes under a key of all
those values (each file named by its resolved path, size and modification time); a run whose key
matches gets copies of them, so no run can change what another sees, and results stay a pure
function of (scenario, seed).

Between processes, worlds are also kept on disk (:mod:`sim.world_store`), under a key that names
files by their content and holds the package's code (:func:`stored_key`): a launch that finds its
world there neither builds nor plans it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.params import PATH_UNIT, SCHEMA
from sim.ports import Crossings, crossings_of
from sim.preflight import check_world, check_world_use, preflight
from sim.routes import RouteTable
from sim.scenario import Scenario
from sim.world import World, build_world
from sim.world_store import WorldStore, code_digest, file_digest

WORLD_SECTIONS = ("world", "terrain", "sites", "airspace", "ports", "border")  # every parameter of these sections
# and these: the sites placed (sources are shared out among the cartels) and the units' step (conservatively)
WORLD_PARAMS = ("cartels.count", "drones.bases", "ground.units", "ground.checkpoints", "run.step_hours")


@dataclass(frozen=True)
class PlannedWorld:
    """A world, its crossings and the routes planned on its travel time from every source to every crossing."""

    world: World
    crossings: Crossings
    routes: RouteTable


def file_stamp(path: Path) -> tuple[int, int] | None:
    """A file's size and modification time (ns), or None where there is no such file."""
    stat = path.stat() if path.exists() else None
    return stat and (stat.st_size, stat.st_mtime_ns)


def named_files(scenario: Scenario) -> list[tuple[str, Path]]:
    """(parameter, resolved path) of every file the world's parameters name, by parameter."""
    return [(name, path) for name in world_names(scenario)
            if name in SCHEMA and SCHEMA[name].unit == PATH_UNIT and (path := scenario.resolve_path(name)) is not None]


def world_names(scenario: Scenario) -> list[str]:
    """The parameters the world and its first routes depend on, sorted."""
    return sorted(n for n in scenario.values if n.partition(".")[0] in WORLD_SECTIONS or n in WORLD_PARAMS)


def world_key(scenario: Scenario, file_id: Callable[[Path], Any] = file_stamp) -> str:
    """Everything the world and its first routes depend on, as text: equal keys, equal worlds and routes.

    Each file a parameter names is told by ``file_id``: its size and date (within a process), or its
    content (:func:`stored_key`).
    """
    values = scenario.values
    files = [(name, str(path), file_id(path)) for name, path in named_files(scenario)]
    return repr(([(n, values[n]) for n in world_names(scenario)], files))


def stored_key(scenario: Scenario) -> str | None:
    """The key of a world kept on disk: :func:`world_key` with each file's content, and the package's code.

    None when a named file is not a regular file (missing, a folder, a pipe, a device): such a world is
    never stored, and its build reports what is wrong, without reading a pipe or a device to its end.
    """
    if not all(path.is_file() for _, path in named_files(scenario)):
        return None
    return f"{world_key(scenario, file_digest)}\n{code_digest()}"


class WorldCache:
    """The last :class:`PlannedWorld` built or read in this process, under its :func:`world_key`.

    Args:
        store: worlds kept on disk between processes (None: the one the environment names, looked
            up at each build, :meth:`sim.world_store.WorldStore.from_environment`).
    """

    def __init__(self, store: WorldStore | None = None) -> None:
        self.key: str | None = None
        self.kept: PlannedWorld | None = None
        self.store = store

    def planned(self, scenario: Scenario) -> PlannedWorld:
        """The scenario's world, crossings and routes: copies of the kept ones when its key matches, else built and kept.

        Else the world stored on disk under :func:`stored_key`, if any; else built and stored. A world is
        checked (:func:`sim.preflight.check_world`) when it is built, before any planning, and what each
        scenario asks of it (:func:`sim.preflight.check_world_use`) for every scenario.

        Raises:
            ScenarioError: the world cannot be built, or fails the checks.
        """
        key = world_key(scenario)
        if key == self.key and self.kept is not None:
            check_world_use(scenario, self.kept.world)
            return copy.deepcopy(self.kept)
        store = self.store or WorldStore.from_environment()
        on_disk = stored_key(scenario) if store.folder is not None else None
        planned = store.load(on_disk) if on_disk is not None else None
        if planned is None:
            planned = _plan(scenario)
            if on_disk is not None:
                store.save(on_disk, planned)
        else:  # checked when it was built (check_world depends on the key alone)
            check_world_use(scenario, planned.world)
        self.key, self.kept = key, planned
        return copy.deepcopy(self.kept)


def preflight_all(scenarios: Iterable[Scenario]) -> None:
    """Check scenarios as their models would at construction (:func:`sim.preflight.preflight`), without planning routes.

    Scenarios in a row that share a world (by :func:`world_key`) build it once.

    Raises:
        ScenarioError: the first scenario a model would refuse, and why.
    """
    key, world = None, None
    for scenario in scenarios:
        scenario_key = world_key(scenario)
        if world is None or scenario_key != key:
            world, key = preflight(scenario), scenario_key
        else:
            check_world_use(scenario, world)


def _plan(scenario: Scenario) -> PlannedWorld:
    """Build, check and plan the world of ``scenario`` (:meth:`WorldCache.planned`)."""
    world = build_world(scenario)
    check_world(scenario, world)  # the checks ``skywatch validate`` makes, before the costly planning
    check_world_use(scenario, world)
    crossings = crossings_of(scenario.params, world)
    return PlannedWorld(world, crossings, crossings.plan(world.cell_hours.astype(np.float64), world.sources, world))


WORLDS = WorldCache()  # this process's
