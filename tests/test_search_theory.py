"""Analytic limits: the random and lawnmower patrols against classical search theory.

N drones with sweep width W = 2R fly at speed v for a time t over an area A; the coverage ratio
is c = N·W·v·t / A. For stationary targets and a sensor that always sees within R (p0 = 1, no
falloff), Koopman's random search finds 1 − exp(−c) of them and an exhaustive parallel sweep
finds min(1, c). Drones take off at step 0 from inside the area (random search: a uniform point;
lawnmower: the start of the drone's first lane), so t counts search time with no transit, and
their endurance outlasts the test, so no drone turns home. Targets are uniform random points,
found when their cell is in the raster of everything ever swept.

Random search inside an authorised zone (:mod:`sim.airspace`) shaped as a band of columns keeps
the law, with A the band's area: the drones' sector shrinks to the band, whose edges are walls.
"""

from functools import cache

import numpy as np
import pytest

from sim.airspace import EVERYWHERE, PatrolAirspace
from sim.fleet import Fleet
from sim.kernels.counter_rng import step_key
from sim.kernels.coverage import NOT_TIMED, STANDING_STILL, stamp_coverage
from sim.kernels.flight import fly_drones
from sim.model import SkywatchModel
from sim.params import PLATFORM_KINDS
from sim.scenario import Scenario

SIDE = 96  # cells; A = SIDE²
RADIUS = 2.0  # cells; sweep width W = 4 divides each lawnmower strip (SIDE / DRONES = 32) into whole lanes
WIDTH = 2.0 * RADIUS
DRONES = 3
SPEED = 40.0  # cells per hour: 10 cells a step, so a waypoint leg (≈ 50 cells) spans several steps
STEP_H = 0.25
ENDURANCE_H = 1e6  # hours: never turns home
RATIOS = (0.25, 0.5, 1.0, 2.0)  # coverage ratios c checked
TARGETS = 2000  # per seed
SEEDS = {"random": 200, "lawnmower": 30}  # the lawnmower is deterministic; its seeds only redraw targets
SIGMAS = 4.0  # sampling tolerance in standard errors of the mean over seeds
ZONES = {"all": (0, SIDE), "band": (24, 72)}  # authorised columns [first, last) searched


def _zone_mask(zone: str) -> np.ndarray:
    """(SIDE, SIDE) bool authorised cells of ``zone``."""
    mask = np.zeros((SIDE, SIDE), dtype=bool)
    mask[:, slice(*ZONES[zone])] = True
    return mask


def _checkpoints(zone: str = "all", speed: float = SPEED, radius: float = RADIUS) -> tuple[np.ndarray, np.ndarray]:
    """Steps at which the coverage ratios are read, and the exact ratios c at those steps, over ``zone``'s area."""
    first, last = ZONES[zone]
    per_step = DRONES * 2.0 * radius * speed * STEP_H / (SIDE * (last - first))
    steps = np.round(np.array(RATIOS) / per_step).astype(int)
    return steps, steps * per_step


def _bases(policy: str, rng: np.random.Generator, zone: str) -> np.ndarray:
    """(DRONES, 2) take-off points inside the zone: uniform for random search, first lane starts for the lawnmower."""
    if policy == "random":
        first, last = ZONES[zone]
        return np.column_stack([rng.uniform(first, last, DRONES), rng.uniform(0.0, SIDE, DRONES)])
    strips = np.linspace(0.0, SIDE, DRONES + 1)[:-1]
    return np.column_stack([strips + 0.5 * WIDTH, np.full(DRONES, float(SIDE))])  # lane 0 starts at the far edge


def _found_fractions(policy: str, seed: int, zone: str, speed: float = SPEED, radius: float = RADIUS) -> np.ndarray:
    """Share of TARGETS uniform random targets of the zone inside the ever-swept raster at each checkpoint.

    The drones fly at ``speed`` cells per hour with a sensor of ``radius`` cells.
    """
    rng = np.random.default_rng(seed)
    f = Fleet.create(_bases(policy, rng, zone), DRONES, policy, (0.0, float(SIDE)), SIDE, np.zeros(DRONES))
    airspace = PatrolAirspace.fitted(EVERYWHERE if zone == "all" else _zone_mask(zone), f.sector)
    code = Fleet.policy_code(policy)
    swept = np.zeros((SIDE, SIDE), np.float32)  # never cleared: 1 wherever a sensor has ever looked
    touched = np.zeros(swept.size, np.int64)
    n_touched = 0
    sensing = np.ones(DRONES, np.bool_)
    rows, cols = rng.integers(0, SIDE, TARGETS), rng.integers(*ZONES[zone], TARGETS)  # a uniform point's cell is uniform
    steps, _ = _checkpoints(zone, speed, radius)
    found = []
    stream = np.uint64(rng.integers(2**63))
    for step in range(steps[-1]):
        flown = fly_drones(f.x, f.y, f.wx, f.wy, f.state, f.airborne_h, f.ground_h, f.base_x, f.base_y, f.sector, f.lane, f.leg,
                           code, 2.0 * radius, speed, ENDURANCE_H, 0.0, STEP_H, np.uint64(step_key(stream, step)), f.legs,
                           f.leg_count, f.timing, np.zeros(0), 1, 1.0, airspace.allowed, airspace.cells)
        assert flown == pytest.approx(DRONES * STEP_H), "every drone searches the whole step"
        n_touched = stamp_coverage(swept, touched, n_touched, f.legs, f.leg_count, sensing, radius, 1.0, 0.0, 0.0, NOT_TIMED,
                                   airspace.allowed, *STANDING_STILL)
        if step + 1 in steps:
            found.append((swept[rows, cols] > 0).mean())
    return np.array(found)


