"""The world: terrain raster, population, sources, sinks, corridors, cartel infrastructure, air bases, posts, checkpoints.

Made procedurally from ``world.seed`` (each placement from a stream of its own, see
:mod:`sim.streams`), or with its travel cost, elevation, land cover, roads and population loaded
from ``.npy`` or GeoTIFF rasters named in the scenario (:mod:`sim.raster_input`, on the grid of
:mod:`sim.georef` when the world is georeferenced). It never depends on ``run.seed``, and a
lever changes no placement but its own (``ground.units`` places as many posts,
``ground.checkpoints`` as many checkpoints, ``drones.bases`` as many bases: the first ones stay
where they were). North is row 0: shipments
start at sources in the south and end at sinks (border crossings) on the northern edge, unless
the scenario puts sites where it wants them (:mod:`sim.sites`), each kind given replacing that
kind's random draw.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.airspace import authorised_mask
from sim.georef import Grid
from sim.params import SCHEMA
from sim.raster_input import (
    COST_FIELD,
    ELEVATION_FIELD,
    LANDCOVER_FIELD,
    POPULATION_FIELD,
    ROADS_FIELD,
    read_layer,
    tobler_slowdown,
    world_grid,
)
from sim.scenario import Scenario, ScenarioError, shown
from sim.sites import cell_centres, given_sites
from sim.streams import RandomStreams, world_streams
from sim.units import Units

# Land cover codes (int8). WATER (sea, lakes), BARRIER (impassable land) and ABROAD (beyond the international
# border, outside the model) are impassable: their cell_hours is inf. A land-cover raster holds these codes.
OPEN, ROUGH, ROAD, TOWN, WATER, BARRIER, ABROAD = 0, 1, 2, 3, 4, 5, 6
COVER_CODES = (OPEN, ROUGH, ROAD, TOWN, WATER, BARRIER, ABROAD)

# Infrastructure kinds (int8).
LAB, STASH_HOUSE, AIRSTRIP = 0, 1, 2
INFRA_NAMES = ("lab", "stash house", "airstrip")

SOURCE_BAND = 0.15  # sources lie in the southern 15 % of the rows
NOISE_OCTAVES = 5
TOWN_RADIUS_KM = 3.0  # typical radius of a town's population blob
RURAL_SHARE = 0.15  # share of the population living outside towns
SITE_SPREAD_KM = 10.0  # labs lie within about this distance of their source
ROAD_KNOTS = 7  # points a procedural road meanders through, south to north
TOWN_EDGE = 0.25  # a town ends where its density falls to this share of the smallest town centre's
TINY = 1e-12  # guards a division by a maximum that may be zero
BASE_COLUMNS = (0.1, 0.9)  # air bases lie between these shares of the width (west to east)
BASE_ROWS = (0.3, 0.9)  # and of the height (north to south), away from the border

MIN_ELEVATION_M, MAX_ELEVATION_M = -500.0, 9000.0  # below the Dead Sea's shore to above Everest


def world_field(scenario: Scenario) -> str:
    """The field a bad world is reported under: the cost file when one is loaded, else the land-cover file, else the world."""
    world = scenario.params.world
    return COST_FIELD if world.cost_file else LANDCOVER_FIELD if world.landcover_file else "world"
# Bounds of a loaded cost raster's finite hours per cell: near-zero costs would make every route free (and the
# route choice's logit scale, a share of the cheapest cost, zero); beyond a century a cell is as good as inf.
MIN_CELL_HOURS, MAX_CELL_HOURS = 1e-6, 1e6
MAX_POPULATION = SCHEMA["world.population"].high  # a loaded population raster sums to at most what a procedural one may

_CORRIDOR_NAMES = {2: ("west", "east"), 3: ("west", "central", "east"), 4: ("far-west", "west", "east", "far-east")}


@dataclass
class World:
    """Static geography of one run. Flat indices are ``row * width + col``.

    Attributes:
        cell_hours: (H, W) float32, hours to cross a cell overland; inf = impassable.
        cover: (H, W) int8 land cover code.
        population: (H, W) float32 people per cell.
        sources: (S,) int64 flat cells where shipments start.
        source_owner: (S,) int64 cartel owning each source.
        sinks: (K,) int64 flat cells where shipments end: the ports of entry (:mod:`sim.ports`).
        corridor: (H, W) int8 corridor index of each cell.
        corridor_names: names of the corridors, west to east.
        infra_cells: (I,) int64 flat cells of cartel infrastructure.
        infra_kind: (I,) int8 LAB, STASH_HOUSE or AIRSTRIP.
        infra_owner: (I,) int64 owning cartel.
        bases: (B, 2) float64 x, y of the air bases, cell units.
        posts: (U, 2) float64 x, y of the ground units' posts (cell centres on roads), cell units.
        checkpoints: (C, 2) float64 x, y of the road checkpoints (cell centres), cell units.
        airspace: (H, W) bool airspace authorised for the partner's aircraft, or (0, 0) when all of it is
            (:mod:`sim.airspace`).
    """

    cell_hours: np.ndarray
    cover: np.ndarray
    population: np.ndarray
    sources: np.ndarray
    source_owner: np.ndarray
    sinks: np.ndarray
    corridor: np.ndarray
    corridor_names: tuple[str, ...]
    infra_cells: np.ndarray
    infra_kind: np.ndarray
    infra_owner: np.ndarray
    bases: np.ndarray
    posts: np.ndarray
    checkpoints: np.ndarray
    airspace: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the raster."""
        return self.cell_hours.shape

    @cached_property
    def border(self) -> np.ndarray:
        """(B,) int64 flat cells where the border can be crossed, sorted (:func:`border_cells`)."""
        return border_cells(self.cover, np.isfinite(self.cell_hours))


