"""The world and its first routes, built once per process for every run that shares them.

Building a world and planning its routes depend only on the parameters listed in
:data:`WORLD_SECTIONS` and :data:`WORLD_PARAMS` (and on the files they name), never on
``run.seed`` or the levers: the runs of a sweep, a comparison or a calibration that share a world
seed share them. The last world built is kept with its crossings and routes under a key of all
those values (each file named by its resolved path, size and modification time); a run whose key
matches gets copies of them, so no run can change what another sees, and results stay a pure
function of (scenario, seed).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.params import PATH_UNIT, SCHEMA
from sim.ports import Crossings, crossings_of
from sim.preflight import check_world, check_world_use
from sim.routes import RouteTable
from sim.scenario import Scenario
from sim.world import World, build_world

WORLD_SECTIONS = ("world", "terrain", "sites", "airspace", "ports", "border")  # every parameter of these sections
# and these: the sites placed (sources are shared out among the cartels) and the units' step (conservatively)
WORLD_PARAMS = ("cartels.count", "drones.bases", "ground.units", "ground.checkpoints", "run.step_hours")


@dataclass(frozen=True)
class PlannedWorld:
    """A world, its crossings and the routes planned on its travel time from every source to every crossing."""

    world: World
    crossings: Crossings
    routes: RouteTable


def world_key(scenario: Scenario) -> str:
    """Everything the world and its first routes depend on, as text: equal keys, equal worlds and routes."""
    values = scenario.values
    names = sorted(n for n in values if n.partition(".")[0] in WORLD_SECTIONS or n in WORLD_PARAMS)
    files: list[Any] = []
    for name in names:
        if name in SCHEMA and SCHEMA[name].unit == PATH_UNIT and values[name]:
            path = scenario.resolve_path(name)
            stat = path.stat() if path is not None and path.exists() else None
            files.append((name, str(path), stat and (stat.st_size, stat.st_mtime_ns)))
    return repr(([(n, values[n]) for n in names], files))


class WorldCache:
    """The last :class:`PlannedWorld` built in this process, under its :func:`world_key`."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.kept: PlannedWorld | None = None

    def planned(self, scenario: Scenario) -> PlannedWorld:
        """The scenario's world, crossings and routes: copies of the kept ones when its key matches, else built and kept.

        A world is checked (:func:`sim.preflight.check_world`) when it is built, before any planning,
        and what each scenario asks of it (:func:`sim.preflight.check_world_use`) for every scenario.

        Raises:
            ScenarioError: the world cannot be built, or fails the checks.
        """
        key = world_key(scenario)
        if key == self.key and self.kept is not None:
            check_world_use(scenario, self.kept.world)
            return copy.deepcopy(self.kept)
        world = build_world(scenario)
        check_world(scenario, world)  # the checks ``skywatch validate`` makes, before the costly planning
        check_world_use(scenario, world)
        crossings = crossings_of(scenario.params, world)
        routes = crossings.plan(world.cell_hours.astype(np.float64), world.sources, world)
        self.key, self.kept = key, PlannedWorld(world, crossings, routes)
        return copy.deepcopy(self.kept)


WORLDS = WorldCache()  # this process's