@cache
def _measured(policy: str, zone: str = "all") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coverage ratios, mean found fraction and its standard error over seeds, per checkpoint."""
    found = np.array([_found_fractions(policy, seed, zone) for seed in range(SEEDS[policy])])
    return _checkpoints(zone)[1], found.mean(axis=0), found.std(axis=0, ddof=1) / np.sqrt(len(found))


def test_lawnmower_sweep_finds_min_1_c():
    """An exhaustive sweep finds min(1, c), less the time spent on turns between lanes.

    A lane is SIDE long and the turn to the next one WIDTH long, so at most WIDTH / (SIDE + WIDTH)
    = 4 % of the flight sweeps no new lane: the share found lies between min(1, c·SIDE / (SIDE +
    WIDTH)) (turns sweep nothing new) and min(1, c) (turns sweep fully). Beyond that, only the
    targets' sampling error (SIGMAS standard errors; ≤ 0.007 here) is allowed.
    """
    ratios, found, error = _measured("lawnmower")
    low = np.minimum(1.0, ratios * SIDE / (SIDE + WIDTH)) - SIGMAS * error
    high = np.minimum(1.0, ratios) + SIGMAS * error
    assert np.all((low <= found) & (found <= high)), f"c {ratios}: found {found}, expected within [{low}, {high}]"
    assert found[-1] == 1.0, "at c = 2 the sweep has covered every target"


@pytest.mark.parametrize("zone", ZONES)
def test_random_search_finds_one_minus_exp_minus_c(zone):
    """Koopman's law for random search: 1 − exp(−c).

    The classical law ignores the area's edges and a track's turns. Here a swath running near a
    wall partly sweeps outside the area and a drone turning re-sweeps the end of its last leg,
    which only lowers what is found (measured: 3 % at c = 2 to 6 % at c = 0.25 below the law).
    So up to 8 % below the law and nothing above it is allowed, beyond SIGMAS standard errors of
    the mean over seeds. Uniform waypoints, which crowd search into the centre, found 13-15 %
    below the law at c ≥ 1 and fail this test.
    """
    _assert_koopman(*_measured("random", zone))


def _assert_koopman(ratios: np.ndarray, found: np.ndarray, error: np.ndarray) -> None:
    """Found fractions within 8 % below Koopman's law 1 − exp(−c) and nothing above it, beyond SIGMAS standard errors."""
    law = 1.0 - np.exp(-ratios)
    low = 0.92 * law - SIGMAS * error
    high = law + SIGMAS * error
    assert np.all((low <= found) & (found <= high)), f"c {ratios}: found {found}, law {law}, allowed [{low}, {high}]"


CREWED_CELL_KM = 11.25  # km per cell: the crewed platform's 450 km/h is 40 cells/h, its 5-km sensor radius 0.44 of a cell
CREWED_SEEDS = 100


def test_crewed_platform_random_search_follows_the_law_for_its_own_speed_and_sweep_width():
    """A crewed squadron is flown with its own speed and sweep width, and its random search follows Koopman's law for them.

    The model's squadron carries the crewed kind's figures (450 km/h, 5 km) in cells; flown by
    the same kernels with those, its coverage ratio c = N·2R·v·t/A (N, t as above) predicts what
    it finds, as for the default drones.
    """
    scenario = Scenario().with_overrides({"world.height": SIDE, "world.width": SIDE, "world.cell_km": CREWED_CELL_KM,
                                          "drones.count": 0, "platforms.p3.kind": "crewed", "platforms.p3.count": DRONES}, "test")
    squadron = SkywatchModel(scenario).air.squadrons[1]
    assert squadron.platform.kind == "crewed" and squadron.fleet.x.size == DRONES
    assert squadron.speed == pytest.approx(PLATFORM_KINDS["crewed"]["speed_kmh"] / CREWED_CELL_KM)
    assert squadron.radius == pytest.approx(PLATFORM_KINDS["crewed"]["sensor_radius_km"] / CREWED_CELL_KM)
    assert (squadron.speed, squadron.radius) != (SPEED, RADIUS)
    found = np.array([_found_fractions("random", seed, "all", squadron.speed, squadron.radius) for seed in range(CREWED_SEEDS)])
    ratios = _checkpoints("all", squadron.speed, squadron.radius)[1]
    _assert_koopman(ratios, found.mean(axis=0), found.std(axis=0, ddof=1) / np.sqrt(len(found)))