def border_cells(cover: np.ndarray, passable: np.ndarray) -> np.ndarray:
    """(B,) int64 sorted flat cells where a crossing can be made.

    The passable cells 4-adjacent to an ABROAD cell when the cover has any; else the passable
    cells of row 0 (the northern edge of a world without a mapped border).
    """
    abroad = cover == ABROAD
    if not abroad.any():
        edge = np.zeros_like(passable)
        edge[0, :] = True
        return np.flatnonzero(passable & edge)
    beside = np.zeros_like(abroad)
    beside[1:, :] |= abroad[:-1, :]
    beside[:-1, :] |= abroad[1:, :]
    beside[:, 1:] |= abroad[:, :-1]
    beside[:, :-1] |= abroad[:, 1:]
    return np.flatnonzero(passable & beside)


def cover_hours(scenario: Scenario) -> np.ndarray:
    """Hours to cross one cell of each land-cover code, indexed by code: a town as a road, inf on impassable cover."""
    terrain = scenario.params.terrain
    speeds = np.array([terrain.open_kmh, terrain.rough_kmh, terrain.road_kmh, terrain.road_kmh])
    hours = np.full(len(COVER_CODES), np.inf)
    hours[[OPEN, ROUGH, ROAD, TOWN]] = Units.of(scenario).cell_km / speeds
    return hours


def corridor_names(count: int) -> tuple[str, ...]:
    """Names of ``count`` corridors, west to east."""
    return _CORRIDOR_NAMES.get(count, tuple(f"corridor-{i + 1}" for i in range(count)))


