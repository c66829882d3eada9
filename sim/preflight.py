"""The checks a model makes at construction, done without planning a route: cheap validation of huge worlds.

Planning every least-cost route takes minutes and gigabytes on a 2048² world with hundreds of
sources and sinks, but whether any route exists is a question of connectivity only: label the
passable cells' connected components (moving as the path kernel moves, to all eight neighbours)
and look for a source and a sink in the same one. :class:`sim.model.SkywatchModel` runs these
same checks before it plans, so ``skywatch validate`` accepts exactly what a run accepts.
"""

from __future__ import annotations

import numpy as np

from sim.basemap import read_basemap
from sim.params import PLATFORM_SECTION
from sim.patrol import MAX_PLANNED_BLOCKS, PLANNED_POLICY, block_grid, block_side
from sim.platforms import platforms
from sim.ports import check_ports
from sim.scenario import Scenario, ScenarioError
from sim.units import Units
from sim.world import World, build_world, world_field

PATH_MOVES = np.ones((3, 3), dtype=bool)  # sim/kernels/paths.py moves to all eight neighbours, diagonals included
NO_PATH = "expected a passable path from a source to a sink, found none"


def passable(cell_cost: np.ndarray) -> np.ndarray:
    """(H, W) bool, the cells the path kernel may cross: finite, non-negative cost."""
    return np.isfinite(cell_cost) & (cell_cost >= 0)


def reached_sinks(cell_cost: np.ndarray, sources: np.ndarray, sinks: np.ndarray) -> np.ndarray:
    """(K,) bool: whether some source (flat cell) reaches each sink over passable cells."""
    from scipy import ndimage  # here: a launch on a stored world (sim.world_store) needs no scipy (0.3 s)

    components, _ = ndimage.label(passable(cell_cost), structure=PATH_MOVES)
    flat = components.ravel()
    return np.isin(flat[sinks], flat[sources]) & (flat[sinks] > 0)  # component 0 is the impassable cells


def any_route(cell_cost: np.ndarray, sources: np.ndarray, sinks: np.ndarray) -> bool:
    """Whether some source (flat cell) reaches some sink over passable cells."""
    return bool(reached_sinks(cell_cost, sources, sinks).any())


def check_world(scenario: Scenario, world: World) -> None:
    """What the model needs of a built world before it plans: a route to plan, to every port, and a readable basemap.

    These depend only on what :func:`sim.world_cache.world_key` keys a world by, so a world kept for
    runs that share it is checked once; :func:`check_world_use` checks what each scenario asks of it.

    Raises:
        ScenarioError: no source reaches a sink, the ports are refused (:func:`sim.ports.check_ports`),
            or the basemap is malformed (:func:`sim.basemap.read_basemap`), so no run draws its figures only to fail at the end.
    """
    reached = reached_sinks(world.cell_hours, world.sources, world.sinks)
    if not reached.any():
        raise ScenarioError(scenario.source, world_field(scenario), NO_PATH)
    check_ports(scenario, world, reached)
    read_basemap(scenario)


def check_world_use(scenario: Scenario, world: World) -> None:
    """What a scenario asks of a world beyond its key: the corridor the drones watch, the air bases its platforms fly from.

    Raises:
        ScenarioError: ``drones.focus_corridor`` names no corridor, a stackelberg patrol would solve over more
            than :data:`sim.patrol.MAX_PLANNED_BLOCKS` blocks, or a declared platform flies from more air bases than
            the world has.
    """
    corridors, focus = len(world.corridor_names), scenario.params.drones.focus_corridor
    if focus > corridors:
        raise ScenarioError(scenario.source, "drones.focus_corridor",
                            f"expected 0 or a corridor number up to {corridors}, got {focus}")
    bases = len(world.bases)
    flown = platforms(scenario.values)
    if any(platform.patrol == PLANNED_POLICY for platform in flown):
        rows, cols = block_grid(world.shape, block_side(Units.of(scenario), scenario.params.patrol.grid_km))
        blocks = rows * cols
        if blocks > MAX_PLANNED_BLOCKS:
            raise ScenarioError(scenario.source, "patrol.grid_km", f"expected at most {MAX_PLANNED_BLOCKS:,} patrol blocks for "
                                f"a stackelberg patrol to solve over, got {blocks:,}: make the blocks larger")
    for platform in flown:
        if platform.bases > bases:
            raise ScenarioError(scenario.source, f"{PLATFORM_SECTION}.{platform.name}.bases",
                                f"expected at most drones.bases = {bases} (the world's air bases), got {platform.bases}")


def preflight(scenario: Scenario) -> World:
    """Build the world the model of ``scenario`` would build (:func:`sim.world.build_world`, from ``world.seed``) and check it.

    Raises:
        ScenarioError: anything a model of ``scenario`` would refuse at construction.
    """
    world = build_world(scenario)
    check_world(scenario, world)
    check_world_use(scenario, world)
    return world