def _fractal_noise(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Smooth noise in [0, 1]: octaves of upsampled white noise, coarse ones weighted most."""
    from scipy import ndimage  # here: a launch on a stored world (sim.world_store) needs no scipy (0.3 s)

    total = np.zeros((h, w))
    for octave in range(NOISE_OCTAVES):
        size = 4 * 2**octave
        coarse = rng.random((size + 1, size + 1))
        total += ndimage.zoom(coarse, (h / (size + 1), w / (size + 1)), order=1)[:h, :w] / 2**octave
    total -= total.min()
    return total / max(total.max(), TINY)


def _draw_polyline(mask: np.ndarray, points: np.ndarray) -> None:
    """Set the cells of ``mask`` on the polyline through ``points`` ((n, 2) rows, cols) to True."""
    for (r0, c0), (r1, c1) in itertools.pairwise(points):
        n = int(max(abs(r1 - r0), abs(c1 - c0))) + 1
        rows = np.linspace(r0, r1, n).round().astype(int)
        cols = np.linspace(c0, c1, n).round().astype(int)
        mask[rows, cols] = True
        mask[rows, np.minimum(cols + 1, mask.shape[1] - 1)] = True  # 4-connected


def _roads(rng: np.random.Generator, h: int, w: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Meandering south-to-north roads; returns the road mask and each road's northern column."""
    mask = np.zeros((h, w), dtype=bool)
    ends = np.empty(count, dtype=np.int64)
    for i in range(count):
        rows = np.linspace(h - 1, 0, ROAD_KNOTS)
        centre = (i + 0.5) / count * w
        cols = np.clip(centre + rng.normal(0.0, w / (3 * count + 3), ROAD_KNOTS).cumsum() / 2, 0, w - 1)
        _draw_polyline(mask, np.column_stack([rows, cols]))
        ends[i] = round(cols[-1])
    return mask, ends


def _population(
    rng: np.random.Generator, h: int, w: int, towns: int, total: float, units: Units
) -> tuple[np.ndarray, np.ndarray]:
    """People per cell: Gaussian town blobs over a thin rural background; and the town mask."""
    from scipy import ndimage  # here: a launch on a stored world (sim.world_store) needs no scipy (0.3 s)

    density = np.full((h, w), RURAL_SHARE / (h * w))
    town_mask = np.zeros((h, w), dtype=bool)
    if towns:
        blobs = np.zeros((h, w))
        rows, cols = rng.integers(0, h, towns), rng.integers(0, w, towns)
        np.add.at(blobs, (rows, cols), rng.lognormal(0.0, 1.0, towns))
        blobs = ndimage.gaussian_filter(blobs, max(units.cells(TOWN_RADIUS_KM), 0.5))
        density += (1 - RURAL_SHARE) * blobs / blobs.sum()
        town_mask = blobs > TOWN_EDGE * blobs[rows, cols].min()
    return (total * density / density.sum()).astype(np.float32), town_mask


def _refuse_unless(ok: np.ndarray, raster: np.ndarray, scenario: Scenario, name: str, expected: str) -> None:
    """Raise naming the first cell of ``raster`` where ``ok`` is False, if any."""
    bad = np.flatnonzero(~ok)
    if bad.size:
        row, col = divmod(int(bad[0]), raster.shape[1])
        others = f" ({bad.size:,} such cells in all)" if bad.size > 1 else ""
        raise ScenarioError(scenario.source, name, f"expected {expected}; found {shown(raster[row, col].item())} at row {row}, "
                                                   f"column {col}{others}")


def _load_cost(scenario: Scenario, grid: Grid | None, shape: tuple[int, int]) -> np.ndarray | None:
    """The travel-cost raster file, hours per cell (float32, inf = impassable), or None when unset."""
    hours = read_layer(scenario, COST_FIELD, grid, shape)
    if hours is None:
        return None
    ok = ((hours >= MIN_CELL_HOURS) & (hours <= MAX_CELL_HOURS)) | (hours == np.inf)
    _refuse_unless(
        ok, hours, scenario, COST_FIELD, f"hours per cell in [{MIN_CELL_HOURS:g}, {MAX_CELL_HOURS:g}], or inf for impassable"
    )
    return hours.astype(np.float32)


def _load_population(scenario: Scenario, grid: Grid | None, shape: tuple[int, int]) -> np.ndarray | None:
    """The population raster file, people per cell (float32), or None when unset."""
    people = read_layer(scenario, POPULATION_FIELD, grid, shape)
    if people is None:
        return None
    _refuse_unless(  # NaN and inf fail too; capping each cell keeps the total from overflowing
        (people >= 0) & (people <= MAX_POPULATION),
        people,
        scenario,
        POPULATION_FIELD,
        f"finite people per cell in [0, {MAX_POPULATION:g}] (0 where nobody lives)",
    )
    total = float(people.sum())
    if total > MAX_POPULATION:
        raise ScenarioError(scenario.source, POPULATION_FIELD, f"expected at most {MAX_POPULATION:g} people in all "
                                                               f"(world.population's bound), found {total:g}")
    return people.astype(np.float32)


def _mapped_terrain(scenario: Scenario, grid: Grid | None, cover: np.ndarray,
                    road_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Land cover, hours per cell (float32) and road mask, from the land-cover, roads and elevation rasters given.

    Land cover replaces the procedural cover (BARRIER where it has no data: unknown land); a roads
    raster makes its cells > 0 roads (bridges over water and barriers included, never abroad); an
    elevation raster slows each cell by its slope (:func:`sim.raster_input.tobler_slowdown`).
    Without any of them the procedural terrain is unchanged.
    """
    landcover = read_layer(scenario, LANDCOVER_FIELD, grid, cover.shape)
    if landcover is not None:
        landcover[np.isnan(landcover)] = BARRIER
        _refuse_unless(np.isin(landcover, COVER_CODES), landcover, scenario, LANDCOVER_FIELD,
                       f"land-cover codes {', '.join(map(str, COVER_CODES))}")
        cover = landcover.astype(np.int8)
    roads = read_layer(scenario, ROADS_FIELD, grid, cover.shape)
    if roads is not None:
        _refuse_unless(np.isfinite(roads), roads, scenario, ROADS_FIELD, "finite values (> 0 = road)")
        cover = np.where((roads > 0) & (cover != ABROAD), ROAD, cover).astype(np.int8)
    if landcover is not None or roads is not None:
        road_mask = cover == ROAD
    hours = cover_hours(scenario)[cover]
    elevation = read_layer(scenario, ELEVATION_FIELD, grid, cover.shape)
    if elevation is not None:
        _refuse_unless(np.isnan(elevation) | ((elevation >= MIN_ELEVATION_M) & (elevation <= MAX_ELEVATION_M)), elevation,
                       scenario, ELEVATION_FIELD, f"metres in [{MIN_ELEVATION_M:g}, {MAX_ELEVATION_M:g}] (or nodata)")
        slowed = hours * tobler_slowdown(elevation, scenario.params.world.cell_km)
        hours = np.where(np.isfinite(hours), np.minimum(slowed, MAX_CELL_HOURS), np.inf)
    return cover, hours.astype(np.float32), road_mask


def _shuffled(rng: np.random.Generator, candidates: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` of ``candidates`` in a random order, going round the order again if there are fewer.

    Distinct while they last, and prefix-stable: asking for one more keeps the ones before.
    """
    order = rng.permutation(candidates.size)
    return candidates[order[np.arange(count) % candidates.size]] if candidates.size else candidates


def _pick_cells(rng: np.random.Generator, allowed: np.ndarray, count: int) -> np.ndarray:
    """``count`` distinct flat cells drawn from the True cells of ``allowed`` (fewer if scarce), sorted."""
    candidates = np.flatnonzero(allowed)
    return np.sort(_shuffled(rng, candidates, min(count, candidates.size)))


def _on_roads(rng: np.random.Generator, cover: np.ndarray, passable: np.ndarray, count: int) -> np.ndarray:
    """(count, 2) x, y cell centres on the roads (anywhere passable without roads), distinct while they last."""
    w = cover.shape[1]
    roads = np.flatnonzero(cover.ravel() == ROAD)
    cells = roads if roads.size else np.flatnonzero(passable.ravel())
    rows, cols = np.divmod(_shuffled(rng, cells, count), w)
    return np.column_stack([cols + 0.5, rows + 0.5]).astype(np.float64)


def _bases(rng: np.random.Generator, h: int, w: int, count: int) -> np.ndarray:
    """(count, 2) x, y of the air bases, uniform over the band :data:`BASE_COLUMNS` × :data:`BASE_ROWS`."""
    unit = rng.random((count, 2))  # base i takes draws 2i, 2i + 1: prefix-stable
    return np.column_stack([(BASE_COLUMNS[0] + unit[:, 0] * (BASE_COLUMNS[1] - BASE_COLUMNS[0])) * w,
                            (BASE_ROWS[0] + unit[:, 1] * (BASE_ROWS[1] - BASE_ROWS[0])) * h])


def build_world(scenario: Scenario) -> World:
    """Make the world of a scenario from its parameters and the streams of its ``world.seed``.

    Raises:
        ScenarioError: a raster file is missing, malformed or of the wrong shape, holds a value
            out of range (NaN, a cost outside [MIN_CELL_HOURS, MAX_CELL_HOURS] other than inf,
            a negative or infinite population), or no cell is passable where sources or sinks
            must lie.
    """
    p = scenario.params
    h, w = p.world.height, p.world.width
    units = Units.of(scenario)
    streams = world_streams(p.world.seed)
    noise = _fractal_noise(streams.generator("terrain"), h, w)
    road_mask, road_ends = _roads(streams.generator("roads"), h, w, p.world.roads)
    population, town_mask = _population(streams.generator("towns"), h, w, p.world.towns, p.world.population, units)

    cover = np.where(noise > 1.0 - p.world.roughness, ROUGH, OPEN).astype(np.int8)
    cover[town_mask] = TOWN
    cover[road_mask] = ROAD
    grid = world_grid(scenario)
    cover, cell_hours, road_mask = _mapped_terrain(scenario, grid, cover, road_mask)

    loaded_cost = _load_cost(scenario, grid, (h, w))
    if loaded_cost is not None:
        cell_hours = loaded_cost
    if loaded_cost is not None and not scenario.params.world.landcover_file:
        cover = np.where(cell_hours <= units.hours_per_cell(p.terrain.road_kmh), ROAD,
                         np.where(cell_hours >= units.hours_per_cell(p.terrain.rough_kmh), ROUGH, OPEN)).astype(np.int8)
    loaded_population = _load_population(scenario, grid, (h, w))
    if loaded_population is not None:
        population = loaded_population

    passable = np.isfinite(cell_hours)
    given = given_sites(scenario, passable, grid)
    sources, sinks = given.get("sources"), given.get("sinks")
    field = world_field(scenario)
    if sinks is None:
        border = np.zeros(h * w, dtype=bool)
        border[border_cells(cover, passable)] = True
        sinks = _pick_sinks(streams.generator("sinks"), border.reshape(h, w), road_ends, p.world.sinks)
        if sinks.size == 0:
            raise ScenarioError(scenario.source, field, "expected a passable cell on the border for a sink (beside "
                                "land-cover code 6, or on the northern edge of a world without it)")
    if sources is None:
        south = np.zeros((h, w), dtype=bool)
        south[int(h * (1 - SOURCE_BAND)):, :] = True
        source_rng = streams.generator("sources")
        sources = _pick_cells(source_rng, passable & south & (cover != ROUGH), p.world.sources)
        if sources.size == 0:
            sources = _pick_cells(source_rng, passable & south, p.world.sources)
        if sources.size == 0:
            raise ScenarioError(scenario.source, field, "expected a passable cell in the southern band for a source")

    cartels = p.cartels.count
    source_owner = np.arange(sources.size, dtype=np.int64) % cartels
    n_corridors = p.world.corridors
    corridor = np.broadcast_to((np.arange(w) * n_corridors // w).astype(np.int8), (h, w)).copy()
    infra_cells, infra_kind, infra_owner = _infrastructure(streams.generator("infrastructure"), scenario, units, passable,
                                                           road_mask, sources, source_owner, given.get("infrastructure"))
    return World(cell_hours, cover, population, sources, source_owner, sinks, corridor, corridor_names(n_corridors),
                 infra_cells, infra_kind, infra_owner, *_stations(streams, scenario, cover, passable, given),
                 authorised_mask(scenario, (h, w)))


def _stations(streams: RandomStreams, scenario: Scenario, cover: np.ndarray, passable: np.ndarray,
              given: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The air bases, the ground units' posts and the checkpoints: those ``given`` (:mod:`sim.sites`), else from their streams."""
    p = scenario.params
    h, w = cover.shape
    drawn = {"bases": lambda: _bases(streams.generator("bases"), h, w, p.drones.bases),
             "posts": lambda: _on_roads(streams.generator("posts"), cover, passable, p.ground.units),
             "checkpoints": lambda: _on_roads(streams.generator("checkpoints"), cover, passable, p.ground.checkpoints)}
    return tuple(cell_centres(given[kind], w) if kind in given else draw() for kind, draw in drawn.items())


def _pick_sinks(rng: np.random.Generator, allowed: np.ndarray, road_ends: np.ndarray, count: int) -> np.ndarray:
    """Sinks on the ``allowed`` cells (the border): at road ends on it spread west to east, then anywhere on it."""
    spread = (
        road_ends[np.linspace(0, road_ends.size - 1, min(count, road_ends.size)).round().astype(int)]
        if road_ends.size
        else road_ends
    )
    chosen = [c for c in dict.fromkeys(spread.tolist()) if allowed.flat[c]]  # road ends are flat cells of the first row
    if len(chosen) < count:
        rest = allowed.copy()
        rest.flat[chosen] = False
        chosen += _pick_cells(rng, rest, count - len(chosen)).tolist()
    return np.sort(np.array(chosen, dtype=np.int64))


def _infrastructure(rng, scenario, units, passable, road_mask, sources, source_owner, given=None):
    """Labs near sources, stash houses on roads, airstrips on open land (or the ``given`` cells, kinds in turn); owned by cartels.

    Each site belongs to the cartel owning the source nearest it.
    """
    h, w = passable.shape
    count = scenario.params.world.infrastructure
    kinds = (np.arange(count) % len(INFRA_NAMES)).astype(np.int8)
    cells = np.empty(count, dtype=np.int64)
    owners = np.empty(count, dtype=np.int64)
    anywhere = np.flatnonzero(passable)
    on_roads = np.flatnonzero(passable & road_mask)
    spread = units.cells(SITE_SPREAD_KM)
    for i, kind in enumerate(kinds):
        if given is not None:
            cell = int(given[i])
        elif kind == LAB:
            s = rng.integers(sources.size)
            r0, c0 = divmod(int(sources[s]), w)
            r = int(np.clip(r0 + rng.normal(0, spread), 0, h - 1))
            c = int(np.clip(c0 + rng.normal(0, spread), 0, w - 1))
            cell = r * w + c if passable[r, c] else int(sources[s])
        else:
            pool = on_roads if kind == STASH_HOUSE and on_roads.size else anywhere
            cell = int(rng.choice(pool))
        cells[i] = cell
        sr, sc = np.divmod(sources, w)
        r, c = divmod(cell, w)
        owners[i] = source_owner[np.argmin((sr - r) ** 2 + (sc - c) ** 2)]
    return cells, kinds, owners

